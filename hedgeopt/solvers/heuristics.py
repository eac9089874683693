"""Fast whole-share search: constraint-respecting rounding, local moves, large neighbourhoods.

The problem is the one of :mod:`hedgeopt.solvers.wholeshare`: integer lots ``z``, weights
``w = u * z``, objective ``f(w) = 0.5 w'Qw - q'w + c``, a merged linear form, and the optional
turnover, cardinality, minimum-position and minimum-trade restrictions.

Pipeline (:func:`solve_heuristic`)
----------------------------------
1. **Rounding that respects every constraint.** The continuous optimum (or ``start``) is
   truncated toward zero to whole lots inside the bounds, the largest ``max_names`` positions
   are kept, every lot count is moved to its nearest allowed value (minimum position / minimum
   trade holes), and a greedy repair walks single-lot moves that reduce the total constraint
   violation, ties broken by the objective. When ``Q`` has far fewer directions than names
   (rank < 0.8 N, N >= 150) and lots are fine (the relaxation's median held name is a lot or
   more), a continuous-then-fix **dive** (:func:`dive`) is tried too: batches of held names
   are rounded and fixed while the bounded QP over the free names is re-solved, so the free
   names absorb the rounding error; the better start after local search seeds the LNS.
2. **Local search.** With the gradient ``g = Q w - q`` kept up to date, moving name ``i`` by
   ``delta`` lots changes ``f`` by ``delta u_i g_i + 0.5 delta^2 u_i^2 Q_ii`` and ``g`` by
   ``delta u_i Q[:, i]`` (O(N)). All single moves (next allowed lot count up or down) are scored
   at once, then all pairs (``+-1`` step on ``i`` and on ``j``, which adds the cross term
   ``delta_i delta_j u_i u_j Q_ij``; a swap is how the search moves along a tight budget).
   Only moves that keep every constraint satisfied are taken.
3. **Large-neighbourhood search (LNS).** A subset ``S`` of names is freed (chosen at random,
   by correlation with a random name through ``Q``, or by gradient), the others stay fixed, and
   the small integer problem over ``S`` is solved by an exact, vectorised sphere-decoding
   enumeration (Schnorr-Euchner style, breadth first): with ``H = diag(u_S) Q_SS diag(u_S)``
   factored as ``R'R`` the change of ``f`` is ``0.5 ||R (x - x*)||^2 - const``; partial sums
   over fixed levels are lower bounds, so a branch is cut as soon as it cannot beat the
   incumbent, or cannot reach the rows, turnover or cardinality limits with its remaining
   variables. If the tree grows beyond a cap the best partial nodes are kept (the solve is then
   heuristic). The neighbourhood size adapts to how hard the last solves were.

Everything is deterministic for a given ``seed`` and time-independent except for when the
time limit stops the LNS.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.linalg as sla

from hedgeopt.solvers.wholeshare import WholeShareOutcome, WholeShareSpec

__all__ = ["feasible", "infeasibility_proof", "lot_bounds", "single_name_point", "solve_heuristic",
           "Searcher"]

#: Internal feasibility margin in weights (the checker's default tolerance is 1e-9).
EPS = 1e-11
BIG = 2**40


def _int_lb(lb: np.ndarray, u: np.ndarray, margin: float = EPS) -> np.ndarray:
    """Smallest integer z with u z >= lb - margin (float array; -inf where unbounded)."""
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.ceil((lb - margin) / u)
        z = np.where(np.isfinite(z), z, -np.inf)
        fin = np.isfinite(z)
        z[fin] += np.where(u[fin] * z[fin] < lb[fin] - margin, 1, 0)
        z[fin] -= np.where(u[fin] * (z[fin] - 1) >= lb[fin] - margin, 1, 0)
    return z


def _int_ub(ub: np.ndarray, u: np.ndarray, margin: float = EPS) -> np.ndarray:
    """Largest integer z with u z <= ub + margin (float array; +inf where unbounded)."""
    return -_int_lb(-ub, u, margin)


def lot_bounds(spec: WholeShareSpec, margin: float = EPS, rounds: int = 3
               ) -> tuple[np.ndarray, np.ndarray]:
    """Integer bounds ``zl <= z <= zu`` on the lots, tightened by the rows and the turnover.

    Every ``z`` that meets the bounds, the rows and the turnover limit within ``margin`` (in
    weights) lies in the box, so a name with ``zl > zu`` proves that no such ``z`` exists.

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    margin : float
        Slack allowed on every bound and row (the search uses :data:`EPS`; a proof of
        infeasibility uses the verification tolerance, so that it also holds within it).
    rounds : int
        Rounds of bound propagation through the rows.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``zl`` and ``zu`` as floats (``-inf`` / ``+inf`` where unbounded).
    """
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    form = spec.form
    A = np.asarray(form.A, dtype=float).reshape(-1, n)
    lo = np.asarray(form.lo, dtype=float)
    hi = np.asarray(form.hi, dtype=float)
    zl = _int_lb(np.asarray(form.lb, dtype=float), u, margin)
    zu = _int_ub(np.asarray(form.ub, dtype=float), u, margin)
    for _ in range(rounds):
        changed = False
        for j in range(A.shape[0]):
            a = A[j] * u  # per lot
            with np.errstate(invalid="ignore"):
                mn = np.where(a == 0, 0.0, np.where(a >= 0, a * zl, a * zu))  # finite or -inf
                mx = np.where(a == 0, 0.0, np.where(a >= 0, a * zu, a * zl))  # finite or +inf
                fmn, fmx = np.isfinite(mn), np.isfinite(mx)
                smn, smx = float(mn[fmn].sum()), float(mx[fmx].sum())
                imn, imx = int((~fmn).sum()), int((~fmx).sum())
                for i in np.flatnonzero(a != 0):
                    # the row's least / largest value over the other names (O(1) per name)
                    if fmn[i]:
                        others_mn = smn - mn[i] if imn == 0 else -np.inf
                    else:
                        others_mn = smn if imn == 1 else -np.inf
                    if fmx[i]:
                        others_mx = smx - mx[i] if imx == 0 else np.inf
                    else:
                        others_mx = smx if imx == 1 else np.inf
                    if np.isfinite(hi[j]) and np.isfinite(others_mn):
                        lim = (hi[j] - others_mn + margin) / a[i]
                        if a[i] > 0:
                            v = math.floor(lim + 1e-9)
                            if v < zu[i]:
                                zu[i], changed = v, True
                        else:
                            v = math.ceil(lim - 1e-9)
                            if v > zl[i]:
                                zl[i], changed = v, True
                    if np.isfinite(lo[j]) and np.isfinite(others_mx):
                        lim = (lo[j] - others_mx - margin) / a[i]
                        if a[i] > 0:
                            v = math.ceil(lim - 1e-9)
                            if v > zl[i]:
                                zl[i], changed = v, True
                        else:
                            v = math.floor(lim + 1e-9)
                            if v < zu[i]:
                                zu[i], changed = v, True
        if not changed:
            break
    if spec.turnover is not None:
        h, tau = spec.turnover
        h = np.asarray(h, dtype=float)
        zu = np.minimum(zu, np.floor((h + float(tau) + margin) / u + 1e-9))
        zl = np.maximum(zl, np.ceil((h - float(tau) - margin) / u - 1e-9))
    return zl, zu


def feasible(spec: WholeShareSpec, z: np.ndarray, tol: float = 1e-9) -> list[str]:
    """Violations of the lot vector ``z`` (empty when it satisfies every constraint).

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    z : numpy.ndarray
        Lot counts (must be integers).
    tol : float
        Absolute tolerance in weights for the linear form, the turnover limit and thresholds.

    Returns
    -------
    list of str
        One readable message per violation.
    """
    out: list[str] = []
    z = np.asarray(z)
    n = spec.n
    if z.shape != (n,):
        return [f"z has shape {z.shape}, expected ({n},)"]
    zf = z.astype(float)
    if not np.all(np.isfinite(zf)) or np.any(zf != np.round(zf)):
        out.append("z is not integer")
    w = spec.unit * zf
    f = spec.form
    for i in np.flatnonzero(w < f.lb - tol):
        out.append(f"name {i}: w={w[i]:.12g} below lower bound {f.lb[i]:.12g}")
    for i in np.flatnonzero(w > f.ub + tol):
        out.append(f"name {i}: w={w[i]:.12g} above upper bound {f.ub[i]:.12g}")
    if f.A.shape[0]:
        aw = f.A @ w
        for j in range(f.A.shape[0]):
            label = f.labels[j] if j < len(f.labels) else f"row {j}"
            if aw[j] < f.lo[j] - tol:
                out.append(f"{label}: {aw[j]:.12g} below {f.lo[j]:.12g}")
            if aw[j] > f.hi[j] + tol:
                out.append(f"{label}: {aw[j]:.12g} above {f.hi[j]:.12g}")
    if spec.turnover is not None:
        h, tau = spec.turnover
        t = float(np.abs(w - h).sum())
        if t > tau + tol:
            out.append(f"turnover {t:.12g} above {tau:.12g}")
    if spec.max_names is not None:
        k = int(np.count_nonzero(z))
        if k > spec.max_names:
            out.append(f"{k} names held, more than max_names={spec.max_names}")
    if spec.min_weight is not None:
        mw = np.asarray(spec.min_weight, dtype=float)
        bad = (z != 0) & (np.abs(w) < mw - tol)
        for i in np.flatnonzero(bad):
            out.append(f"name {i}: |w|={abs(w[i]):.12g} below min_weight {mw[i]:.12g}")
    if spec.min_trade is not None:
        h = spec.current if spec.current is not None else np.zeros(n)
        mt = np.asarray(spec.min_trade, dtype=float)
        tr = np.abs(w - h)
        bad = (tr > tol) & (tr < mt - tol)
        for i in np.flatnonzero(bad):
            out.append(f"name {i}: trade {tr[i]:.12g} below min_trade {mt[i]:.12g}")
    return out


# ------------------------------------------------------------------------------------------
# cheap proofs of infeasibility
# ------------------------------------------------------------------------------------------

def infeasibility_proof(spec: WholeShareSpec, tol: float = 1e-9) -> str | None:
    """A short proof, in plain words, that no lot vector meets ``spec`` within ``tol``.

    Tries, in order (each costs O(N m) or less):

    1. **Bounds.** A name whose bounds, or the limits the rows and the turnover leave it
       (:func:`lot_bounds`), hold no whole number of lots.
    2. **Forced names.** More names than ``max_names`` cannot be 0 within their limits.
    3. **Cardinality reach.** With at most ``K`` names, a row reaches at most the sum of its
       ``K`` largest allowed contributions (the forced names' included); below the row's lower
       end (or, symmetrically, above its upper end) nothing is feasible.
    4. **Lot granularity.** When every name that enters a row has a fixed sign and moves the
       row the same way, ``k`` lots in all give a row value in ``[k d_min, k d_max]`` (``d``
       the row change per lot); when no whole ``k`` lands in the row's range, nothing does.
    5. **One name.** With ``max_names == 1`` the problem is ``N`` one-dimensional ones (and
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
        via = f"the rows [{', '.join(rows)}]" if rows else "the turnover limit"
        return (f"no whole number of lots of {spec.name(i)} (one lot is worth "
                f"{spec.money(u[i])}) fits the limits that its bounds and {via} leave it")
    K = spec.max_names
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
    """With ``max_names == 1``: a lot vector holding one name (or none) that meets every
    constraint within ``tol``; None when there is none (or ``max_names != 1``).

    The check is exact, name by name (see :func:`infeasibility_proof`, proof 5). With
    ``best`` the point is the optimum of ``f`` over all of them: on one name ``f`` is a convex
    parabola in the lot count, so its best value on each piece of the allowed set is at the
    whole numbers around its vertex or at the piece's ends, which are all tried.
    """
    if spec.max_names != 1:
        return None
    zl, zu = lot_bounds(spec, tol)
    if np.any(zl > zu):
        return None
    A = np.asarray(spec.form.A, dtype=float).reshape(-1, spec.n)
    return _single_name(spec, A, zl, zu, [""] * A.shape[0], tol, best)[1]


def _cardinality_reach(spec: WholeShareSpec, c: np.ndarray, zl: np.ndarray, zu: np.ndarray,
                       forced: np.ndarray, j: int, label: str, tol: float) -> str | None:
    """Proof 3 of :func:`infeasibility_proof` on row ``j`` (``c``: row change per lot)."""
    K = spec.max_names
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
    """Proof 5 of :func:`infeasibility_proof`: ``max_names == 1`` decided name by name.

    For each name the rows (others at 0), bounds and turnover give an interval of lot counts;
    the thresholds cut holes in it. Every piece of what is left starts at an interval end or a
    hole edge, so checking those values (and their neighbours, against rounding) with
    :func:`feasible` decides whether the name can be held alone. Returns ``(reason, None)``
    when nothing is feasible, else ``(None, z)`` with a feasible ``z`` (with ``best``, the
    one of least ``f``; see :func:`single_name_point`).
    """
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    zero = np.zeros(n, dtype=np.int64)
    incumbent: tuple[float, np.ndarray] | None = None
    if not feasible(spec, zero, tol):
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
    if spec.turnover is not None:
        h, tau = spec.turnover
        h = np.asarray(h, dtype=float)
        r = tau + tol - (np.abs(h).sum() - np.abs(h))
        vl = np.where(r < 0, np.inf, np.maximum(vl, np.ceil((h - r) / u - 1e-9)))
        vh = np.where(r < 0, -np.inf, np.minimum(vh, np.floor((h + r) / u + 1e-9)))
    cur = spec.current if spec.current is not None else np.zeros(n)
    mw = np.asarray(spec.min_weight, float) if spec.min_weight is not None else np.zeros(n)
    mt = np.asarray(spec.min_trade, float) if spec.min_trade is not None else np.zeros(n)
    Qd = np.diag(np.asarray(spec.Q, dtype=float))
    q = np.asarray(spec.q, dtype=float)
    for i in np.flatnonzero(vl <= vh):
        m = max(1.0, math.ceil((mw[i] - tol) / u[i] - 1e-9))
        cands = {vl[i], vh[i], m, -m, round(cur[i] / u[i]),
                 math.floor((cur[i] - mt[i] + tol) / u[i] + 1e-9),
                 math.ceil((cur[i] + mt[i] - tol) / u[i] - 1e-9)}
        if best and Qd[i] > 0:
            vertex = q[i] / (u[i] * Qd[i])  # minimiser of f(v e_i) over real v
            cands |= {math.floor(vertex), math.ceil(vertex)}
        for v in sorted({c + d for c in cands if np.isfinite(c) for d in (-1, 0, 1)}):
            if v == 0 or v < vl[i] or v > vh[i]:
                continue
            z = zero.copy()
            z[i] = int(v)
            if feasible(spec, z, tol):
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
            i = int(np.argmax(big))
            return (f"{hold}: the '{labels[j]}' row needs at least {spec.money(lo[j])}, and a "
                    f"single name reaches at most {spec.money(big[i])} ({spec.name(i)})"), None
        if np.isfinite(hi[j]) and np.all(small > hi[j] + tol):
            i = int(np.argmin(small))
            return (f"{hold}: the '{labels[j]}' row allows at most {spec.money(hi[j])}, and a "
                    f"single name is at least {spec.money(small[i])} ({spec.name(i)})"), None
        return (f"{hold}: no whole number of lots of any single name lands within the "
                f"{spec.money(lo[j])} to {spec.money(hi[j])} that the '{labels[j]}' row "
                f"needs"), None
    return hold, None


class Searcher:
    """State and moves of the whole-share search on one :class:`WholeShareSpec`.

    Holds the incumbent ``z`` with ``w = u z``, the gradient ``g = Q w - q``, the row values
    ``A w``, the turnover and the number of names, all updated in O(N m) per move.
    """

    def __init__(self, spec: WholeShareSpec, seed: int = 0) -> None:
        self.spec = spec
        self.n = n = spec.n
        self.u = np.asarray(spec.unit, dtype=float)
        self.Q = np.asarray(spec.Q, dtype=float)
        self.q = np.asarray(spec.q, dtype=float)
        self.c = float(spec.c)
        self.dQ = np.diag(self.Q).copy()
        form = spec.form
        self.A = np.asarray(form.A, dtype=float).reshape(-1, n)
        self.lo = np.asarray(form.lo, dtype=float)
        self.hi = np.asarray(form.hi, dtype=float)
        self.m = self.A.shape[0]
        self.Au = self.A * self.u  # row change per lot
        self.rng = np.random.default_rng(seed)
        self.turn = None
        if spec.turnover is not None:
            h, tau = spec.turnover
            self.turn = (np.asarray(h, dtype=float), float(tau))
        self.K = spec.max_names
        self.mw = None  # minimum |z| when held, in lots
        if spec.min_weight is not None and np.any(np.asarray(spec.min_weight) > 0):
            mw = np.asarray(spec.min_weight, dtype=float)
            m = np.where(mw > 0, np.ceil((mw - EPS) / self.u), 0.0)
            m = np.where((m > 0) & (self.u * (m - 1) >= mw - EPS), m - 1, m)
            self.mw = np.maximum(m, 0.0)
        self.mt = None
        if spec.min_trade is not None and np.any(np.asarray(spec.min_trade) > 0):
            self.mt = np.asarray(spec.min_trade, dtype=float)
            self.h_trade = (np.asarray(spec.current, dtype=float) if spec.current is not None
                            else np.zeros(n))
        self.holes = self.mw is not None or self.mt is not None
        self._propagate_bounds()
        self.z = np.zeros(n, dtype=np.int64)
        self.set(self.z)

    # -- static helpers ---------------------------------------------------------------------
    def _propagate_bounds(self) -> None:
        """Tighten the integer bounds with the rows and turnover (:func:`lot_bounds`)."""
        zl, zu = lot_bounds(self.spec)
        # finite caps for enumeration (never binding in practice)
        self.zl_f = np.maximum(zl, -BIG)
        self.zu_f = np.minimum(zu, BIG)
        self.zl, self.zu = zl, zu

    def allowed(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether lot count ``v`` is allowed for names ``idx`` (bounds and holes)."""
        ok = (v >= self.zl[idx]) & (v <= self.zu[idx])
        if self.mw is not None:
            ok &= (v == 0) | (np.abs(v) >= self.mw[idx])
        if self.mt is not None:
            t = np.abs(self.u[idx] * v - self.h_trade[idx])
            mt = self.mt[idx]
            ok &= (t <= EPS) | (t >= mt - EPS) | (mt <= 0)
        return ok

    def _fix(self, idx: np.ndarray, v: np.ndarray, up: bool) -> np.ndarray:
        """Move ``v`` to the nearest allowed value in direction ``up`` (holes only)."""
        v = v.astype(float).copy()
        for _ in range(4):
            if self.mw is not None:
                m = self.mw[idx]
                inside = (v != 0) & (np.abs(v) < m)
                if up:
                    v = np.where(inside, np.where(v > 0, m, 0.0), v)
                else:
                    v = np.where(inside, np.where(v < 0, -m, 0.0), v)
            if self.mt is not None:
                u, h, mt = self.u[idx], self.h_trade[idx], self.mt[idx]
                t = u * v - h
                inside = (np.abs(t) > EPS) & (np.abs(t) < mt - EPS) & (mt > 0)
                if np.any(inside):
                    hz = h / u
                    r = np.round(hz)
                    on = np.abs(u * r - h) <= EPS
                    hi_v = np.ceil((h + mt - EPS) / u - 1e-9)
                    hi_v = np.where(u * hi_v - h < mt - EPS, hi_v + 1, hi_v)
                    lo_v = np.floor((h - mt + EPS) / u + 1e-9)
                    lo_v = np.where(h - u * lo_v < mt - EPS, lo_v - 1, lo_v)
                    if up:
                        cand = np.where(on & (v < r), r, hi_v)
                    else:
                        cand = np.where(on & (v > r), r, lo_v)
                    v = np.where(inside, cand, v)
        return v

    def step_values(self, z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Next allowed lot count above and below the current one (NaN where none)."""
        z = self.z if z is None else z
        idx = np.arange(self.n)
        up = z + 1.0
        dn = z - 1.0
        if self.holes:
            up = self._fix(idx, up, True)
            dn = self._fix(idx, dn, False)
            up = np.where(self.allowed(idx, up), up, np.nan)
            dn = np.where(self.allowed(idx, dn), dn, np.nan)
        else:
            up = np.where(up <= self.zu, up, np.nan)
            dn = np.where(dn >= self.zl, dn, np.nan)
        return up, dn

    # -- state ------------------------------------------------------------------------------
    def set(self, z: np.ndarray) -> None:
        """Make ``z`` the current point and recompute every accumulator from scratch."""
        self.z = np.asarray(z, dtype=np.int64).copy()
        self.w = self.u * self.z
        self.g = self.Q @ self.w - self.q
        self.f = float(0.5 * self.w @ (self.g - self.q) + self.c)
        self.aw = self.A @ self.w
        self.tv = float(np.abs(self.w - self.turn[0]).sum()) if self.turn is not None else 0.0
        self.nz = int(np.count_nonzero(self.z))

    def value(self) -> float:
        return float(0.5 * self.w @ (self.Q @ self.w) - self.q @ self.w + self.c)

    def move(self, i: int, v: int) -> None:
        """Set name ``i`` to ``v`` lots, updating accumulators in O(N + m)."""
        d = int(v) - int(self.z[i])
        if d == 0:
            return
        s = d * self.u[i]
        self.f += s * self.g[i] + 0.5 * s * s * self.dQ[i]
        self.g += s * self.Q[:, i]
        if self.m:
            self.aw += s * self.A[:, i]
        if self.turn is not None:
            h = self.turn[0][i]
            self.tv += abs(self.u[i] * v - h) - abs(self.w[i] - h)
        self.nz += int(v != 0) - int(self.z[i] != 0)
        self.z[i] = v
        self.w[i] = self.u[i] * v

    def violation(self) -> float:
        """Total violation of rows and turnover (bounds, holes and names are kept by moves)."""
        v = 0.0
        if self.m:
            v += float(np.maximum(self.lo - self.aw, 0).sum()
                       + np.maximum(self.aw - self.hi, 0).sum())
        if self.turn is not None:
            v += max(self.tv - self.turn[1], 0.0)
        if self.K is not None:
            v += max(self.nz - self.K, 0)
        return v

    # -- move evaluation --------------------------------------------------------------------
    def _single_scores(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective change, new row values and feasibility of moving each name to ``vals``."""
        ok = ~np.isnan(vals)
        d = np.where(ok, vals - self.z, 0.0)
        s = d * self.u
        df = s * self.g + 0.5 * s * s * self.dQ
        feas = ok.copy()
        if self.m:
            new = self.aw[:, None] + self.A * s[None, :]
            feas &= np.all((new >= self.lo[:, None] - EPS) & (new <= self.hi[:, None] + EPS),
                           axis=0)
        else:
            new = None
        if self.turn is not None:
            h, tau = self.turn
            tv = self.tv + np.abs(self.u * np.where(ok, vals, 0) - h) - np.abs(self.w - h)
            feas &= tv <= tau + EPS
        if self.K is not None:
            nz = self.nz + (np.where(ok, vals, 0) != 0).astype(int) - (self.z != 0).astype(int)
            feas &= nz <= self.K
        return df, new, feas

    def descend_singles(self, thr: float, max_moves: int = 10**9,
                        deadline: float | None = None) -> int:
        """Best-improvement single moves until none improves by more than ``thr``.

        Stops early at ``deadline`` (``time.perf_counter()`` seconds), checked every 32 moves.
        """
        moves = 0
        while moves < max_moves:
            if deadline is not None and moves % 32 == 0 and time.perf_counter() >= deadline:
                break
            up, dn = self.step_values()
            df_u, _, fe_u = self._single_scores(up)
            df_d, _, fe_d = self._single_scores(dn)
            df_u = np.where(fe_u, df_u, np.inf)
            df_d = np.where(fe_d, df_d, np.inf)
            iu, idn = int(np.argmin(df_u)), int(np.argmin(df_d))
            if df_u[iu] <= df_d[idn]:
                best, i, v = df_u[iu], iu, up[iu]
            else:
                best, i, v = df_d[idn], idn, dn[idn]
            if not best < -thr:
                break
            self.move(i, int(v))
            moves += 1
        return moves

    def best_pair(self, thr: float, cand: np.ndarray | None = None) -> tuple[float, tuple] | None:
        """Best improving feasible pair move (both names change by one allowed step)."""
        up, dn = self.step_values()
        idx = np.arange(self.n) if cand is None else cand
        opts = []
        for vals in (up, dn):
            ok = ~np.isnan(vals[idx])
            v = np.where(ok, vals[idx], self.z[idx])
            s = (v - self.z[idx]) * self.u[idx]
            lin = s * self.g[idx] + 0.5 * s * s * self.dQ[idx]
            lin = np.where(ok, lin, np.inf)
            opts.append((v, s, lin))
        Qc = self.Q[np.ix_(idx, idx)]
        best = (-thr, None)
        nidx = len(idx)
        tri = np.triu(np.ones((nidx, nidx), dtype=bool), 1)
        for a in range(2):
            va, sa, la = opts[a]
            for b in range(2):
                vb, sb, lb_ = opts[b]
                D = la[:, None] + lb_[None, :] + (sa[:, None] * sb[None, :]) * Qc
                D = np.where(tri, D, np.inf)
                if self.m:
                    for r in range(self.m):
                        Ar = self.A[r, idx]
                        x = self.aw[r] + (Ar * sa)[:, None] + (Ar * sb)[None, :]
                        D = np.where((x >= self.lo[r] - EPS) & (x <= self.hi[r] + EPS), D, np.inf)
                if self.turn is not None:
                    h, tau = self.turn
                    hi_ = h[idx]
                    wa = self.u[idx] * va
                    wb = self.u[idx] * vb
                    ta = np.abs(wa - hi_) - np.abs(self.w[idx] - hi_)
                    tb = np.abs(wb - hi_) - np.abs(self.w[idx] - hi_)
                    D = np.where(self.tv + ta[:, None] + tb[None, :] <= tau + EPS, D, np.inf)
                if self.K is not None:
                    za = (va != 0).astype(int) - (self.z[idx] != 0)
                    zb = (vb != 0).astype(int) - (self.z[idx] != 0)
                    D = np.where(self.nz + za[:, None] + zb[None, :] <= self.K, D, np.inf)
                k = int(np.argmin(D))
                if D.flat[k] < best[0]:
                    i, j = divmod(k, nidx)
                    best = (float(D.flat[k]), (int(idx[i]), int(va[i]), int(idx[j]), int(vb[j])))
        return None if best[1] is None else best

    def local_search(self, thr: float, deadline: float) -> None:
        """Single moves, then pair moves, until no improving move remains (or time is up)."""
        while time.perf_counter() < deadline:
            self.descend_singles(thr, deadline=deadline)
            if time.perf_counter() >= deadline:
                break
            pm = self.best_pair(thr)
            if pm is None:
                break
            i, vi, j, vj = pm[1]
            self.move(i, vi)
            self.move(j, vj)

    # -- repair -----------------------------------------------------------------------------
    def _repair_pair(self, v0: float) -> bool:
        """One pair move that reduces the violation (used when no single move does)."""
        up, dn = self.step_values()
        best = (0.0, None)
        rows = np.arange(self.n)
        for va in (up, dn):
            for vb in (up, dn):
                oka, okb = ~np.isnan(va), ~np.isnan(vb)
                sa = np.where(oka, va - self.z, 0) * self.u
                sb = np.where(okb, vb - self.z, 0) * self.u
                viol = np.zeros((self.n, self.n))
                for r in range(self.m):
                    x = self.aw[r] + (self.A[r] * sa)[:, None] + (self.A[r] * sb)[None, :]
                    viol += np.maximum(self.lo[r] - x, 0) + np.maximum(x - self.hi[r], 0)
                if self.turn is not None:
                    h, tau = self.turn
                    ta = np.abs(self.u * np.where(oka, va, self.z) - h) - np.abs(self.w - h)
                    tb = np.abs(self.u * np.where(okb, vb, self.z) - h) - np.abs(self.w - h)
                    viol += np.maximum(self.tv + ta[:, None] + tb[None, :] - self.turn[1], 0)
                if self.K is not None:
                    za = (np.where(oka, va, 0) != 0).astype(int) - (self.z != 0)
                    zb = (np.where(okb, vb, 0) != 0).astype(int) - (self.z != 0)
                    viol += np.maximum(self.nz + za[:, None] + zb[None, :] - self.K, 0)
                gain = v0 - viol
                gain[~oka, :] = -np.inf
                gain[:, ~okb] = -np.inf
                gain[rows, rows] = -np.inf
                k = int(np.argmax(gain))
                if gain.flat[k] > best[0] + 1e-15:
                    i, j = divmod(k, self.n)
                    best = (float(gain.flat[k]), (i, int(va[i]), j, int(vb[j])))
        if best[1] is None:
            return False
        i, vi, j, vj = best[1]
        self.move(i, vi)
        self.move(j, vj)
        return True

    # -- exact small subproblem -------------------------------------------------------------
    def _center(self, S: np.ndarray, H: np.ndarray, b: np.ndarray, R: np.ndarray,
                x0: np.ndarray, thr: float) -> tuple[np.ndarray | None, float]:
        """Centre and squared radius of the ellipsoid holding every improving point of ``S``.

        With ``d_c`` the continuous minimiser of ``Delta(d) = b'd + 0.5 d'Hd`` over the
        subproblem's bounds and rows, every feasible ``d`` has
        ``Delta(d) >= Delta(d_c) + 0.5 (d - d_c)' H (d - d_c)`` (first-order optimality), so
        ``Delta(d) < -thr`` needs ``||R (d - d_c)||^2 < 2 (-Delta(d_c) - thr)``.
        """
        dc = None
        from hedgeopt.solvers.activeset import solve_qp

        lb = self.zl[S] - x0
        ub = self.zu[S] - x0
        if self.m:
            Ap = self.A[:, S] * self.u[S]
            lo = self.lo - self.aw
            hi = self.hi - self.aw
        else:
            Ap, lo, hi = None, None, None
        try:
            sol = solve_qp(H, -b, lb, ub, Ap, lo, hi, tol=1e-12)
            if sol.status == "optimal" and sol.x is not None:
                dc = sol.x
        except Exception:  # noqa: BLE001 - fall back to the unconstrained centre
            dc = None
        if dc is None:
            dc = -sla.cho_solve((R, False), b, check_finite=False)
        val = float(b @ dc + 0.5 * dc @ (H @ dc))
        scale = float(np.abs(b).sum() + np.abs(np.diag(H)).sum()) + 1e-300
        r2 = 2.0 * (-val - thr) * (1.0 + 1e-9) + 1e-13 * scale
        if not r2 > 0:
            return None, 0.0
        return dc, r2

    def solve_subset(self, S: np.ndarray, cap: int = 20000, thr: float = 0.0,
                     any_feasible: bool = False, deadline: float | None = None
                     ) -> tuple[np.ndarray | None, bool, int]:
        """Best lot counts for the names ``S`` with all others fixed (sphere-decoding search).

        Returns ``(x, exact, nodes)``: ``x`` the new lot counts of ``S`` when they improve
        ``f`` by more than ``thr`` (else None); ``exact`` whether the search was complete.
        """
        S = np.asarray(S, dtype=np.int64)
        s = S.size
        u = self.u[S]
        H = self.Q[np.ix_(S, S)] * np.outer(u, u)
        b = u * self.g[S]
        diag = np.diag(H)
        self.last_ridge = False
        order = _blast_order(H + 1e-11 * max(float(diag.max()), 1e-300) * np.eye(s))
        Sp = S[order]
        bp = b[order]
        R = _chol(H[np.ix_(order, order)])
        if R is None:
            self.last_ridge = True
            eps = 1e-11 * max(float(diag.max()), 1e-300)
            R = _chol(H[np.ix_(order, order)] + eps * np.eye(s), check=False)
            if R is None:
                return None, False, 0
        x0 = self.z[Sp].astype(float)
        Hp = H[np.ix_(order, order)]
        dstar, r2 = self._center(Sp, Hp, bp, R, x0, thr)
        if any_feasible:  # repair: any point meeting the constraints, nearest the centre
            r2 = np.inf
            if dstar is None:
                dstar = -sla.cho_solve((R, False), bp, check_finite=False)
        if dstar is None:
            return None, True, 0
        cstar = x0 + dstar
        zl = self.zl_f[Sp]
        zu = self.zu_f[Sp]
        # fixed parts
        up_ = self.u[Sp]
        aw_rest = self.aw - self.A[:, Sp] @ (up_ * x0) if self.m else np.zeros(0)
        Ap = self.A[:, Sp] * up_ if self.m else np.zeros((0, s))
        # remaining min/max row contribution for positions < j (processed from s-1 down to 0)
        if self.m:
            mn = np.minimum(Ap * zl, Ap * zu)
            mx = np.maximum(Ap * zl, Ap * zu)
            mn = np.where(Ap == 0, 0.0, mn)
            mx = np.where(Ap == 0, 0.0, mx)
            rem_mn = np.concatenate([np.zeros((self.m, 1)), np.cumsum(mn, axis=1)], axis=1)
            rem_mx = np.concatenate([np.zeros((self.m, 1)), np.cumsum(mx, axis=1)], axis=1)
        if self.turn is not None:
            h, tau = self.turn
            hp = h[Sp]
            tv_rest = self.tv - float(np.abs(up_ * x0 - hp).sum())
            tmin = np.where((hp >= up_ * zl) & (hp <= up_ * zu), 0.0,
                            np.minimum(np.abs(up_ * zl - hp), np.abs(up_ * zu - hp)))
            if self.mt is None:
                # nearest lot to h
                near = np.clip(np.round(hp / up_), zl, zu)
                tmin = np.abs(up_ * near - hp)
                tmin = np.minimum(tmin, np.abs(up_ * np.clip(np.floor(hp / up_), zl, zu) - hp))
                tmin = np.minimum(tmin, np.abs(up_ * np.clip(np.ceil(hp / up_), zl, zu) - hp))
            rem_t = np.concatenate([[0.0], np.cumsum(tmin)])
        if self.K is not None:
            nz_rest = self.nz - int(np.count_nonzero(x0))
            forced = ((zl > 0) | (zu < 0)).astype(int)
            rem_k = np.concatenate([[0], np.cumsum(forced)])
        # BFS state
        vals = np.zeros((1, s))
        cost = np.zeros(1)
        acc = np.zeros((1, s))
        rows = aw_rest[None, :].copy() if self.m else None
        tv = np.array([tv_rest]) if self.turn is not None else None
        nzc = np.array([nz_rest]) if self.K is not None else None
        exact = True
        nodes = 0
        diagR = np.diag(R)
        for j in range(s - 1, -1, -1):
            if deadline is not None and time.perf_counter() > deadline:
                return None, False, nodes
            rjj = diagR[j]
            center = cstar[j] - acc[:, j] / rjj
            rem = np.maximum(r2 - cost, 0.0)
            hw = np.sqrt(rem) / rjj if np.isfinite(r2) else np.full(rem.shape, np.inf)
            lo_v = np.maximum(np.ceil(center - hw), zl[j])
            hi_v = np.minimum(np.floor(center + hw), zu[j])
            cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
            total = int(cnt.sum())
            if total == 0:
                return None, exact, nodes
            if total > 50 * cap:
                # too wide: keep the values nearest to each node's centre
                exact = False
                per = max(1, (50 * cap) // max(len(cnt), 1))
                mid = np.clip(np.round(center), lo_v, hi_v)
                lo2 = np.maximum(lo_v, mid - per // 2)
                hi2 = np.minimum(hi_v, lo2 + per - 1)
                lo_v, hi_v = lo2, hi2
                cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
                total = int(cnt.sum())
            rep = np.repeat(np.arange(cnt.size), cnt)
            offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            v = lo_v[rep] + offs
            nodes += total
            keep = np.ones(total, dtype=bool)
            if self.holes:
                keep &= self.allowed(np.full(total, Sp[j]), v)
            newcost = cost[rep] + (rjj * (v - center[rep])) ** 2
            keep &= newcost <= r2
            if self.m:
                nr = rows[rep] + v[:, None] * Ap[:, j][None, :]
                keep &= np.all((nr + rem_mn[:, j][None, :] <= self.hi[None, :] + EPS)
                               & (nr + rem_mx[:, j][None, :] >= self.lo[None, :] - EPS), axis=1)
            if self.turn is not None:
                nt = tv[rep] + np.abs(up_[j] * v - hp[j])
                keep &= nt + rem_t[j] <= tau + EPS
            if self.K is not None:
                nk = nzc[rep] + (v != 0)
                keep &= nk + rem_k[j] <= self.K
            sel = np.flatnonzero(keep)
            if sel.size == 0:
                return None, exact, nodes
            if sel.size > cap:
                exact = False
                part = np.argpartition(newcost[sel], cap)[:cap]
                sel = sel[part]
            r_ = rep[sel]
            vv = v[sel]
            vals = vals[r_]
            vals[:, j] = vv
            cost = newcost[sel]
            acc = acc[r_] + (vv - cstar[j])[:, None] * R[:, j][None, :]
            if self.m:
                rows = nr[sel]
            if self.turn is not None:
                tv = nt[sel]
            if self.K is not None:
                nzc = nk[sel]
        # rank the leaves by the true change of f (the tree cost is only a lower bound)
        D = np.round(vals) - x0[None, :]
        dfv = D @ bp + 0.5 * np.einsum("ij,ij->i", D @ Hp, D)
        k = int(np.argmin(dfv))
        if any_feasible or (dfv[k] < -thr and np.any(D[k] != 0)):
            x = np.empty(s, dtype=np.int64)
            x[order] = np.round(vals[k]).astype(np.int64)
            return x, exact, nodes
        return None, exact, nodes


def _chol(H: np.ndarray, check: bool = True) -> np.ndarray | None:
    """Upper Cholesky factor, or None when ``H`` is not (numerically) positive definite."""
    try:
        R = sla.cholesky(H, lower=False, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    d = np.abs(np.diag(R))
    if check and (not np.all(np.isfinite(d)) or d.min() <= 1e-7 * d.max()):
        return None
    return R


def _blast_order(H: np.ndarray) -> np.ndarray:
    """Order for the upper Cholesky factor: the last positions get the best-determined names.

    A one-shot version of the V-BLAST rule: names sorted by ``(H^{-1})_jj`` descending, so that
    the enumeration (which starts at the last position) first fixes the names whose value is
    best determined by the others (largest conditional curvature ``1 / (H^{-1})_jj``).
    """
    s = H.shape[0]
    if s <= 120:
        return _blast_order_exact(H)
    try:
        c = sla.cho_factor(H, lower=False, check_finite=False)
        Ri = sla.solve_triangular(c[0], np.eye(s), lower=False, check_finite=False)
        dinv = np.einsum("ij,ij->i", Ri, Ri)  # diag(H^-1) = row norms of R^-1
    except (np.linalg.LinAlgError, ValueError):
        return np.arange(s)
    return np.argsort(-dinv, kind="stable")


def _blast_order_exact(H: np.ndarray) -> np.ndarray:
    """Greedy V-BLAST order: position ``s-1`` (enumerated first) takes the name with the
    smallest ``(H^{-1})_jj`` (largest ``R_jj``), then the rest recursively (Schur updates of
    the inverse)."""
    s = H.shape[0]
    try:
        Hi = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.arange(s)
    remaining = list(range(s))
    order = [0] * s
    for pos in range(s - 1, -1, -1):
        k = int(np.argmin(np.diag(Hi)))
        order[pos] = remaining[k]
        if len(remaining) > 1:
            col = Hi[:, k].copy()
            Hi = Hi - np.outer(col, col) / Hi[k, k]
            Hi = np.delete(np.delete(Hi, k, 0), k, 1)
        del remaining[k]
    return np.array(order)


def _lll(R: np.ndarray, t: np.ndarray, delta: float = 0.75, deadline: float | None = None
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LLL reduction of the columns of the upper-triangular ``R`` (Givens form).

    Returns ``(R', U, t')`` with ``R U = G R'`` for an orthogonal ``G`` (never formed),
    ``U`` unimodular and ``t' = G' t``; so ``||R d - t|| = ||R' y - t'||`` with ``d = U y``.
    The identity holds after every step, so stopping at ``deadline`` returns a valid, less
    reduced basis.
    """
    R = np.array(R, dtype=float, copy=True)
    t = np.array(t, dtype=float, copy=True)
    s = R.shape[0]
    U = np.eye(s)
    k = 1
    steps = 0
    while k < s:
        steps += 1
        if deadline is not None and steps % 64 == 0 and time.perf_counter() >= deadline:
            break
        # size-reduce column k against k-1 (enough for the Lovasz test)
        r = R[k - 1, k - 1]
        mu = round(R[k - 1, k] / r)
        if mu:
            R[:k, k] -= mu * R[:k, k - 1]
            U[:, k] -= mu * U[:, k - 1]
        a, b, c = R[k - 1, k - 1], R[k - 1, k], R[k, k]
        if delta * a * a > b * b + c * c:
            R[:, [k - 1, k]] = R[:, [k, k - 1]]
            U[:, [k - 1, k]] = U[:, [k, k - 1]]
            x, y = R[k - 1, k - 1], R[k, k - 1]
            h = math.hypot(x, y)
            cs, sn = x / h, y / h
            r1 = R[k - 1, k - 1:].copy()
            r2 = R[k, k - 1:].copy()
            R[k - 1, k - 1:] = cs * r1 + sn * r2
            R[k, k - 1:] = -sn * r1 + cs * r2
            R[k, k - 1] = 0.0
            t1, t2 = t[k - 1], t[k]
            t[k - 1], t[k] = cs * t1 + sn * t2, -sn * t1 + cs * t2
            k = max(k - 1, 1)
        else:
            # complete the size reduction of column k, then move on
            for i in range(k - 2, -1, -1):
                mu = round(R[i, k] / R[i, i])
                if mu:
                    R[: i + 1, k] -= mu * R[: i + 1, i]
                    U[:, k] -= mu * U[:, i]
            k += 1
    return R, U, t


def _bfs_plain(R: np.ndarray, center: np.ndarray, r2: float, cap: int,
               deadline: float | None = None) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """All integer ``y`` with ``||R (y - center)||^2 <= r2`` (breadth first, capped).

    Returns ``(Y, cost, exact, nodes)``; when more than ``cap`` partial nodes survive a level
    the ``cap`` cheapest are kept and ``exact`` is False. At ``deadline`` the search stops
    with no points (``exact`` False).
    """
    s = R.shape[0]
    diagR = np.abs(np.diag(R))
    vals = np.zeros((1, s))
    cost = np.zeros(1)
    acc = np.zeros((1, s))
    exact, nodes = True, 0
    for j in range(s - 1, -1, -1):
        if deadline is not None and time.perf_counter() > deadline:
            return np.zeros((0, s)), np.zeros(0), False, nodes
        rjj = R[j, j]
        c = center[j] - acc[:, j] / rjj
        hw = np.sqrt(np.maximum(r2 - cost, 0.0)) / diagR[j]
        lo_v = np.ceil(c - hw)
        hi_v = np.floor(c + hw)
        cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
        total = int(cnt.sum())
        if total == 0:
            return np.zeros((0, s)), np.zeros(0), exact, nodes
        if total > 50 * cap:
            exact = False
            per = max(1, (50 * cap) // cnt.size)
            mid = np.clip(np.round(c), lo_v, hi_v)
            lo_v = np.maximum(lo_v, mid - per // 2)
            hi_v = np.minimum(hi_v, lo_v + per - 1)
            cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
            total = int(cnt.sum())
        rep = np.repeat(np.arange(cnt.size), cnt)
        v = lo_v[rep] + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        nodes += total
        newcost = cost[rep] + (rjj * (v - c[rep])) ** 2
        sel = np.flatnonzero(newcost <= r2)
        if sel.size > cap:
            exact = False
            sel = sel[np.argpartition(newcost[sel], cap)[:cap]]
        r_ = rep[sel]
        vals = vals[r_]
        vals[:, j] = v[sel]
        cost = newcost[sel]
        acc = acc[r_] + (v[sel] - center[j])[:, None] * R[:, j][None, :]
    return vals, cost, exact, nodes


def _solve_subset_lll(self: Searcher, S: np.ndarray, cap: int = 4000, thr: float = 0.0,
                      deadline: float | None = None) -> tuple[np.ndarray | None, bool, int]:
    """Like :meth:`Searcher.solve_subset`, enumerating in an LLL-reduced basis.

    The bounds, rows and other restrictions are checked on the enumerated points (they do
    not prune the tree), so a complete enumeration is still exact.
    """
    S = np.asarray(S, dtype=np.int64)
    u = self.u[S]
    H = self.Q[np.ix_(S, S)] * np.outer(u, u)
    b = u * self.g[S]
    R = _chol(H)
    if R is None:
        return None, False, 0
    dstar, r2 = self._center(S, H, b, R, self.z[S].astype(float), thr)
    if dstar is None:
        return None, True, 0
    t = R @ dstar
    Rr, U, tr = _lll(R, t, deadline=deadline)
    ystar = sla.solve_triangular(Rr, tr, lower=False, check_finite=False)
    Y, cost, exact, nodes = _bfs_plain(Rr, ystar, r2, cap, deadline)
    if Y.shape[0] == 0:
        return None, exact, nodes
    D = np.round(Y @ U.T)
    ok = np.any(D != 0, axis=1)
    x0 = self.z[S].astype(float)
    X = x0[None, :] + D
    ok &= np.all((X >= self.zl[S]) & (X <= self.zu[S]), axis=1)
    if self.holes:
        ok &= self.allowed(np.broadcast_to(S, X.shape), X).all(axis=1)
    W = X * u  # new weights of S
    dW = W - self.w[S]
    if self.m:
        rows = self.aw[None, :] + dW @ self.A[:, S].T
        ok &= np.all((rows >= self.lo - EPS) & (rows <= self.hi + EPS), axis=1)
    if self.turn is not None:
        h, tau = self.turn
        tv = self.tv + np.abs(W - h[S]).sum(axis=1) - np.abs(self.w[S] - h[S]).sum()
        ok &= tv <= tau + EPS
    if self.K is not None:
        nz = self.nz + np.count_nonzero(X, axis=1) - np.count_nonzero(x0)
        ok &= nz <= self.K
    if not np.any(ok):
        return None, exact, nodes
    cand = np.flatnonzero(ok)
    Dc = D[cand]
    dfv = Dc @ b + 0.5 * np.einsum("ij,ij->i", Dc @ H, Dc)
    k = int(np.argmin(dfv))
    if dfv[k] < -thr:
        return X[cand[k]].astype(np.int64), exact, nodes
    return None, exact, nodes


Searcher.solve_subset_lll = _solve_subset_lll  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------
# rounding, LNS and the entry point
# ------------------------------------------------------------------------------------------

def relaxation(spec: WholeShareSpec) -> tuple[np.ndarray | None, float | None]:
    """The continuous optimum under the linear form (weights, f), computed when not given."""
    if spec.relaxed is not None:
        return np.asarray(spec.relaxed, dtype=float), spec.relaxed_value
    from hedgeopt.solvers.activeset import solve_qp

    f = spec.form
    try:
        sol = solve_qp(spec.Q, spec.q, f.lb, f.ub, f.A, f.lo, f.hi)
    except Exception:  # noqa: BLE001 - the relaxation is only a starting point here
        return None, None
    if sol.x is None or sol.status != "optimal":
        return (sol.x if sol.x is not None else None), None
    x = sol.x
    # a valid bound: it only dropped restrictions (integrality, turnover, thresholds)
    return x, float(0.5 * x @ (spec.Q @ x) - spec.q @ x + spec.c)


def round_feasible(srch: Searcher, x: np.ndarray | None, deadline: float,
                   nearest: bool = True) -> bool:
    """Constraint-respecting rounding of weights ``x`` into ``srch`` (True when feasible).

    ``nearest``: start from the nearest lot counts (else truncate toward zero); keep the
    ``max_names`` largest positions; move every count to its nearest allowed value; then
    repair (cheapest moves that reduce the violation), falling back on the enumeration.
    """
    n, u = srch.n, srch.u
    if x is None:
        x = np.zeros(n) if srch.spec.current is None else np.asarray(srch.spec.current, float)
    r = x / u
    z = np.round(r) if nearest else np.trunc(r)
    z = np.clip(z, srch.zl_f, srch.zu_f)
    if srch.K is not None and np.count_nonzero(z) > srch.K:
        can0 = (srch.zl <= 0) & (srch.zu >= 0)
        score = np.where(can0, np.abs(x), np.inf)
        drop = np.argsort(-score)[srch.K:]
        drop = drop[can0[drop]]
        z[drop] = 0
    if srch.holes:
        idx = np.arange(n)
        bad = ~srch.allowed(idx, z)
        if np.any(bad):
            upv = srch._fix(idx, z, True)
            dnv = srch._fix(idx, z, False)
            oku = srch.allowed(idx, upv)
            okd = srch.allowed(idx, dnv)
            pick = np.where(oku & (~okd | (np.abs(upv - r) <= np.abs(dnv - r))), upv, dnv)
            z = np.where(bad, pick, z)
    srch.set(np.round(z).astype(np.int64))
    ok = srch.repair_min_cost(deadline)
    if not ok:
        # fall back on the enumeration: any feasible point near the continuous centre
        order = np.argsort(-(np.abs(x) + (srch.z != 0)))
        S = np.sort(order[: min(n, 60)])
        xs, _, _ = srch.solve_subset(S, cap=20000, any_feasible=True, deadline=deadline)
        if xs is not None:
            for i, v in zip(S, xs, strict=True):
                srch.move(int(i), int(v))
            srch.set(srch.z)
            ok = srch.violation() <= 0
    return ok


def _degenerate(srch: Searcher) -> bool:
    """Whether ``Q`` has (many) more names than rank: many exact continuous fits exist."""
    n = srch.n
    if n < 150:
        return False
    try:
        ev = np.linalg.eigvalsh(srch.Q)
    except np.linalg.LinAlgError:
        return False
    rank = int(np.count_nonzero(ev > 1e-10 * max(float(ev[-1]), 1e-300)))
    return rank < 0.8 * n


def _fine_lots(srch: Searcher, x: np.ndarray) -> bool:
    """Whether the continuous optimum ``x`` holds a lot or more in its typical held name.

    Then rounding is a small perturbation the free names of a dive can absorb; with coarse
    lots (most held names below one lot) the dive's start is a poorer seed for the LNS.
    """
    held = np.abs(x) > 1e-12
    if not np.any(held):
        return False
    return float(np.median(np.abs(x[held]) / srch.u[held])) >= 1.0


def dive(srch: Searcher, x: np.ndarray, deadline: float, frac: float = 0.05,
         rng: np.random.Generator | None = None) -> np.ndarray | None:
    """Continuous-then-fix dive: round a batch of held names, re-solve the rest, repeat.

    While more names are free than ``Q`` has rank, the free names absorb the rounding error
    of the fixed ones (the continuous problem is degenerate), so the error only builds up in
    the last few rounds. Each round fixes ``frac`` of the free held names (those nearest a
    whole lot first, or at random when ``rng`` is given) at their nearest lot count and
    re-solves the bounded, row-constrained QP over the free names (warm started). Returns
    lot counts (not yet repaired) or None. Only for specs without turnover, cardinality or
    threshold restrictions (the QP ignores those).
    """
    from hedgeopt.solvers.activeset import solve_qp

    spec, u, n = srch.spec, srch.u, srch.n
    f = spec.form
    lb = np.asarray(f.lb, dtype=float).copy()
    ub = np.asarray(f.ub, dtype=float).copy()
    A = srch.A if srch.m else None
    lo = srch.lo if srch.m else None
    hi = srch.hi if srch.m else None
    fixed = np.zeros(n, dtype=bool)
    z = np.zeros(n)
    sol = None
    x = np.asarray(x, dtype=float)
    while time.perf_counter() < deadline:
        P = np.flatnonzero(~fixed & (np.abs(x) > 1e-12))
        if P.size == 0:
            break
        k = min(P.size, max(3, int(math.ceil(frac * P.size))))
        r = x[P] / u[P]
        if rng is None:
            B = P[np.argsort(np.abs(r - np.round(r)), kind="stable")[:k]]
        else:
            B = rng.choice(P, k, replace=False)
        z[B] = np.clip(np.round(x[B] / u[B]), srch.zl_f[B], srch.zu_f[B])
        fixed[B] = True
        lb[B] = ub[B] = u[B] * z[B]
        try:
            sol = solve_qp(srch.Q, srch.q, lb, ub, A, lo, hi, warm=sol)
        except Exception:  # noqa: BLE001 - stop diving, round what is left
            break
        if sol.x is None:
            break
        x = sol.x
    rest = ~fixed
    z[rest] = np.clip(np.round(x[rest] / u[rest]), srch.zl_f[rest], srch.zu_f[rest])
    return np.round(z)


def _repair_min_cost(self: Searcher, deadline: float) -> bool:
    """Moves that reduce the violation, cheapest objective first; pairs when singles stall."""
    while time.perf_counter() < deadline:
        v0 = self.violation()
        if v0 <= 0:
            return True
        up, dn = self.step_values()
        best = (np.inf, None)
        for vals in (up, dn):
            ok = ~np.isnan(vals)
            s = np.where(ok, vals - self.z, 0.0) * self.u
            df = s * self.g + 0.5 * s * s * self.dQ
            viol = np.zeros(self.n)
            if self.m:
                new = self.aw[:, None] + self.A * s[None, :]
                viol += (np.maximum(self.lo[:, None] - new, 0)
                         + np.maximum(new - self.hi[:, None], 0)).sum(axis=0)
            if self.turn is not None:
                h, tau = self.turn
                tv = self.tv + np.abs(self.u * np.where(ok, vals, self.z) - h) - np.abs(self.w - h)
                viol += np.maximum(tv - tau, 0)
            if self.K is not None:
                nz = self.nz + (np.where(ok, vals, 0) != 0).astype(int) - (self.z != 0)
                viol += np.maximum(nz - self.K, 0)
            gain = v0 - viol
            good = ok & (gain > 1e-14 * max(v0, 1e-300))
            if np.any(good):
                # cheapest objective change per unit of violation removed
                score = np.where(good, df / np.maximum(gain, 1e-300), np.inf)
                score = np.where(good & (df < 0), df, score)
                k = int(np.argmin(score))
                if score[k] < best[0]:
                    best = (float(score[k]), (k, int(vals[k])))
        if best[1] is None:
            if not self._repair_pair(v0):
                return False
            continue
        i, v = best[1]
        self.move(i, _extend(self, i, v, v0))
    return self.violation() <= 0


def _extend(self: Searcher, i: int, v: int, v0: float) -> int:
    """Lot count for name ``i`` when the chosen repair step ``z_i -> v`` is one of very many.

    When one step removes less than 1/256 of the violation ``v0`` (a budget thousands of fine
    lots away, say, after a cardinality cut), the step is repeated in one go: ``z_i + t d``
    with ``t`` the smallest minimiser of the violation along that line, within the name's
    bounds, and at most the number of steps that removes half of ``v0`` (so that the next
    choice can spread the rest over other names, as single steps would). The violation is
    convex and piecewise linear in ``t`` (hinges of the rows and the turnover; the name count
    does not change after the first step), and the whole lots around the rows' breakpoints and
    the turnover's kink are tried, with ``t = 1`` among them, so the jump never repairs less
    than the single step. Otherwise (and with thresholds, whose holes break the line) the
    single step is kept: a violation of up to 256 steps is repaired exactly as before.
    """
    d = v - int(self.z[i])
    if self.holes or abs(d) != 1:
        return v
    zi, u = int(self.z[i]), self.u[i]

    def viol(t: np.ndarray) -> np.ndarray:
        s = t * d * u  # weight change
        out = np.zeros(t.shape)
        if self.m:
            new = self.aw[:, None] + self.A[:, i][:, None] * s[None, :]
            out += (np.maximum(self.lo[:, None] - new, 0)
                    + np.maximum(new - self.hi[:, None], 0)).sum(axis=0)
        if self.turn is not None:
            h, tau = self.turn
            tv = self.tv + np.abs(self.w[i] + s - h[i]) - abs(self.w[i] - h[i])
            out += np.maximum(tv - tau, 0)
        return out

    one = float(viol(np.array([1.0]))[0])
    gain = v0 - one
    if not gain * 256 < v0:
        return v
    lim = self.zu[i] - zi if d > 0 else zi - self.zl[i]
    tmax = float(min(lim, 2**31, max(math.ceil(0.5 * v0 / gain), 1)))
    if not tmax > 1:
        return v
    ts = [1.0, tmax]
    with np.errstate(divide="ignore", invalid="ignore"):
        if self.m:
            a = self.A[:, i] * d * u
            for b in (self.lo, self.hi):
                r = (b - self.aw) / a
                ts += [x for x in r[np.isfinite(r)] for x in (math.floor(x), math.ceil(x))]
        if self.turn is not None:
            r = (self.turn[0][i] - self.w[i]) / (d * u)
            if np.isfinite(r):
                ts += [math.floor(r), math.ceil(r)]
    t = np.unique(np.clip(np.array(ts, dtype=float), 1.0, tmax))
    vt = viol(t)
    k = int(np.flatnonzero(vt <= vt.min() + 1e-15 * max(v0, 1e-300))[0])
    return int(zi + int(t[k]) * d)


Searcher.repair_min_cost = _repair_min_cost  # type: ignore[attr-defined]


class _LNS:
    """Large-neighbourhood search driver (subset choice and adaptive size)."""

    def __init__(self, srch: Searcher, rng: np.random.Generator, size0: int | None = None):
        self.s = srch
        self.rng = rng
        n = srch.n
        d = np.sqrt(np.maximum(srch.dQ, 1e-300))
        self.corr = np.abs(srch.Q / d[:, None] / d[None, :])
        self.size = size0 or min(n, 14)
        self.cap = 4000
        self.max_size = 400
        self.lll_prob = 0.0
        self.proven = False

    def choose(self) -> np.ndarray:
        s, n, rng = self.s, self.s.n, self.rng
        k = min(self.size, n)
        if k >= n:
            return np.arange(n)
        mode = rng.random()
        if mode < 0.6:
            # a random name and the names most correlated with it (with some noise)
            i = int(rng.integers(n))
            c = self.corr[i] + 0.3 * rng.random(n)
            c[i] = np.inf
            return np.sort(np.argpartition(-c, k - 1)[:k])
        if mode < 0.8:
            return np.sort(rng.choice(n, k, replace=False))
        # largest |gradient| per lot, plus held names, plus random
        held = np.flatnonzero(s.z != 0)
        score = np.abs(s.u * s.g) * (0.5 + rng.random(n))
        pick = list(np.argpartition(-score, min(k, n) - 1)[: k // 2])
        held = np.setdiff1d(held, pick)
        if held.size:
            pick += list(rng.choice(held, min(held.size, k - len(pick)), replace=False))
        if len(pick) < k:
            rest = np.setdiff1d(np.arange(n), pick)
            pick += list(rng.choice(rest, k - len(pick), replace=False))
        return np.unique(np.array(pick[:k], dtype=np.int64))

    def run(self, deadline: float, thr_rel: float, log: Any = None,
            max_iter: int | None = None) -> dict[str, int]:
        s = self.s
        stats = {"iterations": 0, "improvements": 0, "exact": 0}
        while time.perf_counter() < deadline and (max_iter is None
                                                  or stats["iterations"] < max_iter):
            S = self.choose()
            thr = thr_rel * max(abs(s.f), 1e-300)
            use_lll = self.lll_prob > 0 and self.rng.random() < self.lll_prob
            if use_lll:
                x, exact, nodes = s.solve_subset_lll(S, cap=self.cap, thr=thr,
                                                     deadline=deadline)
                ridge = False
            else:
                x, exact, nodes = s.solve_subset(S, cap=self.cap, thr=thr, deadline=deadline)
                ridge = s.last_ridge
            stats["iterations"] += 1
            stats["exact"] += int(exact)
            if x is not None:
                for i, v in zip(S, x, strict=True):
                    s.move(int(i), int(v))
                if not (exact and S.size == s.n):
                    s.local_search(thr, deadline)
                stats["improvements"] += 1
                if log:
                    log(f"LNS it {stats['iterations']}: f={s.f:.10g} size={self.size}"
                        f"{' (LLL)' if use_lll else ''}")
            if exact and not ridge and S.size == s.n:
                # the whole problem was enumerated: the incumbent is optimal (within thr)
                self.proven = True
                break
            if exact and nodes < 20 * self.cap:
                self.size = min(self.size + 1, s.n, self.max_size)
            elif not exact:
                self.size = max(self.size - 2, 4)
        return stats


def solve_heuristic(spec: WholeShareSpec, *, time_limit: float = 10.0, seed: int = 0,
                    start: np.ndarray | None = None, verbose: bool = False,
                    max_iter: int | None = None, feasibility_only: bool = False
                    ) -> WholeShareOutcome:
    """Whole-share search: rounding, local search, then LNS until ``time_limit``.

    Every phase (rounding and repair, its enumeration fallback, the dive, local search, the
    LNS and its enumerations and lattice reductions) checks one deadline, ``time_limit``
    seconds after the call, so the search returns within a few milliseconds of it (one
    uninterruptible step: a bounded QP of the dive or of an enumeration's centre).

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    time_limit : float
        Seconds (wall clock) for the whole search.
    seed : int
        Seed of the random choices (neighbourhoods); the result is deterministic for a seed
        as long as the time limit is not what stops it (see ``max_iter``).
    start : numpy.ndarray, optional
        Lot counts to start from (used when feasible, else ignored).
    verbose : bool
        Print progress.
    max_iter : int, optional
        Cap on LNS iterations: with it (and a time limit that is not reached) the result does
        not depend on the machine's speed.
    feasibility_only : bool
        Return the first point that meets every constraint (after rounding and repair),
        without improving it: a quick test of whether the restrictions can be met at all.

    Returns
    -------
    WholeShareOutcome
        ``z`` (int64 lots) satisfying every constraint, its value, a lower bound (the
        relaxation, or the value itself when an exhaustive enumeration of the whole problem
        proved optimality), the status and the method that found the incumbent.
    """
    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)
    log = (lambda msg: print(f"[heuristic {time.perf_counter() - t0:7.3f}s] {msg}")) if verbose \
        else None
    rng = np.random.default_rng(seed)
    srch = Searcher(spec, seed)
    info: dict[str, Any] = {}
    if np.any(srch.zl > srch.zu):
        return WholeShareOutcome(None, None, None, "infeasible", "bounds",
                                 time.perf_counter() - t0,
                                 {"reason": "no whole lot fits a name's bounds and rows"})
    xr, rv = relaxation(spec)
    bound = rv
    method = "rounding"
    ok = False
    if start is not None:
        zs = np.asarray(start, dtype=np.int64)
        if zs.shape == (spec.n,) and not feasible(spec, zs, 1e-10):
            srch.set(zs)
            ok, method = True, "start"
            if feasibility_only:
                return _found(spec, srch.z.copy(), bound, t0)
    if not ok:
        # round the relaxation, and the current holdings when given; keep the best
        starts = [xr] + ([np.asarray(spec.current, float)] if spec.current is not None else [])
        best_z = None
        for x0 in starts:
            for nearest in (True, False):
                if time.perf_counter() >= deadline:
                    break
                if round_feasible(srch, x0, deadline, nearest):
                    if feasibility_only:
                        return _found(spec, srch.z.copy(), bound, t0)
                    srch.descend_singles(1e-12 * abs(srch.f), deadline=deadline)
                    if best_z is None or srch.f < spec.value(best_z):
                        best_z = srch.z.copy()
        ok = best_z is not None
        if ok:
            srch.set(best_z)
        if (xr is not None and srch.turn is None and srch.K is None and not srch.holes
                and not feasibility_only and time.perf_counter() < deadline
                and _fine_lots(srch, xr) and _degenerate(srch)):
            # degenerate continuous problem: a continuous-then-fix dive rounds far better
            t_dive = time.perf_counter() + 0.25 * max(deadline - time.perf_counter(), 0.0)
            zd = dive(srch, xr, t_dive, 0.05)
            if zd is not None and round_feasible(srch, srch.u * zd, deadline, True):
                srch.local_search(1e-12 * abs(srch.f), deadline)
                f_dive = srch.f
                zd = srch.z.copy()
                if ok:
                    srch.set(best_z)
                    srch.local_search(1e-12 * abs(srch.f), deadline)
                if not ok or f_dive < srch.f:
                    srch.set(zd)
                    best_z = zd
                    method = "rounding"
                    info["start"] = "dive"
                    ok = True
                info["dive_value"] = f_dive
            elif ok:
                srch.set(best_z)
    if not ok:
        late = time.perf_counter() >= deadline
        why = ("the time limit stopped rounding and repair before they found a feasible point"
               if late else "rounding and repair found no feasible point")
        return WholeShareOutcome(None, None, bound, "failed", "rounding", time.perf_counter() - t0,
                                 {"reason": why})
    if feasibility_only:
        return _found(spec, srch.z.copy(), bound, t0)
    thr_rel = 1e-12
    f_round = srch.f
    srch.local_search(thr_rel * abs(srch.f), deadline)
    info["rounding_value"] = f_round
    if srch.f < f_round - 1e-15 * abs(f_round):
        method = "local search"
    info["local_search_value"] = srch.f
    if log:
        log(f"rounding f={f_round:.10g}; local search f={srch.f:.10g}")
    proven = False
    # tiny problems: one exhaustive enumeration proves optimality
    if srch.n <= 12 and time.perf_counter() < deadline:
        x, exact, _ = srch.solve_subset(np.arange(srch.n), cap=20000, thr=0.0,
                                        deadline=deadline)
        if x is not None:
            srch.set(x)
            method = "enumeration"
        proven = exact and not srch.last_ridge
    if not proven:
        f_ls = srch.f
        lns = _LNS(srch, rng)
        info["lns"] = lns.run(deadline, thr_rel, log, max_iter)
        proven = lns.proven
        if srch.f < f_ls - 1e-15 * abs(f_ls):
            method = "LNS"
    srch.set(srch.z)  # fresh accumulators
    z = srch.z.copy()
    value = spec.value(z)
    if proven:
        bound = value if bound is None else max(bound, value)
    info["proven"] = proven
    status = _status(value, bound, 1e-4)
    return WholeShareOutcome(z, value, bound, status, method, time.perf_counter() - t0, info)


def _found(spec: WholeShareSpec, z: np.ndarray, bound: float | None, t0: float
           ) -> WholeShareOutcome:
    """The outcome of a feasibility-only run that found ``z``."""
    value = spec.value(z)
    return WholeShareOutcome(z, value, bound, _status(value, bound, 1e-4), "rounding",
                             time.perf_counter() - t0, {"feasibility_only": True})


def _status(value: float, bound: float | None, gap: float) -> str:
    if bound is None:
        return "feasible"
    return "optimal" if value - bound <= gap * max(abs(value), 1e-12) else "feasible"
