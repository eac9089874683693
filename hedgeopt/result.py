"""HedgeResult: a verified hedge in shares and dollars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import Constraint, shares_matrix
from hedgeopt.context import HedgeContext
from hedgeopt.display import fmt_squared_dollars, format_frame, html_block, text_block
from hedgeopt.exceptions import VerificationError
from hedgeopt.exposure import sector_exposure
from hedgeopt.metrics import evaluate, window_metrics, window_objective
from hedgeopt.text import fmt_count, fmt_date, fmt_float, fmt_money, fmt_percent, fmt_seconds

__all__ = ["HedgeResult", "verify", "verify_many"]


def verify(shares: np.ndarray, ctx: HedgeContext, constraints: list[Constraint], tol: float,
           solver: str, *, raise_on_violation: bool = True) -> list[str]:
    """The violations of ``shares`` (every constraint's :meth:`check`, in user units).

    Raises
    ------
    VerificationError
        If there is one and ``raise_on_violation`` (the message names ``solver``).
    """
    violations = [v for c in constraints for v in c.check(shares, ctx, tol)]
    if violations and raise_on_violation:
        raise VerificationError(
            f"solution from {solver} violates {len(violations)} constraint(s): "
            + "; ".join(violations[:5])
        )
    return violations


def verify_many(shares: np.ndarray, ctx: HedgeContext, constraints: list[Constraint],
                tol: float) -> list[list[str]]:
    """The violations of each column of an N x K share matrix: entry ``k`` is what
    :func:`verify` returns for ``shares[:, k]`` (with ``raise_on_violation=False``), in the
    same order, from one :meth:`~hedgeopt.constraints.base.Constraint.check_many` per
    constraint (batched for linear constraints, column by column for the others)."""
    S = shares_matrix(shares, ctx)
    out: list[list[str]] = [[] for _ in range(S.shape[1])]
    for c in constraints:
        for found, more in zip(out, c.check_many(S, ctx, tol), strict=True):
            found.extend(more)
    return out


class _LazyMetrics:
    """The ``metrics`` field: given to the constructor, or computed on first read.

    :meth:`HedgeResult.build` passes None and keeps the verified share vector and ``lam``
    (``_source``); the first read of ``res.metrics`` then runs :func:`window_metrics` on them,
    so a frontier, a tuning grid or a backtest that never reads the metrics of a re-solve does
    not pay for them, and the values are those an eager computation gives (the same call on
    the same arrays).
    """

    def __get__(self, obj: Any, objtype: Any = None) -> pd.Series:
        if obj is None:  # no class-level default: ``metrics`` stays a constructor argument
            raise AttributeError("metrics")
        value = obj.__dict__.get("_metrics")
        if value is None:
            n, lam = obj._source or (obj.shares.to_numpy(dtype=float), obj.lam)
            ctx = obj.ctx
            value = window_metrics(n, ctx.P, ctx.B, ref=ctx.ref, lam=lam)
            obj.__dict__["_metrics"] = value
        return value

    def __set__(self, obj: Any, value: pd.Series | None) -> None:
        obj.__dict__["_metrics"] = value


@dataclass
class HedgeResult:
    """The solution of a :class:`~hedgeopt.problem.HedgeProblem`, re-verified in user units.

    Attributes
    ----------
    shares : pandas.Series
        Shares per ticker.
    objective : float
        ``(1 - lam) Var[Δd] + lam Var[d]`` in dollars^2, recomputed from the raw prices with plain
        numpy (never the solver's number).
    metrics : pandas.Series
        See :func:`hedgeopt.evaluate`. Computed on first access for results made by
        :meth:`build` (solves, frontier points, tuning and backtest fits).
    status : str
        ``"optimal"`` (continuous: certified by the backend; whole shares: gap closed), or
        ``"feasible"`` (whole shares: incumbent with a gap).
    solver : str
        The backend that produced the answer.
    solve_time : float
        Wall seconds of :meth:`HedgeProblem.solve`, compilation and verification included.
    violations : list of str
        Every constraint re-checked at the solution (empty when all hold within tolerance).
    bound, gap : float or None
        Whole-share solves: best proven lower bound on the objective ($^2) and relative gap.
    """

    shares: pd.Series
    objective: float
    metrics: pd.Series  # read through _LazyMetrics (installed below the class)
    status: str
    solver: str
    solve_time: float
    lam: float
    ctx: HedgeContext = field(repr=False)
    constraints: list[Constraint] = field(default_factory=list, repr=False)
    violations: list[str] = field(default_factory=list)
    solver_objective: float | None = None
    iterations: int | None = None
    bound: float | None = None
    gap: float | None = None
    method: str | None = None
    relaxation: float | None = None
    attempts: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    #: soft constraints (``ho.Soft``): violations in their own units and in dollars, by repr
    soft: dict[str, Any] = field(default_factory=dict)
    #: (shares, lam) the lazy metrics are computed from (None: ``shares`` and ``lam``)
    _source: tuple[np.ndarray, float] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, shares: np.ndarray, ctx: HedgeContext, lam: float,
              constraints: list[Constraint], *, tol: float, raise_on_violation: bool = True,
              **fields: Any) -> HedgeResult:
        """Verify ``shares`` against every constraint; the objective now, the metrics lazily.

        Raises
        ------
        VerificationError
            If a constraint is violated beyond ``tol`` (relative to the notional).
        """
        shares = np.asarray(shares, dtype=float)
        violations = verify(shares, ctx, constraints, tol, fields.get("solver", "?"),
                            raise_on_violation=raise_on_violation)
        return cls(
            shares=pd.Series(shares, index=ctx.tickers, name="shares"),
            objective=window_objective(shares, ctx.P, ctx.B, lam),
            metrics=None,  # computed on first read (_LazyMetrics)
            lam=lam, ctx=ctx, constraints=list(constraints), violations=violations,
            _source=(shares, lam), **fields,
        )

    # -- views ------------------------------------------------------------------------------
    @property
    def prices(self) -> pd.Series:
        """Reference-date dollars per share (per unit: price x multiplier, for contracts)."""
        return pd.Series(self.ctx.p_ref, index=self.ctx.tickers, name="price")

    @property
    def dollars(self) -> pd.Series:
        """Dollar positions at the reference date."""
        return self._dollars_over(1.0, "dollars")

    @property
    def weights(self) -> pd.Series:
        """Dollar positions as fractions of the notional (basket value at the reference date)."""
        return self._dollars_over(self.ctx.notional, "weight")

    def _dollars_over(self, scale: float, name: str) -> pd.Series:
        """``shares x price / scale`` per ticker, named ``name``: numpy arithmetic when the
        shares are in the universe's order (as :meth:`build` makes them; ~4x cheaper than four
        pandas operations), else aligned by ticker as ``shares * prices`` aligns; the same
        operations on each number either way."""
        if self.shares.index.equals(self.ctx.tickers):
            values = self.shares.to_numpy(dtype=float) * self.ctx.p_ref / scale
            return pd.Series(values, index=self.ctx.tickers, name=name)
        return (self.shares * self.prices / scale).rename(name)

    @property
    def notional(self) -> float:
        """Basket dollar value at the reference date."""
        return self.ctx.notional

    @property
    def reference_date(self) -> Any:
        """The date the hedge is put on."""
        return self.ctx.reference_date

    @property
    def basket_name(self) -> str:
        """The basket's name (its Series name), or ``"basket"``."""
        name = self.ctx.basket.name
        return str(name) if name is not None and str(name) else "basket"

    def paths(self, prices: pd.DataFrame | None = None,
              basket: pd.Series | None = None) -> pd.DataFrame:
        """Hedge and basket dollar paths with the gap ``d = hedge - basket``, on any window.

        Parameters
        ----------
        prices, basket : pandas.DataFrame, pandas.Series, optional
            A window to hold the shares through (e.g. the days after the reference date, for an
            out-of-sample look). It needs a column for every ticker held (others may be
            missing) and the basket on the same dates; both are validated as in
            :func:`hedgeopt.evaluate`. Default: the estimation window.

        Returns
        -------
        pandas.DataFrame
            Columns ``hedge``, ``basket``, ``gap`` ($) indexed by date. ``attrs["metrics"]`` holds
            :func:`hedgeopt.evaluate` of the shares on that window (so a plot of an
            out-of-sample window quotes out-of-sample numbers), ``attrs["basket_name"]`` the
            basket's name and ``attrs["in_sample"]`` whether it is the estimation window.

        Raises
        ------
        InputError
            Only one of ``prices`` and ``basket``, a held ticker missing from ``prices``, or
            data errors of the window (named as :class:`~hedgeopt.HedgeContext` names them).
        """
        if (prices is None) != (basket is None):
            from hedgeopt.exceptions import InputError

            raise InputError("paths() needs both prices and basket for another window, or "
                             "neither for the estimation window",
                             field="basket" if basket is None else "prices")
        if prices is None or basket is None:
            P, B, dates, metrics = self.ctx.P, self.ctx.B, self.ctx.dates, self.metrics
            n = self.shares.to_numpy()
        else:
            held = self.shares[self.shares != 0]
            metrics = evaluate(held, prices, basket, lam=self.lam)
            window = HedgeContext(prices, basket)
            n = held.reindex(window.tickers, fill_value=0.0).to_numpy()
            P, B, dates = window.P, window.B, window.dates
        hedge = P @ n
        out = pd.DataFrame({"hedge": hedge, "basket": B, "gap": hedge - B}, index=dates)
        out.attrs.update(metrics=metrics, basket_name=self.basket_name,
                         in_sample=prices is None)
        return out

    def to_frame(self, held_only: bool = False) -> pd.DataFrame:
        """One row per ticker: shares, reference price, dollars, weight.

        With contract multipliers (:class:`~hedgeopt.context.HedgeContext`): ``units``,
        ``price`` (per unit, before the multiplier), ``multiplier``, ``dollars``, ``weight``.
        """
        df = pd.concat([self.shares, self.prices, self.dollars, self.weights], axis=1)
        df.index.name = "ticker"
        held = df["shares"] != 0
        m = self.ctx.multipliers
        if (m != 1).any():  # units x price x multiplier = dollars
            df["price"] = df["price"] / m
            df.insert(2, "multiplier", m)
            df = df.rename(columns={"shares": "units"})
        return df[held] if held_only else df

    def plot(self, prices: pd.DataFrame | None = None, basket: pd.Series | None = None, *,
             paths: pd.DataFrame | None = None, **kwargs: Any) -> Any:
        """Hedge vs basket paths, value gap and P&L gap (matplotlib Figure; ``plot`` extra).

        With ``prices`` and ``basket``: on that window (out-of-sample), as
        ``plot_hedge(res, paths=res.paths(prices, basket))``. Keywords go to
        :func:`hedgeopt.plot_hedge` (``fig=``, ``title=``).
        """
        from hedgeopt.reporting.plots import plot_hedge

        if prices is not None or basket is not None:
            paths = self.paths(prices, basket)
        return plot_hedge(self, paths=paths, **kwargs)

    def plot_holdings(self, top: int = 15, sectors: pd.Series | Mapping[str, str] | None = None,
                      **kwargs: Any) -> Any:
        """The ``top`` largest positions and the sector exposure against the caps (see
        :func:`hedgeopt.plot_holdings`)."""
        from hedgeopt.reporting.plots import plot_holdings

        return plot_holdings(self, top=top, sectors=sectors, **kwargs)

    def sector_exposure(self, sectors: pd.Series | Mapping[str, str] | None = None
                        ) -> pd.DataFrame | None:
        """Net and gross dollars per sector with the caps (see
        :func:`hedgeopt.exposure.sector_exposure`); None without a sector map."""
        return sector_exposure(self, sectors)

    def summary(self) -> pd.Series:
        """Solve facts and metrics in one Series (for tables of many results)."""
        facts = {
            "status": self.status, "solver": self.solver, "lam": self.lam,
            "seconds": self.solve_time, "bound": self.bound,
            "gap": self.gap, "violations": len(self.violations),
        }
        return pd.concat([pd.Series(facts, dtype=object), self.metrics.astype(object)])

    # -- display ----------------------------------------------------------------------------
    def _headline(self) -> list[tuple[str, str]]:
        m = self.metrics
        rows = [
            ("status", f"{self.status} ({self.solver}, {fmt_seconds(self.solve_time)})"),
            ("basket", self.basket_name),
            ("reference date", fmt_date(self.reference_date)),
            ("notional", fmt_money(self.notional)),
            ("lam", str(self.info.get("lam_label", fmt_float(self.lam)))),
            ("objective", fmt_squared_dollars(self.objective)),
            ("P&L gap std", fmt_money(m["pnl_te"])),
            ("value gap std", fmt_money(m["value_te"])),
            ("hedge effectiveness", fmt_percent(m["effectiveness"])),
            ("P&L correlation", fmt_float(m["pnl_corr"])),
            ("final / max |gap|", f"{fmt_money(m['final_gap'])} / {fmt_money(m['max_abs_gap'])}"),
            ("names, gross", f"{fmt_count(m['names'])}, {fmt_money(m['gross'])}"),
        ]
        if self.bound is not None:
            rows.append(("bound, gap",
                         f"{fmt_squared_dollars(self.bound)}, {fmt_percent(self.gap, 3)}"))
        rows.append(("violations", str(len(self.violations)) if self.violations else "none"))
        return rows

    def _largest(self, k: int) -> pd.DataFrame:
        top = self.to_frame(held_only=True)
        return top.reindex(top["dollars"].abs().sort_values(ascending=False).index).head(k)

    def __repr__(self) -> str:
        return text_block("HedgeResult", self._headline(),
                          [("largest positions", format_frame(self._largest(10)))])

    def _repr_html_(self) -> str:
        top = self._largest(20)
        held = int((self.shares != 0).sum())
        return html_block("HedgeResult", self._headline(),
                          [(f"largest positions ({len(top)} of {held} held)", format_frame(top))])


# ``metrics`` is a dataclass field (a constructor argument, a record field of books); reading it
# goes through the descriptor, which computes it on first access when it was given as None.
HedgeResult.metrics = _LazyMetrics()

