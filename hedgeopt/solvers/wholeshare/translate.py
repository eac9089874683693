"""A :class:`~hedgeopt.problem.HedgeProblem` as the whole-share backends see it.

:func:`whole_share_spec` turns the problem's data, objective, penalties and constraints into a
:class:`~hedgeopt.solvers.wholeshare.spec.WholeShareSpec` in scaled units (weights of the
notional, lots).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hedgeopt.constraints.base import Constraint, LinearForm, merge_forms
from hedgeopt.constraints.lots import ShareLots
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError
from hedgeopt.objective import TrackingObjective
from hedgeopt.regularization import Penalty
from hedgeopt.solvers.wholeshare.restrictions import RULES, Restriction, rule_for
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["SpecSource", "whole_share_spec"]


class SpecSource(Protocol):
    """What :func:`whole_share_spec` reads of a problem."""

    ctx: HedgeContext
    constraints: list[Constraint]
    penalties: list[Penalty]
    objective: TrackingObjective

    def quadratic(self, form: LinearForm) -> tuple[np.ndarray, np.ndarray, float] | None:
        """``(Q, q, c)`` of the objective and penalties on ``form``'s feasible set, or None."""
        ...


def whole_share_spec(problem: SpecSource,
                     relaxed: tuple[np.ndarray, float] | None = None, *,
                     factor: np.ndarray | None = None) -> WholeShareSpec:
    """The problem as the whole-share backends see it (:class:`WholeShareSpec`).

    Reads ``problem``'s constraints one by one: :class:`~hedgeopt.constraints.ShareLots` gives
    the lots; the constraints of a registered rule (:data:`.restrictions.RULES`, found by
    :func:`.restrictions.rule_for`) are grouped by rule, and each rule builds itself from its
    group (:meth:`~.restrictions.base.Restriction.build`), in registration order, into
    :attr:`WholeShareSpec.rules`; every other constraint must be linear and joins the merged
    form.

    Parameters
    ----------
    problem : SpecSource
        The problem (a :class:`~hedgeopt.problem.HedgeProblem`).
    relaxed : (numpy.ndarray, float), optional
        The continuous optimum without the integer restrictions (weights, normalised
        objective), as ``HedgeProblem._relaxation`` returns it.
    factor : numpy.ndarray, optional
        The objective factor of a problem with the same data, ``lam`` and no penalties
        (reused instead of recomputed; ignored when there are penalties).

    Returns
    -------
    WholeShareSpec
        The problem in lots and weights.

    Raises
    ------
    InputError
        For constraints that cannot be combined with whole shares (non-linear constraints,
        L1 penalties) or with each other (as a rule's ``build`` decides).
    """
    ctx = problem.ctx
    lots: np.ndarray | None = None
    forms = []
    mine: dict[type[Restriction], list[Constraint]] = {cls: [] for cls in RULES}
    for c in problem.constraints:
        rule = rule_for(c)
        if isinstance(c, ShareLots):
            new = c.lots(ctx)
            if lots is not None and not (_integral(lots) and _integral(new)):
                raise InputError("several ShareLots need integer lots (their lcm is used)",
                                 field="lot")
            lots = new if lots is None else np.lcm(lots.astype(np.int64),
                                                   new.astype(np.int64)).astype(float)
        elif rule is not None:
            mine[rule].append(c)  # a whole-share restriction (restrictions.RULES)
        else:
            f = c.linear(ctx)
            if f is None:
                raise InputError(
                    f"{c!r} is not linear and cannot be combined with whole-share "
                    f"constraints", field="constraints")
            forms.append((repr(c), f))
    lots = np.ones(ctx.n_assets) if lots is None else lots
    rules = tuple(r for r in (cls.build(mine[cls], ctx, lots) for cls in RULES)
                  if r is not None)
    form = merge_forms(forms, ctx.n_assets)
    qp = problem.quadratic(form)
    if qp is None:
        raise InputError("L1 penalties that are not linear on the feasible set cannot be "
                         "combined with whole-share constraints", field="penalties")
    Q, q, c0 = qp
    if factor is None or problem.penalties:
        factor = problem.objective.factor(ctx)
    for p in problem.penalties:
        d, g, _ = p.quadratic(ctx, form.lb)  # type: ignore[misc]  # not None: qp exists
        if d > 0:  # ridge rows: ||sqrt(rho) (w - w0)||^2
            rows = np.hstack([np.eye(ctx.n_assets), -p.target(ctx)[:, None]])
            factor = np.vstack([factor, np.sqrt(d / 2.0) * rows])
        elif np.any(g):
            raise InputError(f"{p!r}: linear penalty terms are not supported with whole "
                             f"shares", field="penalties")
    return WholeShareSpec(
        Q=Q, q=q, c=c0, factor=factor,
        unit=lots * ctx.p_ref / ctx.notional, form=form,
        rules=rules,
        relaxed=None if relaxed is None else relaxed[0],
        relaxed_value=None if relaxed is None else relaxed[1], lots=lots,
        notional=float(ctx.notional), names=[str(t) for t in ctx.tickers],
    )


def _integral(a: np.ndarray) -> bool:
    """Whether every entry of ``a`` is (numerically) a whole number."""
    return bool(np.allclose(a, np.round(a)))
