"""Words for topics: chat-aware tokenizing, stop words and class-based TF-IDF (c-TF-IDF)."""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")
_URL = re.compile(r"https?://\S+|www\.\S+")

# Chat filler: greetings, thanks, reactions and the little phrases around real questions.
_FILLER = """
    thanks thank thx ty tysm lol lmao haha hahaha omg btw tbh imo fyi rn gm gn morning evening hi
    hey hello folks guys yes yeah yep yup ok okay cool nice wow great love agreed exactly true
    totally definitely super helpful following follow thread interested dm dms dm'd sent good
    question questions honest quick curious asking friend thoughts advice appreciated lurker long
    psa random thought ok so pls please welcome oh ah wait congrats congratulations awesome
    amazing point happy glad sure really just like know think want need got get lot lots thing
    things guy anybody ping ps re don't i'm it's that's we're you're i've we've can't let's ur u
    day's today tomorrow tonight week month year hear advance time open
"""
CHAT_FILLER = frozenset(_FILLER.split())
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | CHAT_FILLER


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of a chat message, URLs dropped, possessive 's stripped."""
    words = _TOKEN.findall(_URL.sub(" ", text.lower()))
    return [w[:-2] if w.endswith("'s") else w for w in words if len(w) > 1]


def content_tokens(text: str) -> list[str]:
    """Tokens that carry meaning: not stop words, not chat filler."""
    return [w for w in tokens(text) if w not in STOP_WORDS]


def _analyzer(text: str) -> list[str]:
    words = content_tokens(text)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def class_term_counts(
    texts: list[str], labels: np.ndarray, classes: int
) -> tuple[np.ndarray, list[str]]:
    """Term counts per class, shape (classes, vocabulary), over unigrams and bigrams of content
    words seen at least twice; texts with a negative label are ignored."""
    keep = np.flatnonzero(labels >= 0)
    if keep.size == 0:
        return np.zeros((classes, 0)), []
    vectorizer = CountVectorizer(analyzer=_analyzer, min_df=2)
    try:
        counts = vectorizer.fit_transform([texts[i] for i in keep])
    except ValueError:  # no term appears twice
        return np.zeros((classes, 0)), []
    onehot = sparse.csr_matrix(
        (np.ones(keep.size), (labels[keep], np.arange(keep.size))), shape=(classes, keep.size)
    )
    return np.asarray((onehot @ counts).todense(), dtype=float), list(
        vectorizer.get_feature_names_out()
    )


def ctfidf(per_class: np.ndarray) -> np.ndarray:
    """c-TF-IDF: tf(t, c) · log(1 + A / f(t)), where A is the average number of words per class
    and f(t) the term's frequency over all classes (the BERTopic weighting)."""
    words_per_class = per_class.sum(axis=1, keepdims=True)
    tf = per_class / np.maximum(words_per_class, 1.0)
    average = max(float(words_per_class.mean()), 1.0) if per_class.size else 1.0
    return tf * np.log(1.0 + average / np.maximum(per_class.sum(axis=0), 1.0))


def class_tfidf(texts: list[str], labels: np.ndarray, classes: int) -> tuple[np.ndarray, list[str]]:
    """c-TF-IDF scores, shape (classes, vocabulary), and the vocabulary (see `ctfidf`)."""
    counts, vocabulary = class_term_counts(texts, labels, classes)
    return ctfidf(counts), vocabulary


def same_words(
    scores: np.ndarray, vocabulary: list[str], top: int = 6, shared: int = 3
) -> np.ndarray:
    """Group index per class: classes whose `top` highest-scoring single words share `shared`
    words are joined (pass raw counts to compare the most frequent words)."""
    classes = scores.shape[0]
    group = np.arange(classes)
    single = np.array([" " not in term for term in vocabulary], dtype=bool)
    if not single.any():
        return group
    masked = np.where(single, scores, -1.0)
    best = [{i for i in np.argsort(-row, kind="stable")[:top] if row[i] > 0} for row in masked]
    for a in range(classes):
        for b in range(a + 1, classes):
            if len(best[a] & best[b]) >= shared:
                old, new = group[b], group[a]
                group[group == old] = new
    return np.unique(group, return_inverse=True)[1].ravel()


def top_terms(
    scores: np.ndarray, vocabulary: list[str], count: int = 8, hide: frozenset[str] = frozenset()
) -> list[str]:
    """The best-scoring terms of one class, skipping terms whose words are already covered
    and terms with a hidden word (such as a member's name)."""
    chosen: list[str] = []
    covered: set[str] = set()
    for index in np.argsort(-scores, kind="stable"):
        if scores[index] <= 0 or len(chosen) >= count:
            break
        term = vocabulary[index]
        words = set(term.split())
        if words <= covered or words & hide:
            continue
        chosen.append(term)
        covered |= words
    return chosen


def trim(text: str, limit: int = 90) -> str:
    """One line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
