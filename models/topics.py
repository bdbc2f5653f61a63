"""Topics of a community's chat: clusters of message embeddings, named, with rise and fade.

`extract_topics` takes a window of messages (the current period plus previous ones) with their
normalized embeddings and returns a `TopicReport`:

- Pure chit-chat ("thanks!", "+1", "gm") has no content words and goes straight to *small talk*.
- The other messages are over-clustered with spherical k-means (k from the data size), clusters
  whose centroids are near-duplicates are merged, tiny clusters are dissolved, and every message
  is assigned to its nearest centroid if the cosine similarity reaches `floor`. Messages below
  the floor are *unassigned*; a cluster made mostly of content-free messages is small talk too.
- Each topic is named by its distinctive words (c-TF-IDF) and shown with a few example messages
  closest to its centroid (current period first).
- Trends compare the topic's count in the current period with what its share in the previous
  periods predicts for the current volume (see `trend`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans

from models.topic_words import (
    class_term_counts,
    content_tokens,
    ctfidf,
    same_words,
    top_terms,
    trim,
)

UNASSIGNED = -1
SMALL_TALK = -2


@dataclass(frozen=True, slots=True)
class TopicTrend:
    """One topic: its words, examples and how it moved.

    current: messages in the current period. previous: average messages per previous period.
    growth: smoothed ratio of current to the count the topic's earlier share predicts for the
    current period's volume (1.0 = unchanged). total: messages in the whole window.
    """

    keywords: list[str]
    examples: list[str]
    current: int
    previous: float
    growth: float
    status: str  # "rising" | "fading" | "steady"
    total: int = 0


@dataclass(frozen=True, slots=True)
class TopicReport:
    """Topics of a window of messages.

    topics: named topics, most talked-about in the current period first.
    rising / fading: subsets of `topics`, strongest change first.
    labels: per message, an index into `topics`, SMALL_TALK (-2) or UNASSIGNED (-1).
    unassigned_share: messages that fit no topic nor small talk, over all messages.
    small_talk_share: chit-chat messages (no content words, or in a chit-chat cluster).
    """

    topics: list[TopicTrend]
    rising: list[TopicTrend]
    fading: list[TopicTrend]
    labels: np.ndarray
    unassigned_share: float
    small_talk_share: float
    current_period: int | None
    messages: int
    stats: dict[str, float] = field(default_factory=dict)


def _check(texts: list[str], vectors: np.ndarray, periods: np.ndarray) -> tuple[np.ndarray, ...]:
    vecs = np.asarray(vectors, dtype=np.float32)
    per = np.asarray(periods)
    if vecs.ndim != 2 or vecs.shape[0] != len(texts) or per.shape != (len(texts),):
        raise ValueError("texts, vectors (one row per text) and periods must have the same length.")
    if not np.all(np.isfinite(vecs)):
        raise ValueError("vectors must contain only finite numbers.")
    if per.size and not np.issubdtype(per.dtype, np.integer):
        raise ValueError("periods must be integers (one period index per message).")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0), per.astype(np.int64)


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _centroids(vecs: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, vecs.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vecs)
    return _normalize(sums).astype(np.float32)


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
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster unit vectors: (centroids, small_talk flag per centroid).

    Over-clusters with weighted spherical k-means (k ~ sqrt(n/2)), flags clusters whose weight is
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
        cents = _normalize(vecs.mean(axis=0, keepdims=True)).astype(np.float32)
        return cents, np.array([float(chatty.mean()) >= 0.5])
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
        rates = _normalize(profiles / np.maximum(timeline.sum(axis=0), 1.0))
        cents = _centroids(weighted, labels, k)[topical]
        distance = 1.0 - cents @ cents.T + time_weight * (1.0 - rates[topical] @ rates[topical].T)
        groups[topical] = topical[_merge(distance, 1.0 - merge_similarity, max_topics)]
    merged = np.unique(groups[labels], return_inverse=True)[1].ravel()
    count = int(merged.max()) + 1
    flags = np.zeros(count, dtype=bool)
    flags[merged] = small_talk[labels]
    return _centroids(weighted, merged, count), flags


def _seed_centroids(
    vecs: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Weighted k-means++ seeding on unit vectors (squared distance = 2 - 2·cosine).

    Seeds from a weight-proportional sample of at most 25·k vectors, which keeps this fast.
    """
    if len(vecs) > 25 * k:
        sample = rng.choice(len(vecs), size=25 * k, replace=False, p=weights / weights.sum())
        vecs, weights = vecs[np.sort(sample)], np.ones(25 * k)
    picks = [int(rng.choice(len(vecs), p=weights / weights.sum()))]
    nearest = np.maximum(2.0 - 2.0 * (vecs @ vecs[picks[0]]), 0.0)
    for _ in range(1, k):
        mass = nearest * weights
        total = float(mass.sum())
        pick = int(rng.choice(len(vecs), p=mass / total)) if total > 0 else int(rng.integers(len(vecs)))
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


