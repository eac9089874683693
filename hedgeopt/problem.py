"""HedgeProblem: compose the objective and constraints, compile once, solve, verify, re-solve."""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd

from hedgeopt.constraints.base import (
    Constraint,
    LinearForm,
    _StructureChanged,
    arguments_fixed,
    held_key,
    merge_forms,
    piecewise_form,
)
from hedgeopt.context import HedgeContext, validate_lam
from hedgeopt.costs.pricing import solve_priced
from hedgeopt.defaults import DEFAULT_LAM, DEFAULT_PNL, DEFAULT_TOL
from hedgeopt.diagnose import feasible, infeasible_error, undecided_message
from hedgeopt.exceptions import (
    InfeasibleError,
    InputError,
    SolverError,
    VerificationError,
)
from hedgeopt.frontier_table import FrontierPoint, frontier_table
from hedgeopt.objective import TrackingObjective
from hedgeopt.progress import progress
from hedgeopt.regularization import Penalty
from hedgeopt.result import HedgeResult, verify, verify_many
from hedgeopt.solvers.continuous import Outcome, solve_cvxpy
from hedgeopt.solvers.lowrank import plus_diagonal
from hedgeopt.solvers.native import solve_native
from hedgeopt.solvers.options import split_options
from hedgeopt.solvers.registry import Backend, candidates
from hedgeopt.solvers.threads import solver_blas_threads
from hedgeopt.solvers.warm_path import path_warm_start
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec
from hedgeopt.solvers.wholeshare.translate import whole_share_spec
from hedgeopt.validation import check_number

