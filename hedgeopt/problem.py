"""HedgeProblem: compose the objective and constraints, compile once, solve, verify, re-solve."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Iterable
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
import scipy.optimize as sopt

from hedgeopt.constraints.base import Constraint, LinearForm, _StructureChanged, merge_forms
from hedgeopt.context import HedgeContext, validate_lam
from hedgeopt.defaults import DEFAULT_LAM, DEFAULT_PNL
from hedgeopt.exceptions import (
    InfeasibleError,
    InputError,
    SolverError,
    VerificationError,
)
from hedgeopt.keys import arguments_key
from hedgeopt.objective import TrackingObjective
from hedgeopt.progress import progress
from hedgeopt.regularization import Penalty
from hedgeopt.result import HedgeResult
from hedgeopt.solvers.continuous import Outcome, solve_cvxpy
from hedgeopt.solvers.native import solve_native
from hedgeopt.solvers.options import split_options
from hedgeopt.solvers.registry import Backend, candidates
from hedgeopt.validation import check_number

__all__ = ["HedgeProblem"]

#: Default verification tolerance, relative to the notional ($10 on $10M).
DEFAULT_TOL = 1e-6
#: Largest verification tolerance accepted (1% of the notional): a larger one verifies nothing.
MAX_TOL = 1e-2
#: Positions within this fraction of the notional of a bound (or of 0) are interior-point dust
#: and snapped to it (a cent on $10M; the backends leave 1e-14 .. 1e-10).
DUST = 1e-9


class HedgeProblem:
    """A buy-and-hold share hedge of a basket's dollar path.

    Parameters
    ----------
    prices : pandas.DataFrame
        Dates x tickers, dollar prices of the hedge instruments.
    basket : pandas.Series
        Basket dollar value on the same dates.
    lam : float
        Weight of ``Var[d]`` against ``Var[Δd]``, in [0, 1]. Default 0 (and ``pnl="price"``),
        the out-of-sample choice documented in :mod:`hedgeopt.defaults`.
    constraints : iterable of Constraint or Penalty, optional
        Initial constraints and regularisation terms (more with :meth:`add`).
    reference : label or int, optional
        Date the hedge is put on (default: last row).
    half_life : float, optional
        Exponential observation weights (rows), see :class:`~hedgeopt.context.HedgeContext`.
    pnl : {"price", "reference"}
        P&L measure of the difference term, see :class:`~hedgeopt.context.HedgeContext`.

    Examples
    --------
    >>> prob = HedgeProblem(prices, basket, lam=0.3).add(Budget(), LongOnly())  # doctest: +SKIP
    >>> res = prob.solve()                                                       # doctest: +SKIP
    """

    def __init__(self, prices: pd.DataFrame, basket: pd.Series, lam: float = DEFAULT_LAM,
                 constraints: Iterable[Constraint | Penalty] = (), reference: Any = None,
                 half_life: float | None = None, pnl: str = DEFAULT_PNL) -> None:
        self.ctx = HedgeContext(prices, basket, reference, half_life, pnl)
        self.objective = TrackingObjective(lam)
        self.constraints: list[Constraint] = []
        self.penalties: list[Penalty] = []
        self._compiled: tuple[cp.Problem, cp.Variable] | None = None
        self._fresh: tuple[int, float] | None = None  # (ctx.version, lam) the parameters hold
        self._bound: list[Constraint] = []          # this problem's compiled copies
        self._bound_penalties: list[Penalty] = []
        self._bound_keys: list[Any] = []            # argument keys the copies were built from
        self._checked: list[Any] = []               # argument keys last validated
        self._warm: Any = None
        self.add(*constraints)

    def _sibling(self, constraints: list[Constraint]) -> HedgeProblem:
        """A problem on the same validated data and lam with other constraints (no re-checks)."""
        other = object.__new__(HedgeProblem)
        other.ctx, other.objective = self.ctx, TrackingObjective(self.lam)
        other.constraints = list(constraints)
        other.penalties = list(self.penalties)
        other._compiled, other._fresh, other._warm = None, None, self._warm
        other._bound, other._bound_penalties, other._bound_keys = [], [], []
        other._checked = []
        return other

    # -- composition ------------------------------------------------------------------------
    @property
    def lam(self) -> float:
        """Weight of the level term; setting it re-solves through parameters (no rebuild)."""
        return self.objective.lam

    @lam.setter
    def lam(self, value: float) -> None:
        self.objective.lam = validate_lam(value)

    def add(self, *constraints: Constraint | Penalty) -> HedgeProblem:
        """Add constraints or penalty terms (validated now); returns ``self`` for chaining."""
        for c in constraints:
            if isinstance(c, Penalty):
                c.validate(self.ctx)
                self.penalties.append(c)
                continue
            if not isinstance(c, Constraint):
                raise InputError(
                    f"add() takes hedgeopt constraints, got {type(c).__name__}; wrap cvxpy "
                    f"constraints in ho.Custom(lambda w, ctx: [...])",
                    field="constraints",
                )
            c.validate(self.ctx)
            self.constraints.append(c)
        if constraints:
            self._compiled = None
            self._checked = self._arguments()  # all validated just now
        return self

    def update_data(self, prices: pd.DataFrame, basket: pd.Series,
                    reference: Any = None) -> HedgeProblem:
        """Swap in a new window of data; same tickers keep the compiled problem (DPP re-solve)."""
        ctx = HedgeContext(prices, basket, reference, self.ctx.half_life, self.ctx.pnl)
        for c in self._items():
            c.validate(ctx)
        same = ctx.tickers.equals(self.ctx.tickers) and ctx.n_obs == self.ctx.n_obs
        self.ctx = ctx
        if not same:
            self._compiled = None
            self._warm = None
        return self

    @property
    def integer(self) -> bool:
        """Whether some constraint asks for whole shares."""
        return any(c.integer for c in self.constraints)

    def linear_form(self) -> LinearForm | None:
        """All constraints intersected as one :class:`LinearForm` (None if one is not linear)."""
        forms = []
        for c in self.constraints:
            f = c.linear(self.ctx)
            if f is None:
                return None
            forms.append((repr(c), f))
        return merge_forms(forms, self.ctx.n_assets)

    def quadratic(self, form: LinearForm) -> tuple[np.ndarray, np.ndarray, float] | None:
        """``(Q, q, c)`` of the normalised objective plus penalties, or None if a penalty is not
        quadratic on the feasible set (then the cvxpy backends are used)."""
        Q, q, c = self.objective.quadratic(self.ctx)
        for p in self.penalties:
            term = p.quadratic(self.ctx, form.lb)
            if term is None:
                return None
            d, g, c0 = term
            Q[np.diag_indices_from(Q)] += d
            q = q + g
            c += c0
        return Q, q, c

    # -- solving ----------------------------------------------------------------------------
    def solve(self, solver: str | None = None, *, tol: float = DEFAULT_TOL,
              verbose: bool = False, **options: Any) -> HedgeResult:
        """Solve, verify in shares and dollars, and return a :class:`HedgeResult`.

        Parameters
        ----------
        solver : str, optional
            ``"ACTIVESET"`` (native dense active-set QP, KKT-certified; used by default when every
            constraint is linear), ``"OSQP"``, ``"CLARABEL"``, ``"ECOS"``, or a whole-share
            backend. With ``solver=None``, when a backend fails, reports an inaccurate answer,
            or returns a solution that does not survive verification, the next capable
            installed backend is tried; a backend named here is never replaced: its failure
            raises :class:`SolverError`.
        tol : float
            Verification tolerance relative to the notional.
        verbose : bool
            Print the backend's log.
        **options
            ``time_limit``, ``gap``, ``threads``, ``seed`` (whole shares; ``time_limit`` also
            for OSQP and Clarabel) and backend settings such as ``max_iter`` or ``eps_abs``
            (see :mod:`hedgeopt.solvers.options`). Every name is checked against the backends
            that will run: a misspelt option is an :class:`InputError` with a did-you-mean.

        Raises
        ------
        InfeasibleError
            Naming the constraints whose removal restores feasibility.
        SolverNotAvailable
            The requested backend is not installed (the message says what to install).
        SolverError
            No backend produced a verified solution (the message lists every attempt).
        """
        start = time.perf_counter()
        tol = check_number(tol, "tol", lo=0.0, hi=MAX_TOL, lo_open=True)
        self._revalidate()
        form = self.linear_form()
        qp = None if form is None or self.integer else self.quadratic(form)
        backends = candidates(solver, integer=self.integer,
                              linear=qp is not None or (self.integer and form is not None))
        per_backend = split_options(options, [b.name for b in backends], integer=self.integer,
                                    requested=solver is not None)
        if self.integer:
            return self._solve_integer(backends, requested=solver, tol=tol, verbose=verbose,
                                       start=start, **options)
        attempts: list[str] = []
        for backend in backends:
            try:
                out = self._run(backend, form, qp, verbose=verbose, **per_backend[backend.name])
            except SolverError as exc:
                attempts.append(f"{backend.name}: {exc}")
                continue
            if out.status == "infeasible":
                if not self._feasible(self.constraints):
                    raise self._infeasible_error()
                attempts.append(f"{backend.name}: reported infeasible, but the set is feasible")
                continue
            if out.status != "optimal" or out.weights is None or out.objective is None:
                attempts.append(f"{backend.name}: status {out.status}")
                continue
            weights = self._snap(out.weights, form)
            try:
                return HedgeResult.build(
                    self.ctx.shares_from_weights(weights), self.ctx, self.lam,
                    self.constraints, tol=tol, status="optimal", solver=backend.name,
                    solve_time=time.perf_counter() - start,
                    solver_objective=self.objective.dollars2(out.objective, self.ctx),
                    iterations=out.iterations, attempts=attempts,
                    info={"solver_seconds": out.seconds, **(out.detail or {})},
                )
            except VerificationError as exc:
                attempts.append(f"{backend.name}: {exc}")
        if solver is not None:
            raise SolverError(f"the requested solver {backends[0].name} produced no verified "
                              f"solution (solver=None would try the others): {attempts[0]}")
        raise SolverError("no backend produced a verified solution: " + " | ".join(attempts))

    def _run(self, backend: Backend, form: LinearForm | None,
             qp: tuple[np.ndarray, np.ndarray, float] | None, *, verbose: bool,
             **options: Any) -> Outcome:
        if backend.name == "ACTIVESET":
            assert form is not None and qp is not None
            out, self._warm = solve_native(*qp, form, warm=self._warm, **options)
            return out
        problem, w = self._cvxpy_problem()
        return solve_cvxpy(problem, w, backend, verbose=verbose, **options)

    def _snap(self, weights: np.ndarray, form: LinearForm | None) -> np.ndarray:
        """Put interior-point dust on the bounds it belongs to (and on 0 where unbounded).

        Backends leave positions of 1e-14 .. 1e-10 of the notional where a bound is active; a
        weight within ``DUST`` of a finite bound is set to it, so that ``names`` does not depend
        on the backend. Verification runs after this, on the snapped shares. ``form`` is the
        merged form of :meth:`linear_form` when every constraint has one (else it is rebuilt
        from the linear constraints alone).
        """
        bounds = form
        if bounds is None:
            forms = [f for c in self.constraints if (f := c.linear(self.ctx)) is not None]
            bounds = merge_forms([("", f) for f in forms], self.ctx.n_assets)
        w = np.where(np.abs(weights) < DUST, 0.0, weights)
        for b in (bounds.lb, bounds.ub):
            near = np.isfinite(b) & (np.abs(w - b) < DUST)
            w[near] = b[near]
        return w

    def _items(self) -> list[Constraint | Penalty]:
        """The constraints, then the penalties."""
        return [*self.constraints, *self.penalties]

    def _arguments(self) -> list[Any]:
        """The value key of every constraint's and penalty's arguments (see :mod:`keys`)."""
        return [arguments_key(c) for c in self._items()]

    def _revalidate(self) -> list[Any]:
        """Validate again every constraint or penalty whose arguments changed since the last
        check (``cap.max_weight = 25`` after ``add`` is refused like ``SectorCap(..., 25)``)."""
        keys = self._arguments()
        seen = self._checked if len(self._checked) == len(keys) else [None] * len(keys)
        for item, key, old in zip(self._items(), keys, seen, strict=True):
            if key != old:
                item.validate(self.ctx)
        self._checked = keys
        return keys

    def _cvxpy_problem(self) -> tuple[cp.Problem, cp.Variable]:
        """The compiled problem, built once; parameters refreshed when lam, the data or an
        argument changed.

        The problem compiles private (shallow) copies of its constraints and penalties: the
        cvxpy parameters they create belong to this problem alone, so one constraint list added
        to several problems never lets one problem's data leak into another's solve.
        """
        keys = self._revalidate()
        if self._compiled is None or not self.objective.compatible(self.ctx):
            return self._compile(keys)
        bound: list[Constraint | Penalty] = [*self._bound, *self._bound_penalties]
        changed = [i for i, (a, b) in enumerate(zip(keys, self._bound_keys, strict=True))
                   if a != b]
        data_changed = self._fresh is None or self._fresh[0] != self.ctx.version
        if self._fresh != (self.ctx.version, self.lam):
            self.objective.update(self.ctx)
        try:
            for i, (user, own) in enumerate(zip(self._items(), bound, strict=True)):
                if data_changed or i in changed:
                    own.__dict__.update({k: v for k, v in vars(user).items()
                                         if not k.startswith("_")})
                    own.update(self.ctx)
        except _StructureChanged:
            return self._compile(keys)
        self._fresh, self._bound_keys = (self.ctx.version, self.lam), keys
        return self._compiled

    def _compile(self, keys: list[Any]) -> tuple[cp.Problem, cp.Variable]:
        w = cp.Variable(self.ctx.n_assets, name="w")
        self._bound = [copy.copy(c) for c in self.constraints]
        self._bound_penalties = [copy.copy(p) for p in self.penalties]
        cons = [k for c in self._bound for k in c.compile(w, self.ctx)]
        objective = self.objective.expression(w, self.ctx)
        for p in self._bound_penalties:
            objective = objective + p.expression(w, self.ctx)
        self._compiled = (cp.Problem(cp.Minimize(objective), cons), w)
        self._fresh, self._bound_keys = (self.ctx.version, self.lam), keys
        return self._compiled

    def _solve_integer(self, backends: list[Backend], *, requested: str | None, tol: float,
                       verbose: bool, start: float, time_limit: float = 10.0, gap: float = 1e-4,
                       threads: int = 1, seed: int = 0, **options: Any) -> HedgeResult:
        """Whole shares: relaxation first (bound, warm start), then the integer backends."""
        from hedgeopt.solvers.mip import solve_whole_shares

        relaxed = self._relaxation(tol=tol)
        spec = self.whole_share_spec(relaxed)
        attempts: list[str] = []
        for backend in backends:
            # solver=None: our default pipeline (heuristic, then SCIP polishing when it pays)
            method = "DEFAULT" if requested is None and backend is backends[0] else backend.name
            try:
                out = solve_whole_shares(spec, method, time_limit=time_limit, gap=gap,
                                         threads=threads, verbose=verbose, seed=seed, **options)
            except SolverError as exc:
                attempts.append(f"{backend.name}: {exc}")
                continue
            if out.status == "infeasible":
                raise self._infeasible_error(integer=True)
            if out.z is None:
                attempts.append(f"{backend.name}: {out.status}")
                continue
            shares = spec.lots * out.z  # exact multiples of the lots, no round trip via weights
            try:
                res = HedgeResult.build(
                    shares, self.ctx, self.lam, self.constraints, tol=tol,
                    status=out.status, solver=method,
                    solve_time=time.perf_counter() - start, method=out.method,
                    solver_objective=self.objective.dollars2(out.value, self.ctx),
                    relaxation=self.objective.dollars2(relaxed[1], self.ctx),
                    attempts=attempts, info={"solver_seconds": out.seconds, **out.info},
                )
            except VerificationError as exc:
                attempts.append(f"{backend.name}: {exc}")
                continue
            bound = max(relaxed[1], out.bound if out.bound is not None else -np.inf)
            res.bound = min(self.objective.dollars2(bound, self.ctx), res.objective)
            res.gap = (res.objective - res.bound) / res.objective if res.objective > 0 else 0.0
            return res
        raise SolverError("no whole-share backend produced a verified solution: "
                          + " | ".join(attempts))

    def _relaxation(self, tol: float) -> tuple[np.ndarray, float]:
        """Continuous optimum with the integer restrictions dropped: (weights, normalised f)."""
        relaxed = self._sibling([c for c in self.constraints if not c.integer])
        try:
            res = relaxed.solve(tol=tol)
        except InfeasibleError:
            raise self._infeasible_error(integer=True) from None
        self._warm = relaxed._warm
        w = self.ctx.weights_from_shares(res.shares.to_numpy())
        return w, float(res.solver_objective / (self.objective.scale(self.ctx)
                                                 * self.ctx.notional**2))

    def whole_share_spec(self, relaxed: tuple[np.ndarray, float] | None = None) -> Any:
        """The problem as the whole-share backends see it (:class:`WholeShareSpec`)."""
        from hedgeopt.constraints.cardinality import MaxNames, MinPosition
        from hedgeopt.constraints.lots import ShareLots
        from hedgeopt.constraints.trading import MinTrade, Turnover
        from hedgeopt.solvers.wholeshare import WholeShareSpec

        ctx = self.ctx
        lots: np.ndarray | None = None
        forms, turnover, max_names = [], None, None
        min_weight = np.zeros(ctx.n_assets)
        current, min_trade = None, None
        for c in self.constraints:
            if isinstance(c, ShareLots):
                new = c.lots(ctx)
                if lots is not None and not (_integral(lots) and _integral(new)):
                    raise InputError("several ShareLots need integer lots (their lcm is used)",
                                     field="lot")
                lots = new if lots is None else np.lcm(lots.astype(np.int64),
                                                       new.astype(np.int64)).astype(float)
            elif isinstance(c, MaxNames):
                max_names = c.k if max_names is None else min(max_names, c.k)
            elif isinstance(c, MinPosition):
                min_weight = np.maximum(min_weight, c.dollars / ctx.notional)
            elif isinstance(c, MinTrade):
                held = ctx.weights_from_shares(c.held(ctx))
                if current is not None and not np.allclose(current, held):
                    raise InputError("two MinTrade constraints with different holdings", "current")
                current = held
                thr = np.full(ctx.n_assets, c.dollars / ctx.notional)
                min_trade = thr if min_trade is None else np.maximum(min_trade, thr)
            elif isinstance(c, Turnover):
                if turnover is not None:
                    raise InputError("at most one Turnover constraint with whole shares",
                                     field="Turnover")
                turnover = (ctx.weights_from_shares(c.held(ctx)), c.max_dollars / ctx.notional)
            else:
                f = c.linear(ctx)
                if f is None:
                    raise InputError(
                        f"{c!r} is not linear and cannot be combined with whole-share "
                        f"constraints", field="constraints")
                forms.append((repr(c), f))
        lots = np.ones(ctx.n_assets) if lots is None else lots
        if current is not None:
            held_lots = ctx.shares_from_weights(current) / lots
            if np.any(np.abs(held_lots - np.round(held_lots)) > 1e-9):
                raise InputError("MinTrade: current holdings must be whole lots of ShareLots",
                                 field="current")
        form = merge_forms(forms, ctx.n_assets)
        qp = self.quadratic(form)
        if qp is None:
            raise InputError("L1 penalties that are not linear on the feasible set cannot be "
                             "combined with whole-share constraints", field="penalties")
        Q, q, c0 = qp
        factor = self.objective.factor(ctx)
        for p in self.penalties:
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
            turnover=turnover, max_names=max_names,
            min_weight=min_weight if min_weight.any() else None,
            current=current, min_trade=min_trade,
            relaxed=None if relaxed is None else relaxed[0],
            relaxed_value=None if relaxed is None else relaxed[1], lots=lots,
        )

    # -- sweeps -----------------------------------------------------------------------------
    def frontier(self, lams: Iterable[float] = tuple(np.linspace(0, 1, 11)), *,
                 quiet: bool | None = None, **solve_options: Any) -> pd.DataFrame:
        """Re-solve over ``lams`` (warm-started, parameters only) and tabulate the trade-off.

        Returns
        -------
        pandas.DataFrame
            One row per lam: ``lam``, ``var_pnl`` (Var[Δd], $^2), ``var_value`` (Var[d], $^2),
            ``objective`` ($^2), ``pnl_te``, ``value_te`` ($), ``names``, ``solver``.
        """
        keep = self.lam
        rows = []
        try:
            for lam in progress(list(lams), desc="frontier", quiet=quiet):
                self.lam = lam
                res = self.solve(**solve_options)
                m = res.metrics
                rows.append({
                    "lam": self.lam, "var_pnl": m["pnl_te"] ** 2, "var_value": m["value_te"] ** 2,
                    "objective": res.objective, "pnl_te": m["pnl_te"], "value_te": m["value_te"],
                    "names": int(m["names"]), "solver": res.solver,
                })
        finally:
            self.lam = keep
        return pd.DataFrame(rows)

    # -- infeasibility ----------------------------------------------------------------------
    def _feasible(self, constraints: list[Constraint]) -> bool:
        """Whether ``constraints`` (integrality relaxed) admit a hedge: LP or conic check."""
        forms = [c.linear(self.ctx) for c in constraints if not c.integer]
        if all(f is not None for f in forms):
            return _lp_feasible(merge_forms([("", f) for f in forms], self.ctx.n_assets))
        w = cp.Variable(self.ctx.n_assets)
        cons = [k for c in constraints if not c.integer for k in copy.copy(c).compile(w, self.ctx)]
        prob = cp.Problem(cp.Minimize(0), cons)
        for name in ("CLARABEL", "ECOS", "OSQP"):
            try:
                prob.solve(solver=name)
            except (cp.error.SolverError, ValueError):
                continue
            if prob.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
                return True
            if prob.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                return False
        raise SolverError("could not decide feasibility with CLARABEL, ECOS or OSQP")

    def _infeasible_error(self, integer: bool = False) -> InfeasibleError:
        names = [repr(c) for c in self.constraints]
        culprits = [
            repr(c) for i, c in enumerate(self.constraints)
            if self._feasible(self.constraints[:i] + self.constraints[i + 1:])
        ]
        msg = f"no hedge satisfies all {len(names)} constraints [{', '.join(names)}]."
        if culprits:
            msg += f" Dropping any one of [{', '.join(culprits)}] makes it feasible."
        else:
            msg += " No single constraint's removal restores feasibility."
        if len(self.constraints) <= 10:
            pairs = [
                f"{a!r} + {b!r}" for a, b in itertools.combinations(self.constraints, 2)
                if not self._feasible([a, b])
            ]
            singles = [repr(c) for c in self.constraints if not self._feasible([c])]
            if singles:
                msg += f" Infeasible on its own: {', '.join(singles)}."
            elif pairs:
                msg += f" Conflicting pairs: {'; '.join(pairs)}."
        if integer and not culprits and self._feasible(self.constraints):
            msg += (" The continuous relaxation is feasible: the whole-share restrictions "
                    f"({', '.join(repr(c) for c in self.constraints if c.integer)}) conflict "
                    "with the others.")
        return InfeasibleError(msg, constraints=names, culprits=culprits)

    def __repr__(self) -> str:
        cons = ", ".join(repr(c) for c in self.constraints) or "none"
        return (f"HedgeProblem(T={self.ctx.n_obs}, N={self.ctx.n_assets}, lam={self.lam:g}, "
                f"notional={self.ctx.notional:,.2f}, constraints=[{cons}])")


def _integral(a: np.ndarray) -> bool:
    return bool(np.allclose(a, np.round(a)))


def _lp_feasible(form: LinearForm) -> bool:
    """Feasibility of ``lb <= w <= ub, lo <= A w <= hi`` by a HiGHS LP (zero objective)."""
    n = form.lb.shape[0]
    if np.any(form.lb > form.ub + 1e-12):
        return False
    eq = np.isfinite(form.lo) & (form.lo == form.hi)
    up = np.isfinite(form.hi) & ~eq
    dn = np.isfinite(form.lo) & ~eq
    A_ub = np.vstack([form.A[up], -form.A[dn]])
    b_ub = np.concatenate([form.hi[up], -form.lo[dn]])
    res = sopt.linprog(
        np.zeros(n), A_ub=A_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
        A_eq=form.A[eq] if eq.any() else None, b_eq=form.lo[eq] if eq.any() else None,
        bounds=np.column_stack([np.where(np.isfinite(form.lb), form.lb, None),
                                np.where(np.isfinite(form.ub), form.ub, None)]),
        method="highs",
    )
    return res.status == 0