def trend(
    current: int,
    previous_total: int,
    volume_current: int,
    volume_previous: int,
    previous_periods: int,
    *,
    rise_ratio: float = 2.0,
) -> tuple[float, float, str]:
    """(previous, growth, status) of one topic.

    expected = previous_total / volume_previous · volume_current (the count the topic's earlier
    share predicts now); growth = (current + a) / (expected + a) with a = max(2, 0.5% of the
    current volume), so a handful of messages cannot top the list. Rising needs growth >=
    rise_ratio and a Poisson-style excess (current - expected >= 2·sqrt(expected + 1)); fading
    is the mirror image. With no previous periods everything is steady.
    """
    if previous_periods == 0 or volume_previous == 0:
        return 0.0, 1.0, "steady"
    previous = previous_total / previous_periods
    expected = previous_total / volume_previous * volume_current
    smooth = max(2.0, 0.005 * volume_current)
    growth = (current + smooth) / (expected + smooth)
    noise = 2.0 * math.sqrt(expected + 1.0)
    if growth >= rise_ratio and current - expected >= noise:
        return previous, growth, "rising"
    if growth <= 1.0 / rise_ratio and expected - current >= noise:
        return previous, growth, "fading"
    return previous, growth, "steady"


def extract_topics(
    texts: list[str],
    vectors: np.ndarray,
    periods: np.ndarray,
    *,
    max_topics: int = 30,
    seed: int = 0,
    floor: float = 0.35,
    merge_similarity: float = 0.45,
    time_weight: float = 0.5,
    rise_ratio: float = 2.0,
    examples: int = 3,
    keywords: int = 8,
) -> TopicReport:
    """Find, name and trend the topics of a window of chat messages.

    Args:
        texts: the messages.
        vectors: their embeddings, one row per message (normalized here if they are not).
        periods: an integer period index per message (e.g. the week); the largest is current.
        max_topics: most topics to return.
        seed: k-means seed; the same inputs and seed give the same report.
        floor: cosine similarity a message needs to its topic's centroid to be assigned.
        merge_similarity: clusters whose centroids are at least this similar are merged.
        time_weight: how much different timing keeps similar clusters apart when merging.
        rise_ratio: growth needed to call a topic rising (and 1/rise_ratio for fading).

    Raises:
        ValueError: mismatched lengths, non-finite vectors or non-integer periods.
    """
    vecs, per = _check(texts, vectors, periods)
    n = len(texts)
    labels = np.full(n, UNASSIGNED, dtype=np.int64)
    if n == 0:
        return TopicReport([], [], [], labels, 0.0, 0.0, None, 0)
    words = np.array([len(content_tokens(t)) for t in texts])
    content = np.flatnonzero(words > 0)
    labels[words == 0] = SMALL_TALK
    cents = np.zeros((0, vecs.shape[1]), dtype=np.float32)
    if content.size:
        # Weight the current period as much as all previous ones together, so a topic that is
        # new this period gets clusters of its own; identical texts are clustered once.
        current = per[content] == per.max()
        boost = max(1.0, float((~current).sum()) / max(float(current.sum()), 1.0))
        _, first, inverse = np.unique(
            np.asarray(texts, dtype=object)[content], return_index=True, return_inverse=True
        )
        weights = np.bincount(inverse, np.where(current, boost, 1.0))
        steps, step = np.unique(per[content], return_inverse=True)
        timeline = np.zeros((first.size, steps.size))
        np.add.at(timeline, (inverse, step), 1.0)
        cents, small_talk = cluster(
            vecs[content[first]],
            weights,
            words[content[first]] <= 1,
            timeline,
            max_topics=max_topics,
            merge_similarity=merge_similarity,
            time_weight=time_weight,
            seed=seed,
        )
        sims = vecs[content] @ cents.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(content.size), best] >= floor
        labels[content[ok]] = np.where(small_talk[best[ok]], SMALL_TALK, best[ok])
    return _report(texts, vecs, per, labels, cents, rise_ratio, examples, keywords)


