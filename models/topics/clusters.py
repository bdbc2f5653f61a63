"""Clustering for topics: weighted spherical k-means, then merging by meaning and timing."""

from __future__ import annotations

import math

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def centroids(vecs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Unit-length mean direction of each of the k labelled groups of rows."""
    sums = np.zeros((k, vecs.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vecs)
    return normalize(sums).astype(np.float32)


def cluster(
    vecs: np.ndarray,
    weights: np.ndarray,
    chatty: np.ndarray,
    timeline: np.ndarray,
    *,
    max_topics: int,
    merge_similarity: float,
    time_weight: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cluster unit vectors: (centroids, small_talk flag per centroid, and the k-means
    clusters before merging: their centroids and the merged centroid each one joined).

    Over-clusters with weighted spherical k-means (k ~ sqrt(n)), flags clusters whose weight is
    mostly `chatty` messages as small talk, then merges the others with average linkage on a
    distance that mixes meaning and timing: (1 - cosine of centroids) + time_weight · (1 - cosine
    of their per-period rate profiles). Pairs closer than 1 - merge_similarity always merge;
    merging goes on until at most `max_topics` remain. The timing term keeps a topic that is new
    this period apart from an older neighbour it resembles.

    Args:
        timeline: messages per (vector, period), shape (len(vecs), periods).
    """
    k = int(np.clip(round(math.sqrt(weights.sum())), 1, 200))
    k = min(k, vecs.shape[0])
    if k <= 1:
        cents = normalize(vecs.mean(axis=0, keepdims=True)).astype(np.float32)
        return cents, np.array([float(chatty.mean()) >= 0.5]), cents, np.zeros(1, np.int64)
    init = _seed_centroids(vecs, weights, k, np.random.default_rng(seed))
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=60, random_state=seed)
    labels = km.fit_predict(vecs.astype(np.float64), sample_weight=weights)
    weighted = vecs * weights[:, None]
    mass = np.bincount(labels, weights, minlength=k)
    small_talk = np.bincount(labels, weights * chatty, minlength=k) >= 0.5 * mass
    topical = np.flatnonzero(~small_talk & (mass > 0))
    groups = np.arange(k)
    if topical.size > 1:
        profiles = np.zeros((k, timeline.shape[1]))
        np.add.at(profiles, labels, timeline)
        rates = normalize(profiles / np.maximum(timeline.sum(axis=0), 1.0))
        cents = centroids(weighted, labels, k)[topical]
        distance = 1.0 - cents @ cents.T + time_weight * (1.0 - rates[topical] @ rates[topical].T)
        groups[topical] = topical[_merge(distance, 1.0 - merge_similarity, max_topics)]
    used, merged = np.unique(groups[labels], return_inverse=True)
    merged = merged.ravel()
    count = int(merged.max()) + 1
    flags = np.zeros(count, dtype=bool)
    flags[merged] = small_talk[labels]
    parts = np.where(mass > 0, np.searchsorted(used, groups), -1)  # empty clusters join none
    return centroids(weighted, merged, count), flags, centroids(weighted, labels, k), parts


def _seed_centroids(
    vecs: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Deterministic farthest-first seeding on unit vectors, weighted (squared distance =
    2 - 2·cosine): the heaviest vector first, then each time the vector with the largest
    weight · distance to its nearest seed.

    No random draw depends on the other vectors, so one new message changes the seeds only if
    it is itself picked; at most 25·k vectors (the heaviest, ties by position) are considered.
    """
    del rng  # kept in the signature: seeding is deterministic
    if len(vecs) > 25 * k:
        keep = np.sort(np.argsort(-weights, kind="stable")[: 25 * k])
        vecs, weights = vecs[keep], weights[keep]
    picks = [int(np.argmax(weights))]
    nearest = np.maximum(2.0 - 2.0 * (vecs @ vecs[picks[0]]), 0.0)
    for _ in range(1, k):
        pick = int(np.argmax(nearest * np.sqrt(weights)))
        picks.append(pick)
        nearest = np.minimum(nearest, np.maximum(2.0 - 2.0 * (vecs @ vecs[pick]), 0.0))
    return vecs[picks].astype(np.float64)


def _merge(distance: np.ndarray, threshold: float, max_groups: int) -> np.ndarray:
    """Group index per item: average linkage up to `threshold`, then on to `max_groups`."""
    distance = np.clip((distance + distance.T) / 2.0, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    agg = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="precomputed", linkage="average"
    )
    groups = agg.fit_predict(distance)
    if groups.max() + 1 > max_groups:
        agg = AgglomerativeClustering(
            n_clusters=max_groups, metric="precomputed", linkage="average"
        )
        groups = agg.fit_predict(distance)
    return groups.astype(np.int64)
