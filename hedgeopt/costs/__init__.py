"""Dollar costs in the objective: trading, borrow, soft constraints, and user terms.

One concern per file: :mod:`~hedgeopt.costs.base` (the exchange rate between dollars of cost
and the tracking objective), :mod:`~hedgeopt.costs.transaction`, :mod:`~hedgeopt.costs.borrow`,
:mod:`~hedgeopt.costs.soft` (a constraint's violation priced), :mod:`~hedgeopt.costs.term`
(user cvxpy terms) and :mod:`~hedgeopt.costs.pricing` (the solve that finds the exchange rate).
They are objective terms, beside :mod:`hedgeopt.regularization` (they subclass its
:class:`~hedgeopt.regularization.Penalty`, so every solve path that takes a penalty takes
them), in a subpackage of their own because each carries its own dollar model.
"""

from hedgeopt.costs.base import CostTerm
from hedgeopt.costs.borrow import BorrowCost
from hedgeopt.costs.soft import Soft
from hedgeopt.costs.term import Term
from hedgeopt.costs.transaction import TransactionCost

__all__ = ["BorrowCost", "CostTerm", "Soft", "Term", "TransactionCost"]
