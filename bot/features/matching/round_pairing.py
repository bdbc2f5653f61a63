"""Pairing for intro rounds: exact maximum-weight matching on a general graph, plus trios.

Rounds are not bipartite (anyone may meet anyone their profiles allow), so the matching
is solved exactly as a small integer program with `scipy.optimize.milp` (HiGHS): one
binary variable per allowed pair, each member in at most one pair. A few hundred
participants solve in well under a second.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

EPS = 1e-9


def max_weight_matching(weights: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, maximizing the total weight; only pairs with weight > 0 are used.

    Args:
        weights: a symmetric (n, n) matrix; 0 (or less) means "may not be paired".
    """
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    if n < 2:
        return []
    iu, ju = np.triu_indices(n, k=1)
    keep = w[iu, ju] > EPS
    iu, ju = iu[keep], ju[keep]
    m = len(iu)
    if m == 0:
        return []
    edges = np.arange(m)
    incidence = coo_matrix(
        (np.ones(2 * m), (np.concatenate([iu, ju]), np.concatenate([edges, edges]))), shape=(n, m)
    ).tocsr()
    result = milp(
        c=-w[iu, ju],
        constraints=LinearConstraint(incidence, -np.inf, 1.0),
        integrality=np.ones(m),
        bounds=Bounds(0.0, 1.0),
    )
    if result.x is None:  # pragma: no cover - HiGHS always solves a feasible 0/1 program
        raise RuntimeError(f"pairing failed: {result.message}")
    chosen = np.flatnonzero(result.x > 0.5)
    return [(int(iu[e]), int(ju[e])) for e in chosen]


def matching_weight(weights: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(sum(weights[i, j] for i, j in pairs))


def group(weights: np.ndarray, *, cover_bonus: float = 1.0) -> tuple[list[list[int]], list[int]]:
    """Groups for a round: max-weight pairs, then each member left over joins a trio.

    `cover_bonus` is added to every allowed pair so that pairing more people wins over a
    slightly better fit for fewer. A member left over joins the pair where they fit best
    (sum of fits with both; at least one fit must be allowed); each pair takes at most one
    extra. Returns (groups, members who could not be placed) as indexes into `weights`.
    """
    w = np.asarray(weights, dtype=np.float64)
    boosted = np.where(w > EPS, w + cover_bonus, 0.0)
    pairs = max_weight_matching(boosted)
    groups = [list(p) for p in pairs]
    placed = {i for p in pairs for i in p}
    left = [i for i in range(w.shape[0]) if i not in placed]
    # Place the best-fitting leftovers first so a weak one does not take a good pair's slot.
    left.sort(key=lambda i: -max((w[i, a] + w[i, b] for a, b in pairs), default=0.0))
    alone: list[int] = []
    for i in left:
        best, best_fit = None, EPS
        for g in groups:
            if len(g) != 2:
                continue
            fit = w[i, g[0]] + w[i, g[1]]
            if fit > best_fit:
                best, best_fit = g, fit
        if best is None:
            alone.append(i)
        else:
            best.append(i)
    return groups, alone