__all__ = ["HedgeProblem"]

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
    multipliers : dict or pandas.Series, optional
        Contract multipliers (units x price x multiplier = dollars; results in units).
    value_horizon, shrinkage, shrink_factors
        Objective options (see :class:`~hedgeopt.objective.TrackingObjective`): the value term
        as the variance of ``value_horizon``-period changes of the gap, and the shrinkage of the
        objective's Gram toward a ``shrink_factors``-factor model. They change what is minimised;
        ``res.objective`` stays ``(1 - lam) Var[Δd] + lam Var[d]`` of the hedge found.

    Examples
    --------
    >>> prob = HedgeProblem(prices, basket, lam=0.3).add(Budget(), LongOnly())  # doctest: +SKIP
    >>> res = prob.solve()                                                       # doctest: +SKIP
    """

    def __init__(self, prices: pd.DataFrame, basket: pd.Series, lam: float = DEFAULT_LAM,
                 constraints: Iterable[Constraint | Penalty] = (), reference: Any = None,
                 half_life: float | None = None, pnl: str = DEFAULT_PNL,
                 multipliers: Any = None, value_horizon: int | None = None,
                 shrinkage: float = 0.0, shrink_factors: int = 1) -> None:
        self.ctx = HedgeContext(prices, basket, reference, half_life, pnl, multipliers)
        self.objective = TrackingObjective(lam, value_horizon, shrinkage, shrink_factors)
        self.objective.validate(self.ctx)
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
        o = self.objective
        other.ctx, other.objective = self.ctx, TrackingObjective(
            self.lam, o.value_horizon, o.shrinkage, o.shrink_factors)
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
        with arguments_fixed([*self.constraints, *constraints]):  # one key per constraint
            for c in constraints:
                if isinstance(c, Penalty):
                    c.validate(self.ctx)
                    self.penalties.append(c)
                    continue
                if not isinstance(c, Constraint):
                    raise InputError(f"add() takes hedgeopt constraints, got "
                                     f"{type(c).__name__}; wrap cvxpy constraints in "
                                     f"ho.Custom(lambda w, ctx: [...])", field="constraints")
                c.validate(self.ctx)
                self.constraints.append(c)
            if constraints:
                self._compiled = None
                self._checked = self._arguments()  # all validated just now
        return self

    def update_data(self, prices: pd.DataFrame, basket: pd.Series,
                    reference: Any = None) -> HedgeProblem:
        """Swap in a new window of data; same tickers keep the compiled problem (DPP re-solve)."""
        m = self.ctx.multipliers if (self.ctx.multipliers != 1).any() else None
        ctx = HedgeContext(prices, basket, reference, self.ctx.half_life, self.ctx.pnl, m)
        self.objective.validate(ctx)
        for c in self._items():
            c.validate(ctx)
        same_names = ctx.tickers.equals(self.ctx.tickers)
        if not (same_names and ctx.n_obs == self.ctx.n_obs):
            self._compiled = None
        self.ctx = ctx
        if not same_names:  # the working set of the same names stays a (mere) first guess
            self._warm = None
        return self

    @property
    def warm_start(self) -> Any:
        """The working set the next native solve starts from (the last optimal
        :class:`~hedgeopt.solvers.activeset.QPSolution`, or None).

        A first guess only: any value, even another problem's, gives the same verified answer
        (the solver checks its own KKT conditions); a good one saves iterations.
        """
        return self._warm

    @warm_start.setter
    def warm_start(self, value: Any) -> None:
        self._warm = value

    @property
    def integer(self) -> bool:
        """Whether some constraint asks for whole shares."""
        return any(c.integer for c in self.constraints)

    def linear_form(self) -> LinearForm | None:
        """All constraints intersected as one :class:`LinearForm` (None if one is not linear:
        :func:`~hedgeopt.constraints.base.piecewise_form` without piecewise-linear rows)."""
        form = piecewise_form(self.constraints, self.ctx)
        return form if form is not None and form.absolute is None else None

    def quadratic(self, form: LinearForm, *, low_rank: bool = False, rows: bool = False
                  ) -> tuple[Any, np.ndarray, float] | None:
        """``(Q, q, c)`` of the normalised objective plus penalties, or None if a penalty is not
        quadratic on the feasible set (then the cvxpy backends are used). With ``low_rank``,
        ``Q`` may be a :class:`~hedgeopt.solvers.lowrank.LowRankHessian` (N >> T); with
        ``rows`` and no penalty, a :class:`~hedgeopt.solvers.gram_rows.GramRows` when the form
        is dense (a frontier's points: only the free rows are formed)."""
        lazy = self.objective.gram_rows(self.ctx) if rows and not self.penalties else None
        if lazy is not None:
            return lazy
        Q, q, c = self.objective.quadratic(self.ctx, low_rank=low_rank)
        for p in self.penalties:
            term = p.quadratic(self.ctx, form.lb)
            if term is None:
                return None
            d, g, c0 = term
            Q = plus_diagonal(Q, np.broadcast_to(d, q.shape))
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
        if any(getattr(p, "exchange", 0.0) is None for p in self.penalties):  # dollar costs
            return solve_priced(self, lambda: self.solve(solver, tol=tol, verbose=verbose,
                                                         **options),
                                relax=lambda: self._sibling(
                                    [c for c in self.constraints if not c.integer]).solve(
                                        tol=tol))
        start = time.perf_counter()
        with arguments_fixed(self.constraints):  # keys once per solve: checks, forms, verify
            tol, form, qp, backends, per_backend = self._plan(solver, tol, options)
            if self.integer:
                return self._solve_integer(backends, requested=solver, tol=tol,
                                           verbose=verbose, start=start, **options)
            return self._solve_continuous(form, qp, backends, per_backend, requested=solver,
                                          tol=tol, verbose=verbose, start=start)

    def _plan(self, solver: str | None, tol: float, options: dict[str, Any], *,
              rows: bool = False) -> tuple[
            float, LinearForm | None, tuple[Any, np.ndarray, float] | None, list[Backend],
            dict[str, dict[str, Any]]]:
        """Check the arguments and the constraints, merge the forms, build the quadratic and
        pick the backends: ``(tol, form, qp, backends, options per backend)``."""
        tol = check_number(tol, "tol", lo=0.0, hi=MAX_TOL, lo_open=True)
        self._revalidate()
        form = piecewise_form(self.constraints, self.ctx)  # with |w| rows in form.absolute
        qp = None if form is None or self.integer else self.quadratic(form, low_rank=True,
                                                                      rows=rows)
        backends = candidates(solver, integer=self.integer,
                              linear=qp is not None or (self.integer and form is not None))
        per_backend = split_options(options, [b.name for b in backends], integer=self.integer,
                                    requested=solver is not None)
        return tol, form, qp, backends, per_backend

    def _solve_continuous(self, form: LinearForm | None, qp: tuple[Any, np.ndarray, float] | None,
                          backends: list[Backend], per_backend: dict[str, dict[str, Any]], *,
                          requested: str | None, tol: float, verbose: bool, start: float,
                          build: Callable[..., Any] | None = None) -> Any:
        """The attempts loop of a continuous solve (see :meth:`solve`).

        ``build(shares, backend, out, attempts, tol=, start=)`` verifies a backend's shares and
        makes the answer, raising :class:`VerificationError` to go on to the next backend
        (default :meth:`_build_result`, a :class:`HedgeResult`; :meth:`frontier` makes one row of
        its table instead).
        """
        build = self._build_result if build is None else build
        solver = requested
        attempts: list[str] = []
        for backend in backends:
            try:
                out = self._run(backend, form, qp, verbose=verbose, **per_backend[backend.name])
            except SolverError as exc:
                attempts.append(f"{backend.name}: {exc}")
                continue
            if out.status == "infeasible":
                if not feasible(self, self.constraints):
                    raise infeasible_error(self, )
                attempts.append(f"{backend.name}: reported infeasible, but the set is feasible")
                continue
            shares = self._optimal_shares(out, form)
            if shares is None:
                attempts.append(f"{backend.name}: status {out.status}")
                continue
            try:
                return build(shares, backend, out, attempts, tol=tol, start=start)
            except VerificationError as exc:
                attempts.append(f"{backend.name}: {exc}")
        if solver is not None:
            raise SolverError(f"the requested solver {backends[0].name} produced no verified "
                              f"solution (solver=None would try the others): {attempts[0]}")
        raise SolverError("no backend produced a verified solution: " + " | ".join(attempts))

    def _optimal_shares(self, out: Outcome, form: LinearForm | None) -> np.ndarray | None:
        """The snapped shares of an optimal backend answer (None for any other status)."""
        if out.status != "optimal" or out.weights is None or out.objective is None:
            return None
        return self.ctx.shares_from_weights(self._snap(out.weights, form))

    def _build_result(self, shares: np.ndarray, backend: Backend, out: Outcome,
                      attempts: list[str], *, tol: float, start: float) -> HedgeResult:
        """The verified :class:`HedgeResult` of a continuous backend's shares."""
        assert out.objective is not None  # checked by the attempts loop
        return HedgeResult.build(
            shares, self.ctx, self.lam, self.constraints, tol=tol, status="optimal",
            solver=backend.name, solve_time=time.perf_counter() - start,
            solver_objective=self.objective.dollars2(out.objective, self.ctx),
            iterations=out.iterations, attempts=attempts,
            info={"solver_seconds": out.seconds, **(out.detail or {})},
        )

    def _predict_warm(self, path: list[tuple[float, Any]], lam: float,
                      form: LinearForm | None) -> None:
        """Warm-start the next point of a frontier from the working set the last two or three
        points extrapolate to (:func:`~hedgeopt.solvers.warm_path.path_warm_start`)."""
        if len(path) < 2 or form is None or form.absolute is not None:
            return
        if path[-1][1] is not self._warm:
            return
        guess = path_warm_start(path, lam, form.lb, form.ub, form.A, form.lo, form.hi)
        if guess is not None:
            self._warm = guess

    def _native_point(self, plan: tuple[Any, ...], verbose: bool) -> np.ndarray | None:
        """The first (native) backend's optimal shares at the current lam, not yet verified
        (None when it fails or gives another status: the attempts loop takes it); their point
        is formed when they are verified (:meth:`_verify_points`)."""
        backend = plan[3][0]
        try:
            out = self._run(backend, *plan[1:3], verbose=verbose, **plan[4][backend.name])
        except SolverError:
            return None
        return self._optimal_shares(out, plan[1])

    def _verify_points(self, pending: _Pending | None, points: list[Any], plan: tuple[Any, ...],
                       requested: str | None, verbose: bool) -> None:
        """Verify the pending native answers, one pass per constraint (:func:`verify_many`),
        and tabulate those that hold (their gap paths one after another, while ``P`` is in
        cache). One that fails is solved again by the attempts loop from its warm start (native
        answer verified alone, then the other backends): its row, ``solver`` and errors are a
        lone point's. lam and the warm start are given back."""
        if not pending:
            return
        found = verify_many(np.column_stack([p[3] for p in pending]), self.ctx,
                            self.constraints, plan[0])
        lam, warm = self.lam, self._warm
        try:
            for (i, at, guess, shares), bad in zip(pending, found, strict=True):
                if not bad:
                    points[i] = self._point(shares, plan[3][0].name, at)
                    continue
                self.lam, self._warm = at, guess
                qp = self.quadratic(plan[1], low_rank=True, rows=True)
                points[i] = self._solve_continuous(
                    plan[1], qp, *plan[3:], requested=requested, tol=plan[0], verbose=verbose,
                    start=time.perf_counter(), build=self._frontier_row)
        finally:
            self.lam, self._warm = lam, warm
            pending.clear()

    def _frontier_row(self, shares: np.ndarray, backend: Backend, out: Outcome,
                      attempts: list[str], *, tol: float, start: float) -> FrontierPoint:
        """Verify a backend's shares and keep their point of :meth:`frontier` (no
        :class:`HedgeResult`, no pandas objects: the table is the only output)."""
        verify(shares, self.ctx, self.constraints, tol, backend.name)
        return self._point(shares, backend.name)

    def _point(self, shares: np.ndarray, solver: str, lam: float | None = None) -> FrontierPoint:
        """The frontier point of verified shares at ``lam`` (default the problem's): their gap
        path ``P n - B`` (the product :func:`~hedgeopt.metrics.window_objective` forms), names
        held and the backend. The variances of all points are taken at the end, in one pass
        (:func:`~hedgeopt.frontier_table.frontier_table`)."""
        return FrontierPoint(self.lam if lam is None else lam, self.ctx.P @ shares - self.ctx.B,
                             int(np.count_nonzero(shares)), solver)

    def _run(self, backend: Backend, form: LinearForm | None,
             qp: tuple[Any, np.ndarray, float] | None, *, verbose: bool,
             **options: Any) -> Outcome:
        """One continuous backend: the native QP on the Gram form, or cvxpy (its metadata
        record says which)."""
        if not backend.via_cvxpy:
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
        merged form of :func:`~hedgeopt.constraints.base.piecewise_form` when every constraint
        has one (else it is rebuilt from the linear constraints alone).
        """
        bounds = form
        if bounds is None:
            forms = [f for c in self.constraints if (f := c.linear(self.ctx)) is not None]
            bounds = merge_forms([("", f) for f in forms], self.ctx.n_assets)
        w = np.where(np.abs(weights) < DUST, 0.0, weights)
        for b in (bounds.lb, bounds.ub):  # |w - b| is inf or NaN at an infinite bound
            np.copyto(w, b, where=np.abs(w - b) < DUST)
        return w

    def _items(self) -> list[Constraint | Penalty]:
        """The constraints, then the penalties."""
        return [*self.constraints, *self.penalties]

    def _arguments(self) -> list[Any]:
        """The value key of every constraint's and penalty's arguments (see :mod:`keys`)."""
        return [held_key(c) for c in self._items()]

    def _revalidate(self) -> None:
        """Validate again every constraint or penalty whose arguments changed since the last
        check (``cap.max_weight = 25`` after ``add`` is refused like ``SectorCap(..., 25)``);
        :attr:`_checked` then holds the current argument keys."""
        keys = self._arguments()
        seen = self._checked if len(self._checked) == len(keys) else [None] * len(keys)
        for item, key, old in zip(self._items(), keys, seen, strict=True):
            if key != old:
                item.validate(self.ctx)
        self._checked = keys

    def _cvxpy_problem(self) -> tuple[cp.Problem, cp.Variable]:
        """The compiled problem, built once; parameters refreshed when lam, the data or an
        argument changed.

        The problem compiles private (shallow) copies of its constraints and penalties: the
        cvxpy parameters they create belong to this problem alone, so one constraint list added
        to several problems never lets one problem's data leak into another's solve.
        """
        keys = self._checked  # solve() has just revalidated them
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
        """Whole shares: relaxation first (bound, warm start), then the integer backends.

        One deadline, ``time_limit`` seconds after ``start`` (the call to :meth:`solve`), bounds
        every phase: the relaxation, the backends (each gets what is left), verification and,
        when infeasibility is proven, the search for culprits. A named backend runs alone
        (fallbacks are for ``solver=None``). Raises :class:`InfeasibleError` only on a proof
        (cheap, or SCIP's complete search), else :class:`SolverError` saying that feasibility
        was not decided.
        """
        from hedgeopt.solvers.wholeshare import solve_whole_shares

        limit = _time_limit(time_limit)
        deadline = start + limit
        relaxed = self._relaxation(tol=tol, deadline=deadline)
        spec = self.whole_share_spec(relaxed)
        if requested is not None:
            backends = backends[:1]
        attempts: list[str] = []
        found = False  # some backend returned a point (that then failed verification)
        for backend in backends:
            # solver=None: our default pipeline (heuristic, then SCIP when it pays)
            method = "DEFAULT" if requested is None and backend is backends[0] else backend.name
            left = deadline - time.perf_counter() - _VERIFY_SECONDS
            if backend is not backends[0] and left <= 0.05:
                continue  # a fallback with no time left (the default pipeline ran the search)
            try:
                out = solve_whole_shares(spec, method, time_limit=max(left, 0.0), gap=gap,
                                         threads=threads, verbose=verbose, seed=seed, tol=tol,
                                         **options)
            except SolverError as exc:
                attempts.append(f"{backend.name}: {exc}")
                continue
            if out.status == "infeasible":
                raise infeasible_error(self, integer=True, proof=out.info.get("reason"),
                                             deadline=deadline, tol=tol)
            if out.z is None or out.value is None:  # a point always comes with its value
                attempts.append(f"{method}: {out.info.get('reason', out.status)}")
                continue
            found = True
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
            res.info["solver_bound"] = self.objective.dollars2(bound, self.ctx)
            res.bound = min(self.objective.dollars2(bound, self.ctx), res.objective)
            res.gap = (res.objective - res.bound) / res.objective if res.objective > 0 else 0.0
            return res
        if found:
            raise SolverError("no whole-share backend produced a verified solution: "
                              + " | ".join(attempts))
        raise SolverError(undecided_message(limit, attempts, requested, spec))

    def _relaxation(self, tol: float, deadline: float | None = None
                    ) -> tuple[np.ndarray, float]:
        """Continuous optimum with the integer restrictions dropped: (weights, normalised f).

        When it is infeasible, the :class:`InfeasibleError` names the culprits of the
        whole-share problem (checked up to ``deadline``; :func:`.diagnose.infeasible_error`).
        """
        relaxed = self._sibling([c for c in self.constraints if not c.integer])
        try:
            res = relaxed.solve(tol=tol)
        except InfeasibleError:
            raise infeasible_error(self, integer=True, deadline=deadline, tol=tol) from None
        self._warm = relaxed._warm
        w = self.ctx.weights_from_shares(res.shares.to_numpy())
        assert res.solver_objective is not None  # a continuous solve always reports it
        return w, float(res.solver_objective / (self.objective.scale(self.ctx)
                                                 * self.ctx.notional**2))

    def whole_share_spec(self, relaxed: tuple[np.ndarray, float] | None = None, *,
                         factor: np.ndarray | None = None) -> WholeShareSpec:
        """The problem as the whole-share backends see it (:class:`WholeShareSpec`).

        A thin call of :func:`hedgeopt.solvers.wholeshare.translate.whole_share_spec`.

        Parameters
        ----------
        relaxed : (numpy.ndarray, float), optional
            What :meth:`_relaxation` returns (weights, normalised objective).
        factor : numpy.ndarray, optional
            An objective factor to reuse (same data and ``lam``, no penalties).

        Returns
        -------
        WholeShareSpec
            The problem in lots and weights.
        """
        return whole_share_spec(self, relaxed, factor=factor)

    # -- sweeps -----------------------------------------------------------------------------
    def frontier(self, lams: Iterable[float] = tuple(np.linspace(0, 1, 11)), *,
                 quiet: bool | None = None, **solve_options: Any) -> pd.DataFrame:
        """Re-solve over ``lams`` (warm-started, parameters only) and tabulate the trade-off.

        Returns
        -------
        pandas.DataFrame
            One row per lam: ``lam``, ``var_pnl`` (Var[Δd], $^2), ``var_value`` (Var[d], $^2),
            ``objective`` ($^2), ``pnl_te``, ``value_te`` ($), ``names``, ``solver``; a
            :class:`~hedgeopt.frontier_table.FrontierTable` (reprs with units; ``chosen`` is
            the problem's own lam, which :func:`hedgeopt.plot_frontier` marks).
        """
        keep, plan = self.lam, None
        lams = list(lams)
        points: list[Any] = [None] * len(lams)
        path: list[tuple[float, Any]] = []  # (lam, native solution) of the last points
        opts = dict(solve_options)
        solver, verbose = opts.pop("solver", None), opts.pop("verbose", False)
        tol = opts.pop("tol", DEFAULT_TOL)
        order, turn = (list(range(len(lams))), -1) if self.integer else self._walk(lams)
        # the native answers at the walk's first points, nearest first: the turn's warm start
        # and the path it extrapolates from on the way down
        firsts: list[tuple[float, Any]] = []
        own = self._warm  # the warm start of the problem's own lam, given back at the end
        pending: _Pending | None = None  # native answers not yet verified
        try:
            with contextlib.ExitStack() as limit:
                for pos, i in enumerate(progress(order, desc="frontier", quiet=quiet)):
                    lam = lams[i]
                    self.lam, start = lam, time.perf_counter()
                    if self.integer:
                        res = self.solve(solver, tol=tol, verbose=verbose, **opts)
                        points[i] = self._point(res.shares.to_numpy(), res.solver)
                        continue
                    if plan is None:  # checks, forms and backends once; then only lam moves
                        plan = self._plan(solver, tol, opts, rows=True)  # Q's free rows only
                        # the arguments were just read (revalidated): their keys, once, for
                        # every point's verification (forms still built from the arguments)
                        limit.enter_context(arguments_fixed(self.constraints))
                        if plan[3] and not plan[3][0].via_cvxpy:
                            # one BLAS limit for all the points' active-set QPs (entered after
                            # the Gram, which keeps every thread) instead of one per solve
                            limit.enter_context(solver_blas_threads())
                            pending = []  # native answers: verified together (_verify_points)
                    elif plan[1] is not None and plan[2] is not None:
                        plan = (*plan[:2], self.quadratic(plan[1], low_rank=True, rows=True),
                                *plan[3:])
                    if pos == turn and firsts:  # back to the first point, the other way
                        self._warm, path = firsts[0][1], firsts[::-1]
                    self._predict_warm(path, lam, plan[1])
                    guess = self._warm
                    answer = None if pending is None else self._native_point(plan, verbose)
                    if answer is not None and pending is not None:
                        pending.append((i, self.lam, guess, answer))  # lam as validated
                    else:  # no native answer: this point's attempts loop, after the earlier ones
                        self._verify_points(pending, points, plan, solver, verbose)
                        self._warm = guess
                        points[i] = self._solve_continuous(
                            *plan[1:], requested=solver, tol=plan[0], verbose=verbose,
                            start=start, build=self._frontier_row)
                    if getattr(self._warm, "status", None) == "optimal":  # the native answer
                        path = [*path[-2:], (lam, self._warm)]
                        if pos == len(firsts) and pos < 3:
                            firsts.append((lam, self._warm))
                if plan is not None:
                    self._verify_points(pending, points, plan, solver, verbose)
        finally:
            self.lam = keep
            if getattr(own, "status", None) == "optimal" and not self.integer:
                self._warm = own
        table = frontier_table(points)
        table.attrs["chosen_lam"] = keep
        return table

    def _walk(self, lams: list[float]) -> tuple[list[int], int]:
        """The order a continuous frontier visits ``lams`` in: ``(positions, turn)``.

        With the warm start of a solve at the problem's own lam, the walk begins at the point
        nearest to it (one subproblem), goes up to the largest lam, then from that first
        answer down to the smallest (``turn``: the step where it goes back), extrapolating
        from the first three points of the way up (18 frontiers at N=300, seeds 1, 2, 3, 5,
        7, 11 and lam 0.1 / 0.3 / 0.7: 661 subproblems from the first point alone, 644 with
        them, none more); else it goes up from the smallest. Each point is solved and verified on
        its own (a warm start is a guess only): the order changes the work, not the answers,
        and rows keep the given order.
        """
        up = sorted(range(len(lams)), key=lambda i: lams[i])
        if getattr(self._warm, "status", None) != "optimal" or not up:
            return up, -1
        k = min(range(len(up)), key=lambda j: abs(lams[up[j]] - self.lam))
        return up[k:] + up[:k][::-1], len(up) - k

    def __repr__(self) -> str:
        cons = ", ".join(repr(c) for c in self.constraints) or "none"
        return (f"HedgeProblem(T={self.ctx.n_obs}, N={self.ctx.n_assets}, lam={self.lam:g}, "
                f"notional={self.ctx.notional:,.2f}, constraints=[{cons}])")


#: A frontier's native answers not yet verified: (position, lam, warm start, shares).
_Pending = list[tuple[int, float, Any, np.ndarray]]
#: Seconds kept back from the whole-share backends for verifying their answer.
_VERIFY_SECONDS = 0.05
def _time_limit(value: Any) -> float:
    """``time_limit`` as seconds (a finite number > 0), else an :class:`InputError`."""
    return check_number(value, "time_limit", lo=0.0, lo_open=True)
