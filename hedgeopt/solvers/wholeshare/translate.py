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
from hedgeopt.costs.base import CostTerm, whole_share_refusal
from hedgeopt.exceptions import InputError
from hedgeopt.objective import TrackingObjective
from hedgeopt.regularization import Penalty
from hedgeopt.solvers.wholeshare.cardinality import chooses_names
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
    costs = [p for p in problem.penalties if isinstance(p, CostTerm)]
    others = [p for p in problem.penalties if not isinstance(p, CostTerm)]
    qp = problem.quadratic(form) if not costs else _quadratic(problem, others, form)
    if qp is None:
        bad = [p for p in others if p.quadratic(ctx, form.lb) is None]
        raise whole_share_refusal(f"{', '.join(map(repr, bad))}: not quadratic on the "
                                  f"feasible set")
    Q, q, c0 = qp
    if factor is None or problem.penalties:
        factor = problem.objective.factor(ctx)
    for p in others:
        d, g, _ = p.quadratic(ctx, form.lb)  # type: ignore[misc]  # not None: qp exists
        if d > 0:  # ridge rows: ||sqrt(rho) (w - w0)||^2
            rows = np.hstack([np.eye(ctx.n_assets), -p.target(ctx)[:, None]])
            factor = np.vstack([factor, np.sqrt(d / 2.0) * rows])
        elif np.any(g):
            raise InputError(f"{p!r}: linear penalty terms are not supported with whole "
                             f"shares", field="penalties")
    ref, trade, short = _linear_costs(costs, ctx)
    spec = WholeShareSpec(
        Q=Q, q=q, c=c0, factor=factor,
        unit=lots * ctx.p_ref / ctx.notional, form=form,
        rules=rules,
        relaxed=None if relaxed is None else relaxed[0],
        relaxed_value=None if relaxed is None else relaxed[1], lots=lots,
        notional=float(ctx.notional), names=[str(t) for t in ctx.tickers],
        trade_ref=ref, trade_rate=trade, short_rate=short,
    )
    if trade is not None and ref is not None and np.any((trade > 0) & (ref != 0)) \
            and chooses_names(spec):
        # the name selection (:mod:`.cardinality`) compares subsets on their names only: the
        # cost of selling what the names left out hold would be missing from that comparison
        raise InputError(f"{', '.join(repr(c) for c in costs)} from current holdings with a "
                         f"binding MaxNames / MinPosition: the whole-share name selection does "
                         f"not price the trades of the names it leaves out; trade from nothing "
                         f"(current=None), or drop MaxNames / MinPosition", field="penalties")
    return spec


def _quadratic(problem: SpecSource, penalties: list[Penalty], form: LinearForm
               ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``(Q, q, c)`` of the objective and of ``penalties`` (the non-cost ones) on ``form``'s
    feasible set, dense, or None when one of them is not quadratic there."""
    Q0, q, c = problem.objective.quadratic(problem.ctx)
    Q = np.array(Q0, dtype=float)
    for p in penalties:
        term = p.quadratic(problem.ctx, form.lb)
        if term is None:
            return None
        d, g, c0 = term
        Q = Q + np.diag(np.broadcast_to(np.asarray(d, dtype=float), q.shape))
        q, c = q + g, c + c0
    return Q, q, c


def _linear_costs(costs: list[CostTerm], ctx: HedgeContext
                  ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """``(trade_ref, trade_rate, short_rate)`` of the spec: every cost term's
    :meth:`~hedgeopt.costs.base.CostTerm.linear_cost` at its price (``mu / (B_r^2 s)`` per
    dollar, set by the pricing solve), summed per name.

    Raises
    ------
    InputError
        For a term that is not piecewise linear per name (market impact, a soft constraint),
        naming it and the backends that take it, and for transaction costs from different
        current holdings.
    """
    ref = trade = short = None
    for c in costs:
        lin = c.linear_cost(ctx)
        if lin is None:
            raise whole_share_refusal(f"{c!r}: {c.nonlinear_part()} is not linear per name")
        price = c._per_weight(ctx, c._scale_of(ctx))  # normalised objective per dollar
        if lin.trade_rate is not None:
            assert lin.trade_ref is not None
            if ref is not None and not np.array_equal(ref, lin.trade_ref):
                raise InputError("several TransactionCost terms from different current "
                                 "holdings cannot be combined with whole shares; give one "
                                 "(per-ticker bps and per_share add up)", field="penalties")
            ref = lin.trade_ref
            trade = price * lin.trade_rate + (0.0 if trade is None else trade)
        if lin.short_rate is not None:
            short = price * lin.short_rate + (0.0 if short is None else short)
    return ref, trade, short


def _integral(a: np.ndarray) -> bool:
    """Whether every entry of ``a`` is (numerically) a whole number."""
    return bool(np.allclose(a, np.round(a)))
