"""Cheap proofs of infeasibility, and the exact answer when at most one name may be held."""

from __future__ import annotations

import math

import numpy as np

from hedgeopt.solvers.wholeshare.bounds import lot_bounds
from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.integers import _int_lb, _int_ub
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["infeasibility_proof", "single_name_point"]


def infeasibility_proof(spec: WholeShareSpec, tol: float = 1e-9) -> str | None:
    """A short proof, in plain words, that no lot vector meets ``spec`` within ``tol``.

    Tries, in order (each costs O(N m) or less):

    1. **Bounds.** A name whose bounds, or the limits the rows and the rules (the turnover)
       leave it (:func:`lot_bounds`), hold no whole number of lots.
    2. **Forced names.** More names than the rules' name limit ``K``
       (:meth:`~.spec.WholeShareSpec.name_limit`) cannot be 0 within their limits.
    3. **Cardinality reach.** With at most ``K`` names, a row reaches at most the sum of its
       ``K`` largest allowed contributions (the forced names' included); below the row's lower
       end (or, symmetrically, above its upper end) nothing is feasible.
    4. **Lot granularity.** When every name that enters a row has a fixed sign and moves the
       row the same way, ``k`` lots in all give a row value in ``[k d_min, k d_max]`` (``d``
       the row change per lot); when no whole ``k`` lands in the row's range, nothing does.
    5. **One name.** With a name limit of 1 the problem is ``N`` one-dimensional ones (and
       holding nothing): each is decided exactly.

    Every test relaxes the problem (drops restrictions or widens rows by ``tol``), so a proof
    is a proof; ``None`` means "not proven here", never "feasible".

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    tol : float
        Slack in weights allowed on every bound, row and limit (the verification tolerance,
        relative to the notional): a proof also excludes points within ``tol``.

    Returns
    -------
    str or None
        The reason, naming the rows (by label), names and dollar amounts; None if no cheap
        proof applies.
    """
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    form = spec.form
    lb = np.asarray(form.lb, dtype=float)
    ub = np.asarray(form.ub, dtype=float)
    zl0, zu0 = _int_lb(lb, u, tol), _int_ub(ub, u, tol)
    for i in np.flatnonzero(zl0 > zu0)[:1]:
        return (f"no whole number of lots of {spec.name(i)} (one lot is worth "
                f"{spec.money(u[i])}) lies within its bounds of {spec.money(lb[i])} to "
                f"{spec.money(ub[i])}")
    zl, zu = lot_bounds(spec, tol)
    A = np.asarray(form.A, dtype=float).reshape(-1, n)
    labels = [form.labels[j] if j < len(form.labels) else f"row {j}" for j in range(A.shape[0])]
    for i in np.flatnonzero(zl > zu)[:1]:
        rows = [labels[j] for j in np.flatnonzero(A[:, i] != 0)]
        via = f"the rows [{', '.join(rows)}]" if rows else _limiting_rules(spec, i, tol)
        return (f"no whole number of lots of {spec.name(i)} (one lot is worth "
                f"{spec.money(u[i])}) fits the limits that its bounds and {via} leave it")
    K = spec.name_limit()
    forced = (zl > 0) | (zu < 0)
    if K is not None and int(forced.sum()) > K:
        shown = ", ".join(spec.name(i) for i in np.flatnonzero(forced)[:5])
        return (f"{int(forced.sum())} names cannot be 0 within their limits ({shown}"
                f"{', ...' if forced.sum() > 5 else ''}), but at most {K} may be held")
    for j in range(A.shape[0]):
        why = _cardinality_reach(spec, A[j] * u, zl, zu, forced, j, labels[j], tol)
        why = why or _granularity(spec, A[j] * u, zl, zu, j, labels[j], tol)
        if why:
            return why
    if K == 1:
        return _single_name(spec, A, zl, zu, labels, tol)[0]
    return None


