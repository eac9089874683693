"""Shared fixtures and independent numpy references for the hedgeopt test battery.

Everything in :class:`Ref` is written from the definitions in the README with plain numpy
(``np.var``, ``np.cov``, ``np.linalg``), never with hedgeopt's own Gram / factor code, so that a
test comparing a library number with a ``Ref`` number compares two independent computations.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

#: Every continuous backend, plus the default choice (``solver=None``).
CONTINUOUS = ("OSQP", "CLARABEL", "ECOS")
ALL_SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")


def solver_id(s: str | None) -> str:
    return "default" if s is None else s


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def market() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """T=120 days, N=30 instruments, 5 sectors, $10M basket (N < T: a unique optimum)."""
    return ho.datasets.synthetic_market(n_assets=30, n_days=120, n_sectors=5, seed=11)


@pytest.fixture(scope="session")
def wide_market() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """T=40 days, N=80 instruments (N > T: only the objective value is unique)."""
    return ho.datasets.synthetic_market(n_assets=80, n_days=40, n_sectors=5, seed=12)


@pytest.fixture(scope="session")
def long_market() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """T=160, N=15: the first 120 rows to fit, the last 40 to evaluate out of sample."""
    return ho.datasets.synthetic_market(n_assets=15, n_days=160, n_sectors=3, seed=21)


@pytest.fixture
def market_dir(tmp_path, market) -> tuple:
    """``market`` written as ``prices.csv``, ``basket.csv``, ``sectors.csv`` in a fresh folder:
    ``(folder, prices, basket, sectors)``."""
    prices, basket, sectors = market
    d = tmp_path / "desk"
    d.mkdir()
    prices.to_csv(d / "prices.csv")
    basket.to_csv(d / "basket.csv")
    sectors.to_csv(d / "sectors.csv")
    return d, prices, basket, sectors


@pytest.fixture
def tiny() -> tuple[pd.DataFrame, pd.Series]:
    """Three tickers, eight dates; the basket is exactly 1 AAA + 2 BBB + 3 CCC (objective 0)."""
    idx = pd.date_range("2024-01-01", periods=8, freq="B", name="date")
    prices = pd.DataFrame(
        {
            "AAA": [10.0, 11.0, 12.0, 11.0, 13.0, 14.0, 13.5, 15.0],
            "BBB": [20.0, 21.0, 19.0, 22.0, 23.0, 22.0, 24.0, 25.0],
            "CCC": [5.0, 5.5, 5.2, 5.1, 5.3, 5.6, 5.4, 5.0],
        },
        index=idx,
    )
    basket = pd.Series(prices.to_numpy() @ np.array([1.0, 2.0, 3.0]), index=idx, name="basket")
    return prices, basket


# ------------------------------------------------------------------------------------------------
# independent references
# ------------------------------------------------------------------------------------------------


@dataclass
class Quad:
    """``J(x) / scale = x'Gx - 2 g'x + c`` in dollar weights ``x_i = n_i p_i / notional``."""

    G: np.ndarray
    g: np.ndarray
    c: float
    p_ref: np.ndarray
    notional: float

    def value(self, x: np.ndarray) -> float:
        return float(x @ self.G @ x - 2 * self.g @ x + self.c)

    def shares(self, x: np.ndarray) -> np.ndarray:
        return x * self.notional / self.p_ref

    def weights(self, shares: np.ndarray) -> np.ndarray:
        return np.asarray(shares, dtype=float) * self.p_ref / self.notional


class Ref:
    """Plain-numpy definitions of the quantities hedgeopt computes."""

    @staticmethod
    def gap(shares, prices: pd.DataFrame, basket: pd.Series) -> np.ndarray:
        return prices.to_numpy(dtype=float) @ np.asarray(shares, dtype=float) - basket.to_numpy(
            dtype=float
        )

    @staticmethod
    def objective(shares, prices: pd.DataFrame, basket: pd.Series, lam: float) -> float:
        """``(1-lam) Var[diff d] + lam Var[d]``, ddof=1, straight from the README."""
        d = Ref.gap(shares, prices, basket)
        return float((1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1))

    @staticmethod
    def quad(prices: pd.DataFrame, basket: pd.Series, lam: float, ref: int = -1) -> Quad:
        """The objective as a quadratic in dollar weights, from ``np.cov`` (over notional^2)."""
        P = prices.to_numpy(dtype=float)
        B = basket.to_numpy(dtype=float)
        p_ref, notional = P[ref], float(B[ref])
        Z = np.column_stack([P / p_ref, B / notional])
        C0 = np.cov(Z, rowvar=False, ddof=1)
        C1 = np.cov(np.diff(Z, axis=0), rowvar=False, ddof=1)
        M = (1 - lam) * C1 + lam * C0
        n = P.shape[1]
        return Quad(G=M[:n, :n], g=M[:n, n], c=float(M[n, n]), p_ref=p_ref, notional=notional)

    @staticmethod
    def kkt(q: Quad, *, lb=None, ub=None, A_eq=None, b_eq=None, C=None, h=None,
            guess: np.ndarray, tol: float = 1e-7) -> np.ndarray:
        """Minimiser of ``q`` s.t. ``lb <= x <= ub, A_eq x = b_eq, C x <= h``, certified by KKT.

        The active set is read off ``guess`` (a solver's answer); the equality-constrained KKT
        system on that active set is solved with ``numpy.linalg.lstsq`` and then every KKT
        condition (primal feasibility, multiplier signs) is asserted, so the returned point is
        the optimum whatever produced ``guess``.
        """
        n = q.G.shape[0]
        lb = np.full(n, -np.inf) if lb is None else np.broadcast_to(np.asarray(lb, float), (n,))
        ub = np.full(n, np.inf) if ub is None else np.broadcast_to(np.asarray(ub, float), (n,))
        A_eq = np.zeros((0, n)) if A_eq is None else np.atleast_2d(np.asarray(A_eq, float))
        b_eq = np.zeros(0) if b_eq is None else np.atleast_1d(np.asarray(b_eq, float))
        C = np.zeros((0, n)) if C is None else np.atleast_2d(np.asarray(C, float))
        h = np.zeros(0) if h is None else np.atleast_1d(np.asarray(h, float))
        scale = max(1.0, float(np.max(np.abs(guess))))
        at_lb = np.isfinite(lb) & (np.abs(guess - lb) <= 1e-6 * scale)
        at_ub = np.isfinite(ub) & (np.abs(guess - ub) <= 1e-6 * scale) & ~at_lb
        act = (np.abs(C @ guess - h) <= 1e-6 * max(1.0, float(np.max(np.abs(h), initial=0))))
        E = np.vstack([np.eye(n)[at_lb], np.eye(n)[at_ub], A_eq, C[act]])
        e = np.concatenate([lb[at_lb], ub[at_ub], b_eq, h[act]])
        m = E.shape[0]
        K = np.block([[2 * q.G, E.T], [E, np.zeros((m, m))]])
        rhs = np.concatenate([2 * q.g, e])
        sol = np.linalg.lstsq(K, rhs, rcond=1e-13)[0]
        x, nu = sol[:n], sol[n:]
        # stationarity and primal feasibility
        gscale = max(1.0, float(np.max(np.abs(q.g))), float(np.max(np.abs(np.diag(q.G)))))
        resid = 2 * q.G @ x - 2 * q.g + E.T @ nu
        assert np.max(np.abs(resid)) <= 1e-8 * gscale, "KKT stationarity"
        assert np.all(x >= lb - 1e-9) and np.all(x <= ub + 1e-9), "KKT bounds"
        if A_eq.shape[0]:
            assert np.allclose(A_eq @ x, b_eq, atol=1e-10), "KKT equalities"
        if C.shape[0]:
            assert np.all(C @ x <= h + 1e-9), "KKT inequalities"
        # multiplier signs: x >= lb active => nu <= 0; x <= ub and C x <= h active => nu >= 0
        k1, k2 = int(at_lb.sum()), int(at_lb.sum() + at_ub.sum())
        k3 = k2 + A_eq.shape[0]
        assert np.all(nu[:k1] <= tol * gscale), "KKT sign (lower bounds)"
        assert np.all(nu[k1:k2] >= -tol * gscale), "KKT sign (upper bounds)"
        assert np.all(nu[k3:] >= -tol * gscale), "KKT sign (rows)"
        return x

    @staticmethod
    def budget_shares(prices: pd.DataFrame, basket: pd.Series, lam: float,
                      notional: float | None = None) -> np.ndarray:
        """Closed form of ``min J(n) s.t. sum n p_ref = notional`` (one Lagrange multiplier)."""
        q = Ref.quad(prices, basket, lam)
        n = q.G.shape[0]
        target = 1.0 if notional is None else notional / q.notional
        K = np.block([[2 * q.G, np.ones((n, 1))], [np.ones((1, n)), np.zeros((1, 1))]])
        x = np.linalg.solve(K, np.concatenate([2 * q.g, [target]]))[:n]
        return q.shares(x)


@pytest.fixture(scope="session")
def ref() -> type[Ref]:
    return Ref


@pytest.fixture(autouse=True)
def _quiet_cvxpy():
    """cvxpy warns about inaccurate solutions of backends hedgeopt then rejects; keep logs clean."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate",
                                category=UserWarning)
        yield


@pytest.fixture
def cvxpy_calls(monkeypatch) -> dict:
    """Backend name -> the keyword arguments hedgeopt passed to that cvxpy backend."""
    import hedgeopt.problem as hp

    seen: dict = {}
    real = hp.solve_cvxpy

    def spy(problem, w, backend, **kw):
        seen[backend.name] = kw
        return real(problem, w, backend, **kw)

    monkeypatch.setattr(hp, "solve_cvxpy", spy)
    return seen


# ------------------------------------------------------------------------------------------------
# real daily prices (../shared/data/daily)
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def real_daily() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``(stock prices, $10M SPY basket, SPY prices)``: the 12 stocks with data on every
    common date, the last 504 days up to 2018-04-11."""
    try:
        stocks, spy = ho.datasets.load_daily()
    except ho.DataNotFound:
        pytest.skip("the real daily prices (../shared/data/daily) are not available")
    full = stocks.columns[stocks.notna().all()]
    prices = stocks[full].iloc[-504:]
    spy = spy.iloc[-504:]
    basket = 1e7 * spy / spy.iloc[-1]
    return prices, basket.rename("basket"), spy
