"""A deterministic, model-free stand-in for Embedder, for fast tests across the project."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from models.vector_cache import CachedEncoder, VectorCache

_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "ly", "s")
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "we",
        "with",
        "you",
        "your",
    ]
)


def stem(word: str) -> str:
    """A crude suffix-stripping stem: enough to make 'investing' and 'investors' collide."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, 1.0 if (value >> 63) & 1 else -1.0


class FakeEmbedder(CachedEncoder):
    """Hashed bag of word stems plus character trigrams, normalized.

    Same interface as Embedder (model_id, dim, load/aload, encode/aencode, close); texts
    sharing words get similar vectors. `encoded_texts` counts texts actually encoded.
    """

    def __init__(
        self, dim: int = 384, *, cache: VectorCache | None = None, batch_size: int = 64
    ) -> None:
        super().__init__(cache=cache, batch_size=batch_size)
        self.model_id = f"fake-{dim}"
        self.dim = dim
        self.precision = "float32"
        self.encode_calls = 0  # batches sent to the "model"

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        self.encode_calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
            for word in words:
                col, sign = _bucket("w:" + stem(word), self.dim)
                out[row, col] += 2.0 * sign
                padded = f"#{word}#"
                for i in range(len(padded) - 2):
                    col, sign = _bucket("t:" + padded[i : i + 3], self.dim)
                    out[row, col] += 0.5 * sign
        return out