def single_name_point(spec: WholeShareSpec, tol: float = 1e-9, best: bool = False
                      ) -> np.ndarray | None:
    """With a name limit of 1 (:meth:`~.spec.WholeShareSpec.name_limit`): a lot vector holding
    one name (or none) that meets every constraint within ``tol``; None when there is none (or
    the name limit is not 1).

    The check is exact, name by name (see :func:`infeasibility_proof`, proof 5). With
    ``best`` the point is the optimum of ``f`` over all of them: on one name ``f`` is a convex
    parabola in the lot count, so its best value on each piece of the allowed set is at the
    whole numbers around its vertex or at the piece's ends, which are all tried.
    """
    if spec.name_limit() != 1:
        return None
    zl, zu = lot_bounds(spec, tol)
    if np.any(zl > zu):
        return None
    A = np.asarray(spec.form.A, dtype=float).reshape(-1, spec.n)
    return _single_name(spec, A, zl, zu, [""] * A.shape[0], tol, best)[1]


def _limiting_rules(spec: WholeShareSpec, i: int, tol: float) -> str:
    """The rules that leave name ``i`` no whole lot, in words (proof 1, without rows)."""
    zl, zu = lot_bounds(spec, tol, with_rules=False)
    labels = []
    for rule in spec.restrictions():
        rl, rh = rule.propagate(zl, zu, tol)
        if rl[i] > zl[i] or rh[i] < zu[i]:
            labels.append(rule.label)
    return " and ".join(labels) or "the whole-share restrictions"


def _cardinality_reach(spec: WholeShareSpec, c: np.ndarray, zl: np.ndarray, zu: np.ndarray,
                       forced: np.ndarray, j: int, label: str, tol: float) -> str | None:
    """Proof 3 of :func:`infeasibility_proof` on row ``j`` (``c``: row change per lot)."""
    K = spec.name_limit()
    if K is None:
        return None
    lo, hi = float(spec.form.lo[j]), float(spec.form.hi[j])
    with np.errstate(invalid="ignore"):
        big = np.where(c == 0, 0.0, np.where(c >= 0, c * zu, c * zl))    # largest contribution
        small = np.where(c == 0, 0.0, np.where(c >= 0, c * zl, c * zu))  # smallest
    free = np.flatnonzero(~forced)
    slots = K - int(forced.sum())
    for side in ("max", "min"):
        part = big if side == "max" else -small
        gains = np.maximum(part[free], 0.0)
        order = np.argsort(-gains, kind="stable")[:max(slots, 0)]
        top = free[order][gains[order] > 0]
        reach = float(part[forced].sum() + part[top].sum())
        if not np.isfinite(reach):
            continue
        held = np.concatenate([np.flatnonzero(forced), top]).astype(np.int64)
        sign = 1.0 if side == "max" else -1.0
        shown = ", ".join(f"{spec.name(i)} {spec.money(sign * part[i])}" for i in held[:5])
        many = f"name{'s' if K > 1 else ''}"
        if side == "max" and np.isfinite(lo) and reach < lo - tol:
            return (f"at most {K} {many} may be held, and then the '{label}' row reaches at most "
                    f"{spec.money(reach)} ({shown or 'nothing held'}), below the "
                    f"{spec.money(lo)} it needs")
        if side == "min" and np.isfinite(hi) and -reach > hi + tol:
            return (f"at most {K} {many} may be held, and then the '{label}' row is at least "
                    f"{spec.money(-reach)} ({shown}), above the {spec.money(hi)} it allows")
    return None