def _report(
    texts: list[str],
    vecs: np.ndarray,
    per: np.ndarray,
    labels: np.ndarray,
    cents: np.ndarray,
    rise_ratio: float,
    n_examples: int,
    n_keywords: int,
) -> TopicReport:
    n, k = len(texts), len(cents)
    current = int(per.max())
    in_current = per == current
    previous_periods = len(np.unique(per[~in_current]))
    counts, vocabulary = class_term_counts(texts, labels, k)
    if k > 1 and vocabulary:  # clusters that would get the same name are one topic
        groups = same_words(counts, vocabulary)
        if groups.max() + 1 < k:
            k = int(groups.max()) + 1
            labels = np.where(labels >= 0, groups[np.maximum(labels, 0)], labels)
            merged = np.zeros((k, counts.shape[1]))
            np.add.at(merged, groups, counts)
            counts = merged
            named = labels >= 0
            cents = _centroids(vecs[named], labels[named], k)
    scores = ctfidf(counts)
    trends: list[TopicTrend] = []
    final = np.full(n, UNASSIGNED, dtype=np.int64)
    final[labels == SMALL_TALK] = SMALL_TALK
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            continue
        terms = top_terms(scores[c], vocabulary, n_keywords) if vocabulary else []
        if not terms:  # no word shared by two of its messages: not a topic
            continue
        cur = int(in_current[members].sum())
        previous, growth, status = trend(
            cur,
            int(members.size - cur),
            int(in_current.sum()),
            int((~in_current).sum()),
            previous_periods,
            rise_ratio=rise_ratio,
        )
        closeness = vecs[members] @ cents[c]
        order = members[np.lexsort((-closeness, ~in_current[members]))]
        shown = _examples(texts, order, n_examples)
        final[members] = len(trends)
        trends.append(TopicTrend(terms, shown, cur, previous, growth, status, int(members.size)))
    ranking = sorted(range(len(trends)), key=lambda i: (-trends[i].current, -trends[i].total))
    remap = np.empty(len(trends), dtype=np.int64)
    remap[ranking] = np.arange(len(trends))
    named = final >= 0
    final[named] = remap[final[named]]
    topics = [trends[i] for i in ranking]
    rising = sorted((t for t in topics if t.status == "rising"), key=lambda t: -t.growth)
    fading = sorted((t for t in topics if t.status == "fading"), key=lambda t: t.growth)
    return TopicReport(
        topics=topics,
        rising=rising,
        fading=fading,
        labels=final,
        unassigned_share=float(np.mean(final == UNASSIGNED)),
        small_talk_share=float(np.mean(final == SMALL_TALK)),
        current_period=current,
        messages=n,
        stats={"clusters": float(k)},
    )


def _examples(texts: list[str], order: np.ndarray, count: int) -> list[str]:
    shown: list[str] = []
    seen: set[str] = set()
    for i in order[: count * 20]:
        line = trim(texts[i])
        key = line.lower()
        if key not in seen:
            seen.add(key)
            shown.append(line)
        if len(shown) == count:
            break
    return shown
