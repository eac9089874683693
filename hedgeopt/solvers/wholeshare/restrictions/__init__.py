"""One object per whole-share restriction: turnover, name count, minimum position, minimum trade.

Each rule holds all of its restriction's arithmetic, for the translation, the checker, the
bound propagation, the search and the MIP builders:

``absorb``
    Reads the user's constraint (:mod:`hedgeopt.constraints`) into the spec's fields.
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
with the hooks it needs, and its :class:`Tracker` when it limits a sum over the names, as in
``turnover.py`` and ``names.py``), one entry in :data:`RULES` and its data fields on
:class:`~.spec.WholeShareSpec`. Nothing else names a rule: the search, the checker, the
proofs and the MIP builders iterate over the spec's rules. The protocol is in ``base.py``.
"""

from __future__ import annotations

from hedgeopt.constraints.base import Constraint
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction, Tracker
from hedgeopt.solvers.wholeshare.restrictions.names import MaxNamesRule, NamesTracker
from hedgeopt.solvers.wholeshare.restrictions.positions import MinPositionRule
from hedgeopt.solvers.wholeshare.restrictions.trades import MinTradeRule
from hedgeopt.solvers.wholeshare.restrictions.turnover import TurnoverRule, TurnoverTracker
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["MaxNamesRule", "MinPositionRule", "MinTradeRule", "NamesTracker", "RULES",
           "Restriction", "Tracker", "TurnoverRule", "TurnoverTracker", "restrictions_of",
           "rule_for"]


#: The registration, in the order the checker reports and the MIP builders add rows.
RULES: tuple[type[Restriction], ...] = (TurnoverRule, MaxNamesRule, MinPositionRule,
                                        MinTradeRule)


def restrictions_of(spec: WholeShareSpec) -> list[Restriction]:
    """The rules that ``spec`` restricts, in :data:`RULES` order."""
    return [r for r in (cls.of(spec) for cls in RULES) if r is not None]


def rule_for(c: Constraint) -> type[Restriction] | None:
    """The rule that translates the user constraint ``c`` (None for other constraints)."""
    for cls in RULES:
        if isinstance(c, cls.constraint):
            return cls
    return None