def _granularity(spec: WholeShareSpec, c: np.ndarray, zl: np.ndarray, zu: np.ndarray,
                 j: int, label: str, tol: float) -> str | None:
    """Proof 4 of :func:`infeasibility_proof` on row ``j`` (``c``: row change per lot)."""
    lo, hi = float(spec.form.lo[j]), float(spec.form.hi[j])
    rel = (c != 0) & ~((zl == 0) & (zu == 0))
    if not rel.any():
        return None
    sgn = np.where(zl[rel] >= 0, 1.0, np.where(zu[rel] <= 0, -1.0, 0.0))
    if np.any(sgn == 0):
        return None
    d = c[rel] * sgn  # row change per lot moved away from 0
    if np.all(d > 0):
        lo_, hi_ = lo, hi
    elif np.all(d < 0):
        d, lo_, hi_ = -d, -hi, -lo
    else:
        return None
    # y = |z| per name: y in [ylo, yhi]
    ylo = np.where(sgn > 0, zl[rel], -zu[rel])
    yhi = np.where(sgn > 0, zu[rel], -zl[rel])
    kmin, kmax = float(ylo.sum()), float(yhi.sum())
    dmin, dmax = float(d.min()), float(d.max())
    kl = kmin if not np.isfinite(lo_) else max(kmin, math.ceil((lo_ - tol) / dmax - 1e-9))
    kh = kmax if not np.isfinite(hi_) else min(kmax, math.floor((hi_ + tol) / dmin + 1e-9))
    if not kl > kh:
        return None
    side = "long-only" if np.all(sgn > 0) else ("short-only" if np.all(sgn < 0)
                                                else "fixed-sign")
    k = int(kl)
    if kl <= kmax and np.isfinite(lo_) and np.isfinite(hi_) and k >= 1:
        return (f"one lot moves the '{label}' row by {spec.money(dmin)} to {spec.money(dmax)} "
                f"and the positions are {side}, so {k - 1} lots in all reach at most "
                f"{spec.money((k - 1) * dmax)} and {k} lots at least {spec.money(k * dmin)}: "
                f"none lands within the {spec.money(lo)} to {spec.money(hi)} the row needs")
    return (f"one lot moves the '{label}' row by {spec.money(dmin)} to {spec.money(dmax)} and "
            f"the positions are {side}, so no whole number of lots (between {kmin:g} and "
            f"{kmax:g}) lands within the {spec.money(lo)} to {spec.money(hi)} the row needs")


