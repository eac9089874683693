"""One object per whole-share restriction: turnover, name count, minimum position, minimum trade,
leverage.

Each rule holds its restriction's data (in weights, :attr:`.spec.WholeShareSpec.rules` is a
tuple of rule instances) and all of its arithmetic, for the translation, the checker, the
bound propagation, the proofs, the search and the MIP builders:

``build``
    Makes the rule from the user's constraints of its kind (:mod:`hedgeopt.constraints`),
    checking that they combine.
``bind`` (``arrays``, ``prepare``)
    The rule for the spec's lot values (per-name data checked, lot-dependent numbers set);
    :meth:`.spec.WholeShareSpec.restrictions` binds every rule.
``name_limit`` / ``held_lots`` / ``start``
    What generic code asks of any rule: a limit on the number of names held (the proofs'
    forced names and reach, and the exact one-name path when it is 1), the least lots of a
    held name (the MIP's held binaries) and a point the search rounds as a start.
``violations``
    Readable messages for a lot vector (the checker, :func:`.check.violations`).
``propagate``
    Tightens integer lot bounds (:func:`.bounds.lot_bounds`).
``allowed`` / ``fix``
    Whether a lot count is allowed, and the nearest allowed one in a direction (the "holes"
    that minimum positions and trades cut; used by the search state).
``tracker``
    The search's incremental move evaluation (a :class:`Tracker`: the rule's accumulator in
    the :class:`~.state.SearchState`, updated per move, and its test of single moves, pair
    moves, repair steps and the subset enumeration's partial points; :mod:`.state`,
    :mod:`.local`, :mod:`.enumeration`, :mod:`.rounding`).
``alone`` / ``alone_values``
    The lot counts a name may take when it is the only one held (the single-name proof,
    :mod:`.proofs`).
``scip_rows`` / ``cvxpy_rows``
    The restriction's rows in the MIP (:mod:`.scip`, :mod:`.cvxpy_mip`) through a small
    builder interface (:class:`.base.ScipBuild`, :class:`.base.CvxpyBuild`).

:data:`RULES` is the registration. A new restriction is one file in this folder (its rule
with its data, ``build`` and the hooks it needs, and its :class:`Tracker` when it limits a
sum over the names, as in ``turnover.py`` and ``names.py``) and one entry in :data:`RULES`.
Nothing else names a rule or reads its data: the translation, the search, the checker, the
proofs and the MIP builders go through the hooks of the spec's rules. The protocol is in
``base.py``.
"""

from __future__ import annotations

from hedgeopt.constraints.base import Constraint
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction, Tracker
from hedgeopt.solvers.wholeshare.restrictions.leverage import LeverageRule, LeverageTracker
from hedgeopt.solvers.wholeshare.restrictions.names import MaxNamesRule, NamesTracker
from hedgeopt.solvers.wholeshare.restrictions.positions import MinPositionRule
from hedgeopt.solvers.wholeshare.restrictions.trades import MinTradeRule
from hedgeopt.solvers.wholeshare.restrictions.turnover import TurnoverRule, TurnoverTracker

__all__ = ["LeverageRule", "LeverageTracker", "MaxNamesRule", "MinPositionRule", "MinTradeRule",
           "NamesTracker", "RULES", "Restriction", "Tracker", "TurnoverRule", "TurnoverTracker",
           "rule_for"]


#: The registration, in the order the translation builds the spec's rules (so the order the
#: checker reports and the MIP builders add rows).
RULES: tuple[type[Restriction], ...] = (TurnoverRule, MaxNamesRule, MinPositionRule,
                                        MinTradeRule, LeverageRule)


def rule_for(c: Constraint) -> type[Restriction] | None:
    """The rule that translates the user constraint ``c`` (None for other constraints)."""
    for cls in RULES:
        if isinstance(c, cls.constraint):
            return cls
    return None
