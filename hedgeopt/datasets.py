"""Data sets shipped with or read by hedgeopt.

Two sources of price data:

* :func:`synthetic_market` — the library's embedded default data: a seeded factor-model market
  (prices of hedge instruments, the dollar value of a basket to hedge, and sectors), used by the
  demo, the examples, the tests and the benchmarks. :func:`synthetic_lots` adds round lots.
* :func:`load_orlib` — the OR-Library index-tracking sets ``indtrack1`` … ``indtrack7``
  (J.E. Beasley), read from a local copy found by :func:`orlib_dir`.
* :func:`load_daily` — real daily adjusted closes of 20 US stocks and SPY (1990-2019, from
  PyPortfolioOpt's test resources), read from a local copy found by :func:`daily_dir`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from hedgeopt.exceptions import DataNotFound, InputError

__all__ = [
    "DAILY_ENV_VAR",
    "ORLIB_ENV_VAR",
    "ORLIB_NAMES",
    "ORLIB_URL",
    "SECTOR_NAMES",
    "daily_dir",
    "load_daily",
    "load_orlib",
    "orlib_dir",
    "synthetic_lots",
    "synthetic_market",
]

#: GICS-like sector names; :func:`synthetic_market` uses the first ``n_sectors``.
SECTOR_NAMES: tuple[str, ...] = (
    "Energy",
    "Materials",
    "Industrials",
    "Cons Disc",
    "Cons Staples",
    "Health Care",
    "Financials",
    "Info Tech",
    "Comm Services",
    "Utilities",
    "Real Estate",
)

#: Environment variable naming a directory that holds ``indtrack1.txt`` … ``indtrack7.txt``.
ORLIB_ENV_VAR = "HEDGEOPT_ORLIB"

#: Environment variable naming a directory that holds ``stock_prices.csv`` and ``spy_prices.csv``.
DAILY_ENV_VAR = "HEDGEOPT_DAILY"

#: Market behind each OR-Library index-tracking file (from the OR-Library description page).
ORLIB_NAMES: dict[int, str] = {
    1: "Hang Seng",
    2: "DAX 100",
    3: "FTSE 100",
    4: "S&P 100",
    5: "Nikkei 225",
    6: "S&P 500",
    7: "Russell 2000",
}

_ANN = 252.0  # trading days per year
_T_DF = 5.0  # degrees of freedom of the Student-t shocks
_MARKET_VOL = 0.16  # annualised vol of the market factor
_SECTOR_VOL = 0.10  # annualised vol of each sector factor
_STYLE_VOL = 0.05  # annualised vol of each style factor
_IDIO_FLOOR = 0.08  # minimum annualised idiosyncratic vol
_VOL_RANGE = (0.15, 0.60)  # range of total annualised vol
_PRICE_BOUNDS = (2.0, 2000.0)  # hard bounds every simulated path stays within
_LEVEL_RANGE = (10.0, 500.0)  # log-uniform range of each path's geometric-mean price level

# ------------------------------------------------------------------------------------------------
# synthetic market
# ------------------------------------------------------------------------------------------------


def _check_int(value: object, field: str, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int or raise :class:`InputError` naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{field} must be an integer, got {value!r}", field=field)
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise InputError(f"{field} must be >= {minimum}{upper}, got {value}", field=field)
    return value


def _tickers(rng: np.random.Generator, n: int) -> list[str]:
    """Draw ``n`` unique pseudo-tickers of 3–4 upper-case letters, in draw order."""
    if n > 26**3 + 26**4:
        raise InputError(f"cannot make {n} unique 3-4 letter tickers", field="n_assets")
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < n:
        m = 2 * (n - len(chosen)) + 16
        lengths = np.where(rng.random(m) < 0.45, 3, 4)
        letters = rng.integers(0, 26, size=(m, 4), dtype=np.uint8) + ord("A")
        raw = letters.tobytes()
        for j in range(m):
            tk = raw[4 * j : 4 * j + lengths[j]].decode("ascii")
            if tk not in seen:
                seen.add(tk)
                chosen.append(tk)
                if len(chosen) == n:
                    break
    return chosen


def synthetic_market(
    n_assets: int = 120,
    n_days: int = 504,
    n_basket: int = 40,
    n_sectors: int = 10,
    notional: float = 10e6,
    seed: int = 7,
    end: str = "2026-06-30",
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    r"""Simulate a market of hedge instruments and a basket to hedge (the library's default data).

    A daily factor model with one market factor, one factor per sector and two style factors,
    driven by fat-tailed shocks. Fully determined by ``seed`` (bit-identical across calls).

    Parameters
    ----------
    n_assets : int, default 120
        Number of hedge instruments (columns of ``prices``). Must be ``>= n_sectors``.
    n_days : int, default 504
        Number of business days (rows), ending at ``end``. Must be ``>= 2``.
    n_basket : int, default 40
        Number of basket constituents. They are drawn from the same model but are *not* among
        the columns of ``prices``, so the basket is hedgeable but not perfectly.
    n_sectors : int, default 10
        Number of sectors, ``1 .. 11``; the first ``n_sectors`` of :data:`SECTOR_NAMES`.
    notional : float, default 10e6
        Dollar value of the basket at the last date.
    seed : int, default 7
        Seed of :func:`numpy.random.default_rng`.
    end : str, default "2026-06-30"
        Last date; the index is ``pd.bdate_range(end=end, periods=n_days)``.

    Returns
    -------
    prices : pandas.DataFrame
        ``n_days x n_assets`` float64 prices in dollars. Index: business days named ``"date"``;
        columns: unique 3–4 letter pseudo-tickers, sorted, named ``"ticker"``.
    basket : pandas.Series
        Dollar value of the basket on each date, named ``"basket"``, equal to ``notional`` at
        the last date (to rounding). ``basket.attrs`` holds ``"units"`` (ticker -> integer
        number of shares), ``"last_prices"`` (ticker -> price at the last date, so that
        ``sum(units * last_prices) == notional``), ``"constituent_sectors"`` (ticker ->
        sector), ``"notional"`` and ``"seed"``.
    sectors : pandas.Series
        Sector name of every column of ``prices`` (index named ``"ticker"``, name
        ``"sector"``). Every one of the ``n_sectors`` sectors has at least one instrument.

    Raises
    ------
    InputError
        If an argument is out of range (``field`` names it).

    Notes
    -----
    For names :math:`i` (instruments and basket constituents alike) and days :math:`t`, the
    daily log-return is

    .. math::

        r_{i,t} = \mu_i + \beta_i f^{M}_t + \gamma_i f^{s(i)}_t
                  + \delta_{i,1} f^{1}_t + \delta_{i,2} f^{2}_t + \sigma_i \varepsilon_{i,t},

    with factors :math:`f^{k}_t = v_k \, z_{k,t} / \sqrt{252}` and shocks
    :math:`z, \varepsilon = \tau \sqrt{(\nu - 2)/\nu}`, :math:`\tau \sim t_{\nu}`, :math:`\nu=5`
    (Student-t scaled to unit variance). Factor vols :math:`v_M = 16\%`, sector
    :math:`v_s = 10\%`, style :math:`v_{1,2} = 5\%` (annualised). Loadings:
    :math:`\beta_i \sim N(1, 0.3^2)` clipped to :math:`[0.3, 2]`,
    :math:`\gamma_i \sim U(0.5, 1.5)`, :math:`\delta_{i,j} \sim N(0, 0.5^2)` clipped to
    :math:`[-1, 1]`. The idiosyncratic vol is set so that the total annualised vol

    .. math::

        V_i^2 = \beta_i^2 v_M^2 + \gamma_i^2 v_s^2 + (\delta_{i,1}^2 + \delta_{i,2}^2) v_1^2
                + 252\,\sigma_i^2

    equals a target drawn from :math:`U(15\%, 60\%)`, with :math:`\sqrt{252}\sigma_i \geq 8\%`
    (the target is raised where needed; :math:`V_i` stays within 15–60 %). The annual drift
    :math:`252\mu_i \sim N(5\%, 5\%^2)`.

    Prices are :math:`P_{i,t} = P_{i,0} \exp(\sum_{u \leq t} r_{i,u})` (the first day's return is
    not applied, so :math:`P_{i,0}` is the first price). :math:`P_{i,0}` is chosen so that the
    geometric mean of the path is log-uniform on $10–$500, then clipped so that the whole path
    stays within $2–$2000 (most prices lie within $5–$1000).

    Basket: weights :math:`w \sim \mathrm{Dirichlet}(2, \dots, 2)` over the ``n_basket``
    constituents, integer units :math:`u_j = \max(1, \mathrm{round}(\text{notional}\, w_j /
    P_{j,T}))`, after which the constituents' price paths are multiplied by the common factor
    :math:`\text{notional} / \sum_j u_j P_{j,T}` (≈ 1) so that the basket is worth exactly
    ``notional`` at the last date while the units stay integers (if ``notional`` is too small
    for whole shares, the factor is well below 1). The basket value is
    :math:`B_t = \sum_j u_j P_{j,t}`.

    Examples
    --------
    >>> prices, basket, sectors = synthetic_market()
    >>> prices.shape, float(basket.iloc[-1])
    ((504, 120), 10000000.0)
    """
    n_assets = _check_int(n_assets, "n_assets", 1)
    n_days = _check_int(n_days, "n_days", 2)
    n_basket = _check_int(n_basket, "n_basket", 1)
    n_sectors = _check_int(n_sectors, "n_sectors", 1, len(SECTOR_NAMES))
    if n_assets < n_sectors:
        raise InputError(
            f"n_assets ({n_assets}) must be >= n_sectors ({n_sectors}) so that every sector "
            "is non-empty",
            field="n_assets",
        )
    notional = float(notional)
    if not np.isfinite(notional) or notional <= 0:
        raise InputError(f"notional must be positive and finite, got {notional!r}", "notional")
    try:
        dates = pd.bdate_range(end=end, periods=n_days, name="date")
    except (ValueError, TypeError) as exc:
        raise InputError(f"end is not a valid date: {end!r} ({exc})", field="end") from exc

    rng = np.random.default_rng(seed)
    # independent streams so that e.g. tickers do not depend on n_days
    rng_names, rng_load, rng_shock, rng_basket = rng.spawn(4)
    n = n_assets + n_basket
    k = 1 + n_sectors + 2  # market, sectors, two styles
    sd_day = 1.0 / np.sqrt(_ANN)
    t_scale = np.sqrt((_T_DF - 2.0) / _T_DF)

    # --- names and sectors --------------------------------------------------------------------
    tickers = np.array(_tickers(rng_names, n), dtype=object)
    # instruments: every sector gets at least one name, the rest at random
    sec_assets = np.concatenate(
        [rng_names.permutation(n_sectors), rng_names.integers(0, n_sectors, n_assets - n_sectors)]
    )
    sec_assets = rng_names.permutation(sec_assets)
    sec_basket = rng_names.integers(0, n_sectors, n_basket)
    sec = np.concatenate([sec_assets, sec_basket])

    # --- loadings -----------------------------------------------------------------------------
    beta = np.clip(rng_load.normal(1.0, 0.3, n), 0.3, 2.0)
    gamma = rng_load.uniform(0.5, 1.5, n)
    delta = np.clip(rng_load.normal(0.0, 0.5, (n, 2)), -1.0, 1.0)
    target = rng_load.uniform(*_VOL_RANGE, n)
    drift = rng_load.normal(0.05, 0.05, n) / _ANN
    sys_var = (
        (beta * _MARKET_VOL) ** 2
        + (gamma * _SECTOR_VOL) ** 2
        + (delta**2).sum(axis=1) * _STYLE_VOL**2
    )
    total_vol = np.minimum(np.maximum(target, np.sqrt(sys_var + _IDIO_FLOOR**2)), _VOL_RANGE[1])
    idio_vol = np.sqrt(np.maximum(total_vol**2 - sys_var, _IDIO_FLOOR**2)) * sd_day

    # loading matrix (k x n), factor vols folded in, in daily units
    load = np.zeros((k, n))
    load[0] = beta * _MARKET_VOL
    load[1 + sec, np.arange(n)] = gamma * _SECTOR_VOL
    load[-2:] = delta.T * _STYLE_VOL
    load *= sd_day * t_scale
    level_u = rng_load.uniform(np.log(_LEVEL_RANGE[0]), np.log(_LEVEL_RANGE[1]), n)

    # --- returns ------------------------------------------------------------------------------
    f = rng_shock.standard_t(_T_DF, size=(n_days - 1, k))
    eps = rng_shock.standard_t(_T_DF, size=(n_days - 1, n))
    eps *= idio_vol * t_scale
    eps += drift
    eps += f @ load
    logp = np.empty((n_days, n))
    logp[0] = 0.0
    np.cumsum(eps, axis=0, out=logp[1:])

    # --- price levels -------------------------------------------------------------------------
    # tiny margin so that exp() round-off cannot step outside the bounds
    lo_b, hi_b = np.log(_PRICE_BOUNDS[0]) + 1e-9, np.log(_PRICE_BOUNDS[1]) - 1e-9
    pmin, pmax = logp.min(axis=0), logp.max(axis=0)
    start = level_u - logp.mean(axis=0)
    lo, hi = lo_b - pmin, hi_b - pmax
    feasible = lo <= hi
    start = np.where(feasible, np.clip(start, lo, hi), 0.5 * (lo + hi))  # centre if range too wide
    logp += start
    px = np.exp(logp)

    # --- basket -------------------------------------------------------------------------------
    bpx = px[:, n_assets:]
    w = rng_basket.dirichlet(np.full(n_basket, 2.0))
    units = np.maximum(1.0, np.rint(notional * w / bpx[-1]))
    bpx *= notional / float(units @ bpx[-1])  # exact notional with integer units
    value = bpx @ units
    value[-1] = notional  # already equal to within an ulp or two; make it exact

    # --- pandas objects -----------------------------------------------------------------------
    names = np.asarray(SECTOR_NAMES[:n_sectors], dtype=object)
    order = np.argsort(tickers[:n_assets], kind="stable")
    cols = pd.Index(tickers[:n_assets][order].tolist(), name="ticker")
    prices = pd.DataFrame(px[:, :n_assets][:, order], index=dates, columns=cols)
    sectors = pd.Series(names[sec_assets[order]].tolist(), index=cols.copy(), name="sector")

    border = np.argsort(tickers[n_assets:], kind="stable")
    btk = tickers[n_assets:][border].tolist()
    basket = pd.Series(value, index=dates.copy(), name="basket")
    basket.attrs = {
        "units": {t: int(u) for t, u in zip(btk, units[border], strict=True)},
        "last_prices": {t: float(p) for t, p in zip(btk, bpx[-1, border], strict=True)},
        "constituent_sectors": {
            t: str(s) for t, s in zip(btk, names[sec_basket[border]], strict=True)
        },
        "notional": notional,
        "seed": seed,
    }
    return prices, basket, sectors


def synthetic_lots(prices: pd.DataFrame, seed: int = 7) -> pd.Series:
    """Draw realistic round lots for the columns of ``prices``.

    Names priced above $300 at the last date trade in lots of 1 (70 %) or 10 (30 %); the
    others in lots of 100 (95 %) or 50 (5 %).

    Parameters
    ----------
    prices : pandas.DataFrame
        Prices with tickers as columns (e.g. from :func:`synthetic_market`); only the last row
        is used.
    seed : int, default 7
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.Series
        int64 lot size per ticker, indexed like ``prices.columns`` (named ``"ticker"``), name
        ``"lot"``.

    Raises
    ------
    InputError
        If ``prices`` is not a non-empty DataFrame with a finite positive last row.
    """
    if not isinstance(prices, pd.DataFrame) or prices.shape[0] == 0:
        raise InputError("prices must be a non-empty DataFrame", field="prices")
    last = prices.iloc[-1].to_numpy(dtype=float)
    if not np.all(np.isfinite(last) & (last > 0)):
        bad = prices.columns[~(np.isfinite(last) & (last > 0))][0]
        raise InputError(f"last price of {bad!r} is not finite and positive", field=str(bad))
    rng = np.random.default_rng(seed)
    u = rng.random(last.size)
    lots = np.where(last > 300.0, np.where(u < 0.7, 1, 10), np.where(u < 0.95, 100, 50))
    return pd.Series(
        lots.astype(np.int64), index=pd.Index(prices.columns, name="ticker"), name="lot"
    )


# ------------------------------------------------------------------------------------------------
# OR-Library
# ------------------------------------------------------------------------------------------------

_ORLIB_K = range(1, 8)
_IT7_SPLICED_BLOCK = 1088  # 1-based stock block of indtrack7 that is spliced (0.01 -> 9.47)


def _data_candidates(var: str = ORLIB_ENV_VAR, name: str = "orlib"
                      ) -> list[tuple[str, Path]]:
    """Directories searched when no ``path`` is given, with a label each, in order."""
    env = os.environ.get(var, "").strip()
    if env:  # an explicit setting is authoritative: do not fall back silently
        return [(f"${var}", Path(env).expanduser())]
    return [
        (
            f"../shared/data/{name} relative to the working directory",
            Path.cwd() / ".." / "shared" / "data" / name,
        ),
        (
            f"shared/data/{name} next to the source checkout",
            Path(__file__).resolve().parents[2] / "shared" / "data" / name,
        ),
    ]


def orlib_dir() -> Path | None:
    """Return the directory :func:`load_orlib` reads when no ``path`` is given, or None.

    The search order is: the directory in the environment variable ``HEDGEOPT_ORLIB`` (if set,
    only that one); else ``../shared/data/orlib`` relative to the current working directory;
    else ``shared/data/orlib`` next to the source checkout (the folder that holds the repo).
    A directory qualifies if it holds at least one ``indtrack*.txt`` file.

    Returns
    -------
    pathlib.Path or None
        The resolved directory, or None when no copy of the data is found (tests and
        benchmarks use this to skip).
    """
    for _, d in _data_candidates():
        if d.is_dir() and any(d.glob("indtrack[1-7].txt")):
            return d.resolve()
    return None


#: Where the OR-Library index-tracking files are published.
ORLIB_URL = "http://people.brunel.ac.uk/~mastjjb/jeb/orlib/indtrackinfo.html"


def _orlib_file(k: int, path: str | os.PathLike | None) -> Path:
    """Locate ``indtrack{k}.txt`` or raise :class:`DataNotFound` listing where it looked."""
    name = f"indtrack{k}.txt"
    if path is not None:
        p = Path(path).expanduser()
        looked = [str(p)] if p.is_file() else [str(p / name)]
        if p.is_file():
            return p.resolve()
        if (p / name).is_file():
            return (p / name).resolve()
    else:
        looked = []
        for label, d in _data_candidates():
            looked.append(f"{d / name} ({label})")
            if (d / name).is_file():
                return (d / name).resolve()
    raise DataNotFound(
        f"OR-Library file {name} not found; looked in: {'; '.join(looked)}. Pass path=... "
        f"(a directory or the file) or set the environment variable {ORLIB_ENV_VAR} to the "
        f"directory holding indtrack1.txt .. indtrack7.txt (download them from J.E. Beasley's "
        f"OR-Library, {ORLIB_URL})."
    )


@functools.lru_cache(maxsize=16)
def _parse_orlib(
    file: str, k: int, mtime_ns: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Parse an indtrack file into read-only (index, prices, block numbers) arrays and N.

    ``mtime_ns`` and ``size`` are part of the cache key only, so that a changed file is re-read.
    """
    text = Path(file).read_bytes()
    try:
        tokens = text.split()
        if len(tokens) < 2:
            raise ValueError("fewer than two tokens")
        n_hdr, t_hdr = int(tokens[0]), int(tokens[1])
        values = np.array(tokens[2:], dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{file}: not an OR-Library index-tracking file ({exc})", "file") from exc
    if n_hdr < 1 or t_hdr < 1:
        raise InputError(f"{file}: bad header N={n_hdr}, T={t_hdr}", field="file")
    t1 = t_hdr + 1
    expected = (n_hdr + 1) * t1
    if k == 7:
        # known anomaly: one surplus block of T+1 values beyond the header's N
        if values.size not in (expected, expected + t1):
            raise InputError(
                f"{file}: {values.size} values after the header; expected {expected} "
                f"(N={n_hdr}, T={t_hdr}) or {expected + t1} (with the known surplus block)",
                field="file",
            )
    elif values.size != expected:
        raise InputError(
            f"{file}: {values.size} values after the header but N={n_hdr}, T={t_hdr} implies "
            f"(N+1)(T+1) = {expected}",
            field="file",
        )
    blocks = values.reshape(-1, t1)  # fixed blocks of T+1, never re-aligned
    index = blocks[0].copy()
    keep = np.arange(1, n_hdr + 1)  # drops the surplus block(s) beyond N
    if k == 7 and n_hdr >= _IT7_SPLICED_BLOCK:
        keep = keep[keep != _IT7_SPLICED_BLOCK]
    prices = np.ascontiguousarray(blocks[keep].T)
    if not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise InputError(f"{file}: contains non-finite or non-positive values", field="file")
    for a in (index, prices, keep):
        a.setflags(write=False)
    return index, prices, keep, n_hdr


def load_orlib(k: int, path: str | os.PathLike | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Load OR-Library index-tracking set ``indtrack{k}`` (Beasley), weekly, no dates.

    Where the files come from: J.E. Beasley's OR-Library,
    http://people.brunel.ac.uk/~mastjjb/jeb/orlib/indtrackinfo.html (plain-text
    ``indtrack1.txt`` .. ``indtrack7.txt``; sets 1-5 are the test problems of Beasley, Meade and
    Chang, EJOR 148, 2003). Download them into one directory and set ``$HEDGEOPT_ORLIB`` to it,
    or pass ``path``.

    =====  ==============  ======  =================
    k      market          stocks  columns returned
    =====  ==============  ======  =================
    1      Hang Seng       31      S001 .. S031
    2      DAX 100         85      S001 .. S085
    3      FTSE 100        89      S001 .. S089
    4      S&P 100         98      S001 .. S098
    5      Nikkei 225      225     S001 .. S225
    6      S&P 500         457     S001 .. S457
    7      Russell 2000    1318    1317 (see Notes)
    =====  ==============  ======  =================

    Parameters
    ----------
    k : int
        File number, 1..7. (``indtrack8``, the Russell 3000, is not available.)
    path : str or os.PathLike, optional
        A directory containing ``indtrack{k}.txt``, or the file itself. Default: the first of
        ``$HEDGEOPT_ORLIB`` (a directory; if set, only it is searched),
        ``../shared/data/orlib`` relative to the working directory, and ``shared/data/orlib``
        next to the source checkout (see :func:`orlib_dir`).

    Returns
    -------
    index : pandas.Series
        Index level at weeks 0..T (T = 290, so 291 values), named ``"index"``.
    prices : pandas.DataFrame
        Stock prices, 291 rows. Index: ``RangeIndex`` named ``"week"``; columns (named
        ``"ticker"``): ``"S"`` + the 1-based block number of the stock in the file (the index
        is block 0), zero-padded to ``max(3, len(str(N)))`` digits — ``S001`` … for files 1–6,
        ``S0001`` … for file 7. A dropped block leaves a gap, so the other stocks keep their
        file numbers.

    Raises
    ------
    InputError
        If ``k`` is not in 1..7 (``field="k"``), or the file does not have the expected number
        of values, i.e. ``2 + (N+1)(T+1)`` tokens, or holds non-positive values (the message
        names the file).
    DataNotFound
        If the file is not found (the message lists where it looked).

    Notes
    -----
    The file is one whitespace-separated token stream (line breaks, CRLF and blank lines carry
    no meaning): N, T, then the index at t = 0..T, then N blocks of T+1 prices.

    ``indtrack7`` is anomalous: its header says N = 1318 but the stream holds 1319 stock blocks.
    It is cut into fixed consecutive blocks of T+1 values (not re-aligned: each part of the
    file is best aligned with the index that way), then

    * the surplus last block (1319) is dropped — only the header's N stocks are kept, as in
      common public loaders;
    * block 1088 is dropped: it is spliced (the price decays to 0.01 and then jumps to 9.47,
      a weekly "return" of +946x), which would dominate any tracking-error optimisation.

    The result has **1317** stocks, columns ``S0001`` … ``S1318`` without ``S1088``. Other
    outliers are kept (stock 637 has a +14x week, stock 1125 a +4.1x week).

    Parsed arrays are cached in memory per (file, k); every call returns fresh pandas objects.

    Examples
    --------
    >>> index, prices = load_orlib(1)  # doctest: +SKIP
    >>> prices.shape, index.iloc[0]  # doctest: +SKIP
    ((291, 31), 8749.32)
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"k must be an integer in 1..7, got {k!r}", field="k")
    k = int(k)
    if k == 8:
        raise InputError(
            "indtrack8 (Russell 3000) is not available: no copy of the file was found (the "
            "public copies lack it); use k in 1..7",
            field="k",
        )
    if k not in _ORLIB_K:
        raise InputError(f"k must be in 1..7 (indtrack1..indtrack7), got {k}", field="k")
    file = _orlib_file(k, path)
    st = file.stat()
    index, prices, blocks, n_hdr = _parse_orlib(str(file), k, st.st_mtime_ns, st.st_size)
    width = max(3, len(str(n_hdr)))
    weeks = pd.RangeIndex(index.size, name="week")
    cols = pd.Index([f"S{b:0{width}d}" for b in blocks], name="ticker")
    return (
        pd.Series(index.copy(), index=weeks, name="index"),
        pd.DataFrame(prices.copy(), index=weeks.copy(), columns=cols),
    )


# ------------------------------------------------------------------------------------------------
# real daily prices
# ------------------------------------------------------------------------------------------------

_DAILY_FILES = ("stock_prices.csv", "spy_prices.csv")


def daily_dir() -> Path | None:
    """The directory :func:`load_daily` reads when no ``path`` is given, or None.

    Searched as :func:`orlib_dir` does, with ``$HEDGEOPT_DAILY`` and ``shared/data/daily``; a
    directory qualifies if it holds both ``stock_prices.csv`` and ``spy_prices.csv``.
    """
    for _, d in _data_candidates(DAILY_ENV_VAR, "daily"):
        if all((d / f).is_file() for f in _DAILY_FILES):
            return d.resolve()
    return None


def load_daily(path: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Real daily adjusted closes: 20 US stocks and SPY, on their common dates.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The directory holding ``stock_prices.csv`` and ``spy_prices.csv`` (default:
        :func:`daily_dir`).

    Returns
    -------
    stocks : pandas.DataFrame
        Dates (a ``DatetimeIndex`` named ``"date"``) x 20 tickers, on the dates both files
        share (1993-01-29 .. 2018-04-11, 6,346 rows). Ragged at the start: a column is NaN
        until the stock listed (e.g. BABA from 2014-09-19), with no gaps after; select the
        columns with full data in a window with ``stocks.loc[a:b].dropna(axis=1)``.
    spy : pandas.Series
        SPY's adjusted close on the same dates, named ``"SPY"``.

    Raises
    ------
    DataNotFound
        If the files are not found (the message lists where it looked).
    InputError
        If a file lacks its ``date`` column or holds a non-positive price.
    """
    if path is not None:
        dirs = [("path", Path(path).expanduser())]
    else:
        dirs = _data_candidates(DAILY_ENV_VAR, "daily")
    found = next((d for _, d in dirs if all((d / f).is_file() for f in _DAILY_FILES)), None)
    if found is None:
        looked = "; ".join(f"{d} ({label})" for label, d in dirs)
        raise DataNotFound(
            f"daily price files {' and '.join(_DAILY_FILES)} not found; looked in: {looked}. "
            f"Pass path=... or set the environment variable {DAILY_ENV_VAR} to their directory.")
    frames = []
    for name in _DAILY_FILES:
        df = pd.read_csv(found / name)
        if "date" not in df.columns:
            raise InputError(f"{found / name}: no 'date' column", field="date")
        df = df.set_index(pd.DatetimeIndex(pd.to_datetime(df.pop("date")), name="date"))
        if (df <= 0).any().any():
            bad = df.columns[(df <= 0).any()][0]
            raise InputError(f"{found / name}: non-positive price of {bad}", field=str(bad))
        frames.append(df.astype(float))
    stocks, spy = frames
    common = stocks.index.intersection(spy.index)
    stocks = stocks.loc[common]
    stocks.columns.name = "ticker"
    return stocks, spy.loc[common, "SPY"].rename("SPY")