def _single_name(spec: WholeShareSpec, A: np.ndarray, zl: np.ndarray, zu: np.ndarray,
                 labels: list[str], tol: float, best: bool = False
                 ) -> tuple[str | None, np.ndarray | None]:
    """Proof 5 of :func:`infeasibility_proof`: a name limit of 1 decided name by name.

    For each name the rows (others at 0), bounds and rules (the turnover, through
    :meth:`~.restrictions.Restriction.alone`) give an interval of lot counts; the thresholds
    cut holes in it (their edges: :meth:`~.restrictions.Restriction.alone_values`). Every
    piece of what is left starts at an interval end or a hole edge, so checking those values
    (and their neighbours, against rounding) with :func:`feasible` decides whether the name
    can be held alone. Returns ``(reason, None)`` when nothing is feasible, else ``(None, z)``
    with a feasible ``z`` (with ``best``, the one of least ``f``; see
    :func:`single_name_point`).
    """
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    zero = np.zeros(n, dtype=np.int64)
    incumbent: tuple[float, np.ndarray] | None = None
    if not violations(spec, zero, tol):
        if not best:
            return None, zero  # holding nothing works
        incumbent = (spec.value(zero), zero)
    lo = np.asarray(spec.form.lo, dtype=float)
    hi = np.asarray(spec.form.hi, dtype=float)
    vl, vh = zl.astype(float).copy(), zu.astype(float).copy()
    blocking = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(A.shape[0]):
            c = A[j] * u
            a = np.where(c > 0, (lo[j] - tol) / c, (hi[j] + tol) / c)
            b = np.where(c > 0, (hi[j] + tol) / c, (lo[j] - tol) / c)
            a = np.where(c == 0, np.where(lo[j] - tol <= 0 <= hi[j] + tol, -np.inf, np.inf), a)
            b = np.where(c == 0, np.where(lo[j] - tol <= 0 <= hi[j] + tol, np.inf, -np.inf), b)
            a = np.where(np.isnan(a), -np.inf, a)
            b = np.where(np.isnan(b), np.inf, b)
            nvl = np.maximum(vl, np.ceil(a - 1e-9))
            nvh = np.minimum(vh, np.floor(b + 1e-9))
            blocking[j] = (nvl > nvh) & ~(vl > vh)
            vl, vh = nvl, nvh
    rules = spec.restrictions()
    for rule in rules:
        vl, vh = rule.alone(vl, vh, tol)
    Qd = np.diag(np.asarray(spec.Q, dtype=float))
    q = np.asarray(spec.q, dtype=float)
    for i in np.flatnonzero(vl <= vh):
        cands = {vl[i], vh[i], 1.0, -1.0}  # the ends, the least lots held
        for rule in rules:
            cands |= rule.alone_values(int(i), tol)
        if best and Qd[i] > 0:
            # minimiser of f(v e_i) over real v, on each linear piece of the costs (slope k)
            for k in _cost_slopes(spec, int(i)):
                vertex = (q[i] - k) / (u[i] * Qd[i])
                cands |= {math.floor(vertex), math.ceil(vertex)}
        if best and spec.has_costs:  # the kinks of the costs
            ref = 0.0 if spec.trade_ref is None else float(spec.trade_ref[i]) / u[i]
            cands |= {math.floor(ref), math.ceil(ref)}
        for v in sorted({c + d for c in cands if np.isfinite(c) for d in (-1, 0, 1)}):
            if v == 0 or v < vl[i] or v > vh[i]:
                continue
            z = zero.copy()
            z[i] = int(v)
            if violations(spec, z, tol):
                continue
            if not best:
                return None, z  # name i alone is feasible
            fz = spec.value(z)
            if incumbent is None or fz < incumbent[0]:
                incumbent = (fz, z)
    if incumbent is not None:
        return None, incumbent[1]
    # proven: say why in the words of the row that rules out most names
    hold = ("at most 1 name may be held, and neither holding nothing nor any single name "
            "meets every constraint")
    for j in sorted(blocking, key=lambda j: -int(blocking[j].sum())):
        if blocking[j].sum() < n // 2 + 1:
            break
        c = A[j] * u
        with np.errstate(invalid="ignore"):
            big = np.where(c == 0, 0.0, np.where(c >= 0, c * zu, c * zl))
            small = np.where(c == 0, 0.0, np.where(c >= 0, c * zl, c * zu))
        if np.isfinite(lo[j]) and np.all(big < lo[j] - tol):
            k = int(np.argmax(big))
            return (f"{hold}: the '{labels[j]}' row needs at least {spec.money(lo[j])}, and a "
                    f"single name reaches at most {spec.money(big[k])} ({spec.name(k)})"), None
        if np.isfinite(hi[j]) and np.all(small > hi[j] + tol):
            k = int(np.argmin(small))
            return (f"{hold}: the '{labels[j]}' row allows at most {spec.money(hi[j])}, and a "
                    f"single name is at least {spec.money(small[k])} ({spec.name(k)})"), None
        return (f"{hold}: no whole number of lots of any single name lands within the "
                f"{spec.money(lo[j])} to {spec.money(hi[j])} that the '{labels[j]}' row "
                f"needs"), None
    return hold, None


def _cost_slopes(spec: WholeShareSpec, i: int) -> set[float]:
    """The slopes (per unit of weight) the linear costs of name ``i`` can have: ``{0}``
    without costs."""
    tr = 0.0 if spec.trade_rate is None else float(spec.trade_rate[i])
    sr = 0.0 if spec.short_rate is None else float(spec.short_rate[i])
    return {a + b for a in (-tr, tr) for b in (-sr, 0.0)}
