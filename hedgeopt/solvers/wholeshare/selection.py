r"""Subset selection: which names to hold under ``MaxNames`` (and ``MinPosition``).

Choosing the held names is the hard part of a cardinality problem; the lots on a chosen set
are easy (:mod:`.heuristic` on the restricted problem, :mod:`.restrict`). The search here
works on the exact continuous value ``v(S)`` of a subset (:class:`~.subsetqp.SubsetQP`: the
small QP with the budget, bounds, rows and turnover of the problem on ``S``) and uses the
pricing of :meth:`~.subsetqp.SubsetQP.price` (a rank-one extension of the KKT factor on
``S``) to pick the few candidates worth an exact solve.

Phases (:func:`select_names`)
-----------------------------
1. **Forward selection** (Beasley, Meade and Chang 2003, and the greedy of most cardinality
   papers since): from the names that cannot be zero, add the name whose exact ``v(S + j)``
   is lowest among the ``width`` best priced ones, until ``K`` names are held or no name
   lowers ``v``. A second start keeps the ``K`` largest weights of the continuous relaxation.
2. **Exchange (swap) moves**: for each held name ``i`` (cheapest to remove first, by the
   exact ``v(S - i)``), price every name on ``S - i`` and solve exactly for the best
   ``width``; the first swap that lowers ``v`` is taken. Drops (when fewer names do better,
   as minimum positions can make them) and adds (while ``|S| < K``) are tried alongside.
   This stops at a 1-swap local optimum.
3. **Large-neighbourhood search over subsets** while time remains (the kernel-search idea of
   Guastaroba and Speranza 2012, "free some names, refill greedily", with randomised
   refills): remove ``r`` held names (at random, the least useful, or a group correlated
   through ``Q``), refill by randomised forward selection, run the swaps, then a tabu walk
   over swaps that goes on until :data:`TABU_STALL` moves in a row have not improved its
   own best; keep the result when it is better.

   The walks are long on purpose: on the OR-Library sets (N > T, ``Q`` of rank 144) the
   1-swap local optima are poor (an exhaustive check of every swap of the forward
   selection's optimum on indtrack6 finds none that improves it, at 1.72x the best known)
   and good subsets share few names (3 of 20 between two seeds' answers within 11% of each
   other; 6 of 20 on indtrack6 and 5 of 30 on indtrack7 between a 1.02x and a 1.00x
   answer), so a walk has to cross many worse sets to reach another basin. Walks of 50
   moves left the search circling one basin for the rest of the time on some seeds; with
   walks of 150 moves most rounds' perturb-refill-swaps came back to the best set itself
   and the walk from it ended there again (about 23 of 38 rounds of an 8.5 CPU-second
   indtrack6 run, 18 of 25 on indtrack7), so the walks now go on for :data:`TABU_STALL`
   = 2000 moves without improvement: at 10 s that is one or two walks, at 60 s several.
   Within a walk every set that beats the best is traced (:attr:`_Search.on_best`). The
   search is resumable (:class:`Selector`): the pipeline stops it for the lots and
   resumes it with the time the lots did not need.
   Tried and dropped (no better on indtrack6 and indtrack7, seeds 0-2 or 0-5): refills that
   may not take back the removed names, a large kick (half the names, banned) after 5
   stale rounds, new starts until a round's start is a set not tried before, restarts
   from a fresh randomised forward selection after 2-3 rounds without improvement, tabu
   tenures x2 or x0.5; and (issue 15, fourth pass) path relinking (Glover 1997): after the
   starts (each start's result toward the best) and after each round (its result and the
   best, both ways), a walk one swap at a time (a name the target lacks out, one of the
   target's in, the pair of best predicted value, solved exactly), the best set strictly
   between, after the swaps, replacing the round's result when lower. At ``time_limit=10``
   it changed no cell of the cardinality table (indtrack5, 6, 7, synthetic800, seeds
   0-2, side by side in one run): indtrack7 is one walk in 10 s, so a round rarely ends,
   and relinking the starts found nothing below the best start (logged on indtrack6 and
   indtrack7, seed 0); indtrack7 at 60 s, seed 0:
   1.0582x with it, 1.0478x without.

Moves per second are what the long walks need (fifth pass): a swap whose prediction misses
is settled by a few active-set rounds instead of the general QP (:mod:`.subsetqp`), which
made the selection about 10-25% more moves per CPU second (``python -m
benchmarks.cardinality --moves 8``). Ties between swaps of equal value (a name entering at a
zero bound gives the value of the set without it, up to rounding) go to the first candidate
in prediction order (:data:`TIE`), not to the last bits of each value, so that the walk
does not depend on how a value was computed: with and without the settling rounds it is
the same set after set. Sixth pass: the pricing and the swap matrix only for the names
that can enter (:mod:`.subsetqp`), the same walks, about 25% more moves per CPU second on
indtrack7.

Where the good subsets come from (sixth pass; every round of 60 CPU-second runs logged,
indtrack6 and indtrack7, seeds 0-2): the first walk, from the best start perturbed, descends
for 2,800-4,800 moves and ends in a basin (indtrack6 1.0203x or 1.0636x the best known;
indtrack7 1.125x, 1.117x, and 1.000x on seed 1). After it, each round's perturb, refill and
swaps come back to the best set itself, and its walk of 2000 moves ends there again; the
better basin was reached by one such walk in about eight (indtrack6: after 498, 297 and 167
moves of the walk; indtrack7 seed 2: after 894), or from a poorer round start (indtrack7 seed
0: 1.55x, ten names removed, to 1.058x). Which start the first walk leaves from does not
decide it: one walk (stall 2000) from each of forward selection, the relaxation's largest
weights, backward elimination from its support and from all names, the best single names,
``q / sqrt(Q_jj)`` and three randomised forward selections, three tenure seeds each, ended
in the 1.000 basin on 4 of 27 indtrack6 walks spread over four starts, and between 1.077x
and 1.230x on every indtrack7 walk (15, none better than the others'). A lasso path is
no start here: long-only weights under the budget band have an L1 norm of 0.98-1.0 whatever
the names, so the penalty does not sparsify. Stopping the walks
that start at the best set after 1000 moves without improvement (four tries where there
were two) gave the same mean on indtrack6 (1.017x over seeds 0-5, 8.5 CPU s, one seed in
the 1.000 basin either way). The outcome at 10 s is a draw of the walks; moves per second
are the lever left.

Seventh pass (issue 15; the best sets of indtrack6 and indtrack7, and two other elite sets
of indtrack7; ratios against indtrack7's best known of now, 372,518,771.5, found by a seed-3
selection in 8.5 CPU s; those above are against the best known of their pass): **no small
universe holds the good sets**, so a kernel search (walks on a restricted universe, then a
walk on all names) has nothing to restrict to. Of the best set's names, the relaxation's
support (144-145 names) holds 9 of 20 on indtrack6 and 7 of 30 on indtrack7; the names of
every set evaluated within 10% of the best of the first 6 CPU s hold 11 of 20 (94 names) and
9 of 30 (57 names), within 30% 20 of 20 (412 names, 90% of N) and 21 of 30 (423 names); the
240 names most often solved as the entering name of a swap hold 17 of 20 and 16 of 30; the
end sets of eight walks of stall 300 from the best start perturbed (1.18-1.56x, 9.4 CPU s)
hold 16 of 30 between them (174 names). Backward elimination from the union of two elite
sets of indtrack7 (50-57 names) and the swaps find the best set only when it is one of the
two (from the 1.045x and 1.106x sets: 1.349x). Measured and dropped: a long-term frequency
memory in the tabu walk (a swap not below the aim pays ``beta v(best) f_j`` for bringing in
a name held after a fraction ``f_j`` of the moves so far; selection alone, 8.5 CPU s, seeds
0-5, mean J / best: indtrack6 1.017 without, 1.027 with beta = 0.01, 1.032 with 0.03;
indtrack7 1.127, 1.198, 1.197); iterative hard thresholding from random starts (Bertsimas,
King and Mazumder 2016; 30-50 starts of 100 projected-gradient steps on indtrack7: supports
at 22x or more, at 2.0-2.7x after the swaps, worse than forward selection). How much of a
draw 10 s is on indtrack7: the selection alone for 8.5 CPU s ended within 2% of the best
known on one seed in twelve (seeds 0-11: 1.176, 1.046, 1.168, 1.000, 1.169, 1.203, 1.209,
1.203, 1.230, 1.345, 1.189, 1.122), so a few times more moves per second would not make
every seed reach it; the walks have to find that basin far more often.

Every value is an exact QP optimum with every linear constraint of the problem, so the best
set found is feasible for the continuous problem on it; the whole shares on it are then
checked by the problem's checker like any other answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hedgeopt.solvers.wholeshare.bounds import lot_bounds
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec
from hedgeopt.solvers.wholeshare.subsetqp import SubsetQP, SubsetValue, selection_limits

__all__ = ["Selection", "Selector", "select_names", "forced_names"]

#: most tabu moves per LNS round
TABU_MOVES = 5000
#: a tabu walk stops after this many moves without improving its own best (None: never);
#: the walk's length so adapts to the instance. Issue 15, third pass (selection alone, 8.5
#: CPU seconds, indtrack6 and indtrack7 over seeds 0-5, mean J / best known): 150 gave 1.029
#: and 1.179, 600 1.016 and 1.129, 2000 1.017 and 1.094, no stall (5000-move walks) 1.014
#: and 1.105; indtrack5 and synthetic800 reach their best with each. With 150, most rounds
#: after the first few restarted from the same set and ended in it again: a walk needs
#: thousands of moves to leave a basin (module docstring)
TABU_STALL: int | None = 2000
#: an LNS round's result becomes the next start when within this of the best (relative)
ACCEPT = 0.02
#: rounds without improvement after which the next round starts from the best again
RESET = 1000


@dataclass
class Selection:
    """The best subset found.

    Attributes
    ----------
    S : numpy.ndarray
        The held names (sorted indices).
    value : float
        ``v(S)``, the continuous optimum on ``S`` (normalised objective).
    w : numpy.ndarray
        Its weights on ``S``.
    pool : list of SubsetValue
        The best distinct subsets evaluated, best first.
    stats : dict
        Counts: QP solves, swaps (and those the KKT check decided without a QP), LNS rounds
        and improvements, the phase that found ``S``, and ``trace``: ``(seconds, value)``
        at the end of the starts and at every improvement after.
    """

    S: np.ndarray
    value: float
    w: np.ndarray
    pool: list[SubsetValue] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def forced_names(spec: WholeShareSpec) -> np.ndarray:
    """Names that cannot be zero: their lot bounds exclude 0, or a rule's holes do (a minimum
    trade forbids selling out a holding smaller than it)."""
    zl, zu = lot_bounds(spec)
    forced = (zl > 0) | (zu < 0)
    idx = np.arange(spec.n)
    for rule in spec.restrictions():
        if rule.holes:
            forced |= ~rule.allowed(idx, np.zeros(spec.n))
    return np.flatnonzero(forced)


def select_names(spec: WholeShareSpec, deadline: float, *, seed: int = 0, width: int = 6,
                 log: Callable[[str], None] | None = None, max_rounds: int | None = None,
                 patience: int | None = None) -> Selection | None:
    """The best subset of names for ``spec`` found before ``deadline`` (module docstring):
    ``Selector(spec, seed=seed, width=width, log=log).run(deadline, max_rounds, patience)``.

    Parameters
    ----------
    spec : WholeShareSpec
        The problem; its name limit ``K`` (none: as many names as help) and minimum positions
        shape the search.
    deadline : float
        ``time.perf_counter()`` value at which the search stops (after the current QP).
    seed : int
        Seed of the randomised refills, removals and tabu tenures.
    width : int
        Candidates solved exactly per forward step or per removed name.
    log : callable, optional
        Progress messages.
    max_rounds : int, optional
        Cap on LNS rounds (with it the result does not depend on the machine's speed).
    patience : int, optional
        Stop the LNS after this many rounds without improvement (default: never, until
        ``deadline``).

    Returns
    -------
    Selection or None
        None when no subset with a feasible continuous point was found.
    """
    return Selector(spec, seed=seed, width=width, log=log).run(deadline, max_rounds, patience)


class Selector:
    """The search of :func:`select_names` kept between calls, so that a caller can stop it,
    use its answer, and resume it where it stopped when time is left (the pipeline does:
    :func:`~.cardinality.solve_search`). Given the seed, the sequence of rounds is the same
    however the calls split the time; where it stops depends on the deadlines.

    Parameters
    ----------
    spec, seed, width, log
        As :func:`select_names`.
    """

    def __init__(self, spec: WholeShareSpec, *, seed: int = 0, width: int = 6,
                 log: Callable[[str], None] | None = None) -> None:
        self.sq = SubsetQP(spec)
        K, _, _ = selection_limits(spec)
        self.K = spec.n if K is None else min(int(K), spec.n)
        self.forced = forced_names(spec)
        self.spec, self.seed, self.width, self.log = spec, seed, width, log
        self.search: _Search | None = None
        self.best: SubsetValue | None = None
        self.walk: SubsetValue | None = None  # where the next round starts
        self.found = ""
        self.trace: list[tuple[float, float]] = []
        self.rounds = self.improvements = self.stale = 0

    def _starts(self, search: _Search) -> None:
        """Forward selection, the relaxation's largest weights and a backward elimination
        from the relaxation's support, each followed by the swaps; the best is kept."""
        spec, K, forced = self.spec, self.K, self.forced
        starts: list[tuple[str, np.ndarray]] = [("forward", search.forward(forced))]
        if spec.relaxed is not None:
            xr = np.abs(np.asarray(spec.relaxed, dtype=float))
            top = np.argsort(-xr, kind="stable")
            top = top[xr[top] > 1e-12 * max(float(xr.max()), 1e-300)]
            keep = np.union1d(forced, top[: max(K - forced.size, 0)])
            extra = np.setdiff1d(top, keep)
            keep = np.union1d(keep, extra[: max(K - keep.size, 0)])
            starts.append(("relaxation", search.forward(keep)))
            sup = np.union1d(forced, top)
            if sup.size > K:
                starts.append(("backward", search.backward(sup)))
        for how, S in starts:
            cur = search.swaps(S)
            if self.best is None or cur.value < self.best.value:
                self.best, self.found = cur, how
            if self.log:
                self.log(f"selection {how}: v={cur.value:.10g} ({search.sq.solves} QPs)")
        if self.best is not None and np.isfinite(self.best.value):
            self.trace.append((time.perf_counter() - search.t0, self.best.value))
            self.walk = self.best

    def _walk_best(self, cur: SubsetValue) -> None:
        """Trace a tabu walk's set that beats the best (the round's end keeps it)."""
        assert self.search is not None
        self.trace.append((time.perf_counter() - self.search.t0, cur.value))

    def run(self, deadline: float, max_rounds: int | None = None,
            patience: int | None = None) -> Selection | None:
        """Search until ``deadline`` (the starts on the first call, then LNS rounds; a later
        call resumes them) and return the best subset so far (None when none is feasible).
        ``max_rounds`` and ``patience`` count over all calls."""
        if self.forced.size > self.K:
            return None
        if self.search is None:
            self.search = _Search(self.sq, self.K, self.forced, deadline,
                                  np.random.default_rng(self.seed), self.width)
            self._starts(self.search)
            self.search.on_best = self._walk_best
        search = self.search
        search.deadline = deadline
        if self.best is None or not np.isfinite(self.best.value) or self.walk is None:
            return None
        best, walk = self.best, self.walk
        while time.perf_counter() < deadline \
                and (max_rounds is None or self.rounds < max_rounds) \
                and (patience is None or self.stale < patience):
            start = search.swaps(search.refill(search.perturb(walk.S)))
            cur = search.tabu(start, TABU_MOVES, best.value, TABU_STALL)
            self.rounds += 1
            self.stale += 1
            if cur.value < walk.value or cur.value <= best.value + ACCEPT * abs(best.value):
                walk = cur
            if self.stale % RESET == 0:
                walk = best
            if cur.value < best.value - 1e-12 * abs(best.value):
                best, self.found = cur, "LNS"
                self.improvements += 1
                self.stale = 0
                if not self.trace or self.trace[-1][1] != best.value:
                    self.trace.append((time.perf_counter() - search.t0, best.value))
                if self.log:
                    self.log(f"selection LNS round {self.rounds}: v={best.value:.10g}")
        self.best, self.walk = best, walk
        assert best.w is not None
        stats = {"qp_solves": self.sq.solves, "swaps": search.n_swaps,
                 "lns_rounds": self.rounds, "lns_improvements": self.improvements,
                 "found_by": self.found, "fast_swaps": self.sq.fast,
                 "trace": list(self.trace)}
        return Selection(best.S, best.value, best.w, search.pool(), stats)


class _Search:
    """The moves of :func:`select_names` on one :class:`SubsetQP`."""

    def __init__(self, sq: SubsetQP, K: int, forced: np.ndarray, deadline: float,
                 rng: np.random.Generator, width: int) -> None:
        self.t0 = time.perf_counter()
        self.sq, self.K, self.forced = sq, K, forced
        self.deadline, self.rng, self.width = deadline, rng, width
        self.n_swaps = 0
        self.top: dict[bytes, SubsetValue] = {}
        d = np.sqrt(np.maximum(sq.dQ, 1e-300))
        self.corr = sq.Q / d[:, None] / d[None, :]
        self.singles = sq.single_values()
        self.thresholds = selection_limits(sq.spec)[1] is not None
        #: called with every set of a tabu walk that beats the ``best_value`` it was given
        self.on_best: Callable[[SubsetValue], None] | None = None

    def late(self) -> bool:
        return time.perf_counter() >= self.deadline

    def value(self, S: np.ndarray, near: SubsetValue | None = None) -> SubsetValue:
        v = self.sq.value(S, near)
        if np.isfinite(v.value) and v.S.size <= self.K:  # backward passes through larger
            self.top[v.S.tobytes()] = v
            if len(self.top) > 4 * self.keep:
                self.top = {x.S.tobytes(): x for x in self.pool()}
        return v

    def swap_value(self, cur: SubsetValue, a: int, j: int) -> SubsetValue:
        """``v(S - S[a] + j)`` (:meth:`~.subsetqp.SubsetQP.swap`), recorded like
        :meth:`value`."""
        v = self.sq.swap(cur, a, j)
        if np.isfinite(v.value) and v.S.size <= self.K:
            self.top[v.S.tobytes()] = v
        return v

    keep = 8  #: subsets kept in the pool

    def pool(self) -> list[SubsetValue]:
        """The best distinct subsets evaluated, best first."""
        return sorted(self.top.values(), key=lambda x: x.value)[: self.keep]

    def candidates(self, cur: SubsetValue, exclude: np.ndarray, k: int
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` names outside ``cur.S`` (and ``exclude``) with the largest priced gain,
        best first, and the values the pricing predicts for them (by single-name value, and
        no prediction, when ``cur`` has no solution)."""
        n = self.sq.n
        out = np.ones(n, dtype=bool)
        out[cur.S] = False
        out[exclude] = False
        if cur.w is None or cur.sol is None:
            score = -self.singles
            pred = np.full(n, -np.inf)
        else:
            score = self.sq.price(cur)
            out &= score > 0
            pred = cur.value - score
        idx = np.flatnonzero(out & np.isfinite(score))
        if idx.size > k:
            idx = idx[np.argpartition(-score[idx], k - 1)[:k]]
        idx = idx[np.argsort(-score[idx], kind="stable")]
        return idx, pred[idx]

    def best_addition(self, base: SubsetValue, exclude: np.ndarray, randomize: bool = False
                      ) -> SubsetValue | None:
        """The best of ``base.S + j`` over the best priced names ``j``, solved exactly in the
        order of their predicted values until the best exact value beats the next
        prediction (at most ``width`` solves; at least 3 when ``randomize``, which then takes
        the second or third best now and then)."""
        cand, pred = self.candidates(base, exclude, self.width)
        vals: list[SubsetValue] = []
        for a, j in enumerate(cand):
            vals.append(self.value(np.append(base.S, j), base))
            if a + 1 < cand.size and (not randomize or a >= 2):
                if min(v.value for v in vals) <= pred[a + 1]:
                    break
        if not vals:
            return None
        order = np.argsort([v.value for v in vals], kind="stable")
        pick = int(order[0])
        if randomize and order.size > 1 and self.rng.random() < 0.3:
            pick = int(order[min(int(self.rng.integers(1, 3)), order.size - 1)])
        return vals[pick]

    def forward(self, S0: np.ndarray, randomize: bool = False) -> np.ndarray:
        """Add names (:meth:`best_addition`) up to ``K`` while ``v`` falls."""
        S = np.unique(np.asarray(S0, dtype=np.int64))
        cur = self.value(S)
        while S.size < self.K and not self.late():
            nxt = self.best_addition(cur, np.zeros(0, dtype=np.int64), randomize)
            if nxt is None:
                break
            if np.isfinite(cur.value) and not nxt.value < cur.value - 1e-14 * abs(cur.value):
                break
            S, cur = nxt.S, nxt
        return S

    def swaps(self, S: np.ndarray) -> SubsetValue:
        """Best-improvement exchanges until none lowers ``v``: every pair (held ``i``, new
        ``j``) is predicted at once (:meth:`~.subsetqp.SubsetQP.swap_values`), the best
        predicted ones are solved exactly (``width`` at a time, up to three rounds when the
        predictions miss); drops (thresholds) and adds (below ``K``) alongside."""
        cur = self.value(S)
        while not self.late() and np.isfinite(cur.value):
            nxt = self._best_swap(cur)
            if nxt is None and self.sq.sign is not None and self.thresholds:
                nxt = self._best_drop(cur)
            if nxt is None and cur.S.size < self.K:
                grown = self.value(self.forward(cur.S))
                nxt = grown if grown.value < cur.value - 1e-12 * abs(cur.value) else None
            if nxt is None:
                break
            cur = nxt
        return cur

    def swap_matrix(self, cur: SubsetValue,
                    mask: Callable[[np.ndarray, np.ndarray], np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`~.subsetqp.SubsetQP.swap_values` over the best priced names, masked by
        ``mask`` (called with the block and its columns; forced names never leave); over
        all names when the floor of the names left out is below the best masked prediction.
        On the columns of the names that can enter (:meth:`~.subsetqp.SubsetQP.swap_block`;
        every other swap is ``+inf``): the block and its columns (name indices)."""
        got = self.sq.swap_block(cur)  # every column, computed once per set
        if got is None:
            return None
        P, cols = got
        if self.forced.size:
            P[np.isin(cur.S, self.forced)] = np.inf
        P = mask(P, cols)
        # the best priced columns suffice when their best beats every column left out (the
        # floor); masking commutes with leaving columns out, so one masked matrix serves both
        keep, floor = self.sq.swap_columns(cur, max(64, 4 * cur.S.size))
        if keep is not None:
            kc = keep[cols]  # the kept names can all enter (their gain is > 0)
            if not float(P[:, kc].min(initial=np.inf)) > floor:
                return np.where(kc[None, :], P, np.inf), cols
        return P, cols

    def _best_swap(self, cur: SubsetValue) -> SubsetValue | None:
        got = self.swap_matrix(cur, lambda P, cols: P)
        if got is None:
            return None
        P, cols = got
        flat = P.ravel()
        good = np.flatnonzero(flat < cur.value - 1e-12 * abs(cur.value))
        if good.size == 0:
            return None
        good = good[np.argsort(flat[good], kind="stable")][: 3 * self.width]
        for start in range(0, good.size, self.width):
            if self.late():
                break
            vals = []
            for f in good[start:start + self.width]:
                a, c = divmod(int(f), cols.size)
                vals.append(self.swap_value(cur, a, int(cols[c])))
            best = vals[_first_least([v.value for v in vals])] if vals else None
            if best is not None and best.value < cur.value - 1e-12 * abs(cur.value):
                self.n_swaps += 1
                return best
        return None

    def _best_drop(self, cur: SubsetValue) -> SubsetValue | None:
        """The best ``S - i`` when dropping a name lowers ``v`` (minimum positions)."""
        best: SubsetValue | None = None
        for i in cur.S:
            if i in self.forced or self.late():
                continue
            v = self.value(cur.S[cur.S != i], cur)
            if v.value < cur.value - 1e-12 * abs(cur.value) and (best is None
                                                                 or v.value < best.value):
                best = v
        return best

    def tabu(self, start: SubsetValue, iters: int, best_value: float,
             stall: int | None = None) -> SubsetValue:
        """Tabu search over swaps from ``start`` for at most ``iters`` moves, and no more
        than ``stall`` moves after the last that improved its best; returns the best set
        seen. Every move is the best predicted non-tabu swap (solved exactly with the next
        two, the best exact taken even when it is worse); a name that left may not come
        back, and one that came may not leave, for a few moves, unless the swap would beat
        ``best_value`` (aspiration)."""
        rng = self.rng
        n = self.sq.n
        cur = start
        best = start
        ban_in = np.zeros(n, dtype=np.int64)   # iteration until which j may not enter
        ban_out = np.zeros(n, dtype=np.int64)  # ... until which i may not leave
        k = max(cur.S.size, 1)
        last = 0  # the move that last improved ``best`` (0: the start)
        for it in range(1, iters + 1):
            if self.late() or (stall is not None and it - 1 - last >= stall):
                break
            aim = min(best.value, best_value) - 1e-12 * abs(best.value)

            def mask(P: np.ndarray, names: np.ndarray, it: int = it, S: np.ndarray = cur.S,
                     aim: float = aim) -> np.ndarray:
                """Tabu rows and columns (of the block's columns ``names``) to ``+inf``
                unless below ``aim`` (in place: only the few banned ones are touched)."""
                rows = np.flatnonzero(ban_out[S] >= it)
                if rows.size:
                    sub = P[rows]
                    sub[~(sub < aim)] = np.inf
                    P[rows] = sub
                cols = np.flatnonzero(ban_in[names] >= it)
                if cols.size:
                    sub = P[:, cols]
                    sub[~(sub < aim)] = np.inf
                    P[:, cols] = sub
                return P

            got = self.swap_matrix(cur, mask)
            if got is None or got[0].size == 0:
                break
            P, names = got
            flat = P.ravel()
            cand = _smallest(P, 3)
            cand = cand[np.isfinite(flat[cand])]
            if cand.size == 0:
                break
            moves = []
            for f in cand[np.argsort(flat[cand], kind="stable")]:
                i, c = divmod(int(f), names.size)
                j = int(names[c])
                v = self.swap_value(cur, i, j)
                moves.append((v, int(cur.S[i]), j))
                if v.value <= flat[f] + 1e-9 * abs(flat[f]):
                    break  # the prediction held: no better one among the next
            nxt, out_name, in_name = moves[_first_least([m[0].value for m in moves])]
            if not np.isfinite(nxt.value):
                break
            ban_in[out_name] = it + int(rng.integers(max(2, k // 4), max(3, k // 2) + 1))
            ban_out[in_name] = it + int(rng.integers(1, max(2, k // 4) + 1))
            cur = nxt
            self.n_swaps += 1
            if cur.value < best.value - 1e-12 * abs(best.value):
                best = cur
                last = it
                if self.on_best is not None and cur.value < best_value:
                    self.on_best(cur)
        return best

    def backward(self, S0: np.ndarray) -> np.ndarray:
        """Remove names (the cheapest of the ``width`` cheapest predicted, exactly) down to
        ``K``; names at a zero bound go first and for free."""
        cur = self.value(S0)
        while cur.S.size > self.K and not self.late():
            if cur.sol is None:
                break
            k = cur.S.size
            held = np.isin(cur.S, self.forced)
            zero = (np.flatnonzero((cur.w == 0) & ~held) if cur.w is not None
                    else np.zeros(0, dtype=np.int64))
            if len(zero) > k - self.K:
                zero = zero[: k - self.K]
            if len(zero):
                cur = self.value(np.delete(cur.S, zero), cur)
                continue
            cost = np.where(held, np.inf, self.sq.removal_costs(cur))
            extra = k - self.K
            if extra > 4:  # far above K: drop the cheapest third of the excess at once
                drop = np.argsort(cost, kind="stable")[: max(1, extra // 3)]
                drop = drop[np.isfinite(cost[drop])]
                if drop.size == 0:
                    break
                cur = self.value(np.delete(cur.S, drop), cur)
                continue
            order = np.argsort(cost, kind="stable")[: self.width]
            vals = [self.value(np.delete(cur.S, a), cur) for a in order if np.isfinite(cost[a])]
            if not vals:
                break
            cur = min(vals, key=lambda v: v.value)
        return cur.S

    def perturb(self, S: np.ndarray) -> np.ndarray:
        """Remove a few held names: at random, the least useful, or a correlated group."""
        rng = self.rng
        free = np.setdiff1d(S, self.forced)
        if free.size == 0:
            return S
        r = int(rng.integers(2, max(3, free.size // 3 + 1))) if free.size > 2 else 1
        r = min(r, free.size)
        mode = rng.random()
        if mode < 0.4:
            drop = rng.choice(free, r, replace=False)
        elif mode < 0.7:
            cur = self.value(S)
            cost = self.sq.removal_costs(cur)
            loss = np.array([cost[np.searchsorted(cur.S, i)] for i in free])
            loss = loss * (0.5 + rng.random(free.size))
            drop = free[np.argsort(loss, kind="stable")[:r]]
        else:
            i = int(rng.choice(free))
            c = np.abs(self.corr[i, free]) + 0.2 * rng.random(free.size)
            drop = free[np.argsort(-c, kind="stable")[:r]]
        return np.setdiff1d(S, drop)

    def refill(self, S: np.ndarray) -> np.ndarray:
        """Randomised forward selection from ``S`` (ban nothing: the swaps decide)."""
        return self.forward(S, randomize=True)


def _smallest(P: np.ndarray, m: int) -> np.ndarray:
    """Flat indices of the ``m`` smallest entries of ``P`` (any order; ties broken
    arbitrarily, as by :func:`numpy.argpartition`): they lie in the ``m`` columns of least
    column minimum, so only those columns are partitioned."""
    if P.size <= m + 1 or P.shape[1] <= m:
        return np.argpartition(P.ravel(), min(m, P.size - 1))[:m]
    cols = np.argpartition(P.min(axis=0), m)[:m]
    sub = P[:, cols]
    f = np.argpartition(sub.ravel(), min(m, sub.size - 1))[:m]
    r, c = np.divmod(f, cols.size)
    return r * P.shape[1] + cols[c]


#: values closer than this (relative) are ties to the search, decided by the order of the
#: candidates (their predicted values): rounding never picks between them
TIE = 1e-12


def _first_least(values: list[float]) -> int:
    """The first of ``values`` within :data:`TIE` (relative) of their least. Ties are real:
    swaps that bring in a name which ends at a zero bound all give the value of the set
    without it, equal up to rounding; breaking them by the order of the predictions, not by
    the last bits of each value, keeps the walk the same when the arithmetic of the values
    changes (a QP or a KKT update giving the same optimum)."""
    least = min(values)
    if not np.isfinite(least):
        return int(np.argmin(values))
    return next(a for a, v in enumerate(values) if v <= least + TIE * abs(least))
