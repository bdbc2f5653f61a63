"""Topics of a community's chat: clusters of message embeddings, named, with rise and fade.

`extract_topics` takes a window of messages (the current period plus previous ones) with their
normalized embeddings and returns a `TopicReport`:

- *Small talk*: messages with no content words once stop words and chat filler are removed
  ("thanks!", "+1", "gm", "same here"), plus clusters whose messages mostly carry at most one
  content word. Small talk is assigned (to small talk), never a named topic.
- The other messages are over-clustered with weighted spherical k-means (k ~ sqrt(n); the
  current period weighs as much as all previous ones, so new talk gets clusters of its own),
  then merged by meaning and timing (models/topics/clusters.py) down to at most `max_topics`;
  clusters whose most frequent words coincide are merged too (they would read as duplicates).
- Every message goes to the topic of its nearest k-means cluster if the cosine similarity to
  that cluster's centroid reaches `floor`.
  *Unassigned* messages are the honest rest: below the floor, or in a cluster with no word
  shared by two of its messages.
- Each topic is named by its distinctive words (c-TF-IDF) and shown with the messages closest
  to its centroid, current period first.
- Trends compare the topic's count in the current period with what its share in the previous
  periods predicts for the current volume (see `trend`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.topics.clusters import centroids, cluster
from models.topics.words import (
    class_term_counts,
    content_tokens,
    ctfidf,
    same_words,
    tokens,
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

    @property
    def label(self) -> str:
        """A short name: the best phrase among the top three terms, else the two best words."""
        if not self.keywords:
            return ""
        phrase = next((k for k in self.keywords[:3] if " " in k), None)
        if phrase is not None or len(self.keywords) == 1:
            return phrase or self.keywords[0]
        return f"{self.keywords[0]}, {self.keywords[1]}"


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
    try:
        vecs = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError("vectors must be a 2-D array of numbers.") from None
    per = np.asarray(periods)
    if vecs.ndim != 2 or vecs.shape[0] != len(texts) or per.shape != (len(texts),):
        raise ValueError("texts, vectors (one row per text) and periods must have the same length.")
    if vecs.size and not np.all(np.isfinite(vecs)):
        raise ValueError("vectors must contain only finite numbers.")
    if per.size and not np.issubdtype(per.dtype, np.integer):
        raise ValueError("periods must be integers (one period index per message).")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0), per.astype(np.int64)


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
    floor: float = 0.3,
    merge_similarity: float = 0.45,
    time_weight: float = 0.5,
    rise_ratio: float = 2.0,
    examples: int = 3,
    keywords: int = 8,
    hide_words: frozenset[str] = frozenset(),
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
        hide_words: lower-case words never used in a topic's name (e.g. members' names).

    Raises:
        ValueError: mismatched lengths, non-finite vectors or non-integer periods.
    """
    if max_topics < 1:
        raise ValueError("max_topics must be at least 1.")
    vecs, per = _check(texts, vectors, periods)
    n = len(texts)
    labels = np.full(n, UNASSIGNED, dtype=np.int64)
    if n == 0:
        return TopicReport([], [], [], labels, 0.0, 0.0, None, 0)
    words = np.array([len(content_tokens(t, hide_words)) for t in texts])
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
        cents, small_talk, parts, part_of = cluster(
            vecs[content[first]],
            weights,
            words[content[first]] <= 1,
            timeline,
            max_topics=max_topics,
            merge_similarity=merge_similarity,
            time_weight=time_weight,
            seed=seed,
        )
        # The floor is measured against the k-means cluster a message is nearest to, not the
        # merged topic's centroid: a phrasing that was its own cluster before merging can sit
        # below the floor from the blended centroid although its cluster is the topic's part.
        sims = vecs[content] @ parts.T
        near = sims.argmax(axis=1)
        best = part_of[near]
        ok = (sims[np.arange(content.size), near] >= floor) & (best >= 0)
        labels[content[ok]] = np.where(small_talk[best[ok]], SMALL_TALK, best[ok])
    return _report(texts, vecs, per, labels, cents, rise_ratio, examples, keywords, hide_words)


def _report(
    texts: list[str],
    vecs: np.ndarray,
    per: np.ndarray,
    labels: np.ndarray,
    cents: np.ndarray,
    rise_ratio: float,
    n_examples: int,
    n_keywords: int,
    hide_words: frozenset[str] = frozenset(),
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
            cents = centroids(vecs[named], labels[named], k)
    scores = ctfidf(counts)
    trends: list[TopicTrend] = []
    final = np.full(n, UNASSIGNED, dtype=np.int64)
    final[labels == SMALL_TALK] = SMALL_TALK
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            continue
        terms = top_terms(scores[c], vocabulary, n_keywords, hide_words) if vocabulary else []
        if not terms:  # no word shared by two of its messages: not a topic
            continue
        cur = int(in_current[members].sum())
        if cur == 0:  # talked about only before this period: not a topic of this period
            continue
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
        shown = _examples(texts, order, n_examples, terms)
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


def _examples(texts: list[str], order: np.ndarray, count: int, terms: list[str]) -> list[str]:
    """Up to `count` quotes, closest to the topic first, that contain a word of its label
    (its first two terms), skipping near-duplicates of a quote already chosen."""
    label = {w for term in terms[:2] for w in term.split()}
    shown: list[str] = []
    kept: list[set[str]] = []
    for wanted in (True, False):  # quotes with the label's words first, then any
        for i in order[: count * 40]:
            words = set(tokens(texts[i]))
            if bool(words & label) != wanted or not words:
                continue
            if any(len(words & k) >= 0.6 * min(len(words), len(k)) for k in kept):
                continue
            kept.append(words)
            shown.append(trim(texts[i]))
            if len(shown) == count:
                return shown
        if shown and wanted:
            return shown
    return shown
