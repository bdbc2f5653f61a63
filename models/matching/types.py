"""Matching's public types: the encoder it needs, suggestions, errors, the mutual score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MIN_FIT = 0.01


class TextEncoder(Protocol):
    """What the matcher needs from an embedder (Embedder and FakeEmbedder both fit)."""

    dim: int

    async def aload(self) -> None: ...

    async def aencode(self, texts: Sequence[str]) -> np.ndarray: ...


class MatchError(ValueError):
    """A matching request that cannot be answered; the message says why."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested member with the two one-sided fits and the reasons."""

    member: int
    score: float
    fit_ab: float  # how well their offers meet the requester's seeks
    fit_ba: float  # how well the requester's offers meet their seeks
    why: list[str]


def mutual(fit_ab: np.ndarray, fit_ba: np.ndarray, weight: float) -> np.ndarray:
    """Weighted geometric mean of the two fits (clipped to [MIN_FIT, 1])."""
    a = np.clip(fit_ab, MIN_FIT, 1.0)
    b = np.clip(fit_ba, MIN_FIT, 1.0)
    return (a**weight * b ** (1.0 - weight)).astype(np.float32)
