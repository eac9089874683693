"""HedgeResult: a verified hedge in shares and dollars."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import Constraint
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import VerificationError
from hedgeopt.metrics import window_metrics
from hedgeopt.text import fmt_date

__all__ = ["HedgeResult"]


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
        See :func:`hedgeopt.evaluate`.
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
    metrics: pd.Series
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

    @classmethod
    def build(cls, shares: np.ndarray, ctx: HedgeContext, lam: float,
              constraints: list[Constraint], *, tol: float, raise_on_violation: bool = True,
              **fields: Any) -> HedgeResult:
        """Verify ``shares`` against every constraint and compute the metrics.

        Raises
        ------
        VerificationError
            If a constraint is violated beyond ``tol`` (relative to the notional).
        """
        shares = np.asarray(shares, dtype=float)
        violations = [v for c in constraints for v in c.check(shares, ctx, tol)]
        if violations and raise_on_violation:
            raise VerificationError(
                f"solution from {fields.get('solver', '?')} violates {len(violations)} "
                f"constraint(s): " + "; ".join(violations[:5])
            )
        metrics = window_metrics(shares, ctx.P, ctx.B, ref=ctx.ref, lam=lam)
        return cls(
            shares=pd.Series(shares, index=ctx.tickers, name="shares"),
            objective=float(metrics["objective"]), metrics=metrics, lam=lam, ctx=ctx,
            constraints=list(constraints), violations=violations, **fields,
        )

    # -- views ------------------------------------------------------------------------------
    @property
    def prices(self) -> pd.Series:
        """Reference-date dollars per share (per unit: price x multiplier, for contracts)."""
        return pd.Series(self.ctx.p_ref, index=self.ctx.tickers, name="price")

    @property
    def dollars(self) -> pd.Series:
        """Dollar positions at the reference date."""
        return (self.shares * self.prices).rename("dollars")

    @property
    def weights(self) -> pd.Series:
        """Dollar positions as fractions of the notional (basket value at the reference date)."""
        return (self.dollars / self.ctx.notional).rename("weight")

    @property
    def notional(self) -> float:
        """Basket dollar value at the reference date."""
        return self.ctx.notional

    @property
    def reference_date(self) -> Any:
        """The date the hedge is put on."""
        return self.ctx.reference_date

    def paths(self) -> pd.DataFrame:
        """Hedge and basket dollar paths over the window, with the gap ``d``."""
        hedge = self.ctx.P @ self.shares.to_numpy()
        return pd.DataFrame(
            {"hedge": hedge, "basket": self.ctx.B, "gap": hedge - self.ctx.B},
            index=self.ctx.dates,
        )

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

    def plot(self, **kwargs: Any) -> Any:
        """Hedge vs basket paths, value gap and P&L gap (matplotlib Figure; ``plot`` extra)."""
        from hedgeopt.reporting.plots import plot_hedge

        return plot_hedge(self, **kwargs)

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
            ("status", f"{self.status} ({self.solver}, {self.solve_time:.3f} s)"),
            ("reference date", fmt_date(self.reference_date)),
            ("notional", f"${self.notional:,.2f}"),
            ("lam", str(self.info.get("lam_label", f"{self.lam:g}"))),
            ("objective", f"{self.objective:,.6g} $^2"),
            ("P&L gap std", f"${m['pnl_te']:,.2f}"),
            ("value gap std", f"${m['value_te']:,.2f}"),
            ("hedge effectiveness", f"{m['effectiveness']:.4%}"),
            ("P&L correlation", f"{m['pnl_corr']:.4f}"),
            ("final / max |gap|", f"${m['final_gap']:,.2f} / ${m['max_abs_gap']:,.2f}"),
            ("names, gross", f"{int(m['names'])}, ${m['gross']:,.2f}"),
        ]
        if self.bound is not None:
            rows.append(("bound, gap", f"{self.bound:,.6g} $^2, {self.gap:.3%}"))
        rows.append(("violations", str(len(self.violations)) if self.violations else "none"))
        return rows

    def __repr__(self) -> str:
        lines = ["HedgeResult"] + [f"  {k:<20} {v}" for k, v in self._headline()]
        top = self.to_frame(held_only=True)
        top = top.reindex(top["dollars"].abs().sort_values(ascending=False).index).head(10)
        if len(top):
            lines.append("  largest positions:")
            for t, r in top.iterrows():
                lines.append(
                    f"    {t!s:<10} {r['shares']:>14,.4f} sh  ${r['dollars']:>16,.2f}  "
                    f"{r['weight']:>8.2%}"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._headline()
        )
        top = self.to_frame(held_only=True)
        top = top.reindex(top["dollars"].abs().sort_values(ascending=False).index).head(20)
        return (
            f"<div><b>HedgeResult</b><table>{head}</table>"
            f"{top.to_html(float_format=lambda x: f'{x:,.4f}')}</div>"
        )
