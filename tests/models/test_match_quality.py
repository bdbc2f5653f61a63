"""Matching quality on the bundled model against labeled introductions (tests/data).

recall@5: over all labeled pairs (founder, partner), the share whose partner appears in
the founder's top-5 suggestions. The keyword baseline ranks the same filtered candidates
by word-set Jaccard instead of embeddings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from models.embedder import Embedder
from models.matching.matcher import REQUESTER_WEIGHT, Matcher
from models.matching.profile import ROLES, SECTORS, STAGES, Profile
from tests.fake_embedder import STOP_WORDS

DATA = Path(__file__).parents[1] / "data" / "eval_profiles.json"
K = 5
_WORD = re.compile(r"[a-z0-9]+")


def load_eval() -> tuple[list[Profile], list[tuple[int, int, str]]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    profiles = []
    for row in raw["profiles"]:
        fields = {**row, **{k: frozenset(row.get(k, ())) for k in ("roles", "sectors", "tags")}}
        profiles.append(Profile(**fields))
    return profiles, [(a, b, why) for a, b, why in raw["pairs"]]


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS}


def jaccard(x: set[str], y: set[str]) -> float:
    return len(x & y) / len(x | y) if x | y else 0.0


def recall_at_k(ranked: dict[int, list[int]], pairs: list[tuple[int, int, str]]) -> float:
    return sum(b in ranked[a][:K] for a, b, _ in pairs) / len(pairs)


def test_eval_set_is_well_formed() -> None:
    profiles, pairs = load_eval()
    by_id = {p.member: p for p in profiles}
    assert len(by_id) == len(profiles) >= 60
    assert len(pairs) >= 40
    assert {r for p in profiles for r in p.roles} == set(ROLES)
    for p in profiles:
        assert p.sectors <= set(SECTORS)
        assert p.stage is None or p.stage in STAGES
    for a, b, why in pairs:
        assert "founder" in by_id[a].roles
        assert b in by_id
        assert why


@pytest.mark.model
def test_auto_precision_agrees_with_fp32(bundled: Embedder) -> None:
    profiles, _ = load_eval()
    texts = [t for p in profiles for t in (p.offers, p.seeks)][:120]
    fp32 = Embedder(precision="fp32")
    try:
        reference = fp32.encode(texts)
    finally:
        fp32.close()
    assert fp32.precision == "float32"
    auto = bundled.encode(texts)
    assert auto.dtype == np.float32
    assert auto.shape == (len(texts), bundled.dim) == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(auto, axis=1), 1.0, rtol=1e-5)
    agreement = float(np.mean(np.sum(auto * reference, axis=1)))
    print(f"precision={bundled.precision} mean cosine vs fp32={agreement:.5f}")
    assert agreement >= 0.999
    assert bundled.precision in ("bfloat16", "float32")
    if bundled.precision == "bfloat16" and bundled.requested_precision == "auto":
        assert bundled.agreement is not None
        assert bundled.agreement >= 0.999


@pytest.mark.model
async def test_recall_at_5_beats_keyword_baseline(bundled: Embedder) -> None:
    profiles, pairs = load_eval()
    by_id = {p.member: p for p in profiles}
    matcher = Matcher(bundled)
    await matcher.sync(profiles)
    founders = sorted({a for a, _, _ in pairs})

    model_ranked = {a: [s.member for s in matcher.suggest(a, n=K)] for a in founders}

    keyword_ranked: dict[int, list[int]] = {}
    for a in founders:
        pa = by_id[a]
        scored = []
        for b, pb in by_id.items():
            if matcher.explain(a, b) is None:  # same hard filters as the matcher
                continue
            fit_ab = jaccard(words(pa.seeks), words(f"{pb.headline} {pb.offers}"))
            fit_ba = jaccard(words(pb.seeks), words(f"{pa.headline} {pa.offers}"))
            scored.append((REQUESTER_WEIGHT * fit_ab + (1 - REQUESTER_WEIGHT) * fit_ba, b))
        keyword_ranked[a] = [b for _, b in sorted(scored, reverse=True)]

    model_recall = recall_at_k(model_ranked, pairs)
    keyword_recall = recall_at_k(keyword_ranked, pairs)
    print(
        f"recall@{K} over {len(pairs)} labeled pairs: embeddings={model_recall:.3f} "
        f"keyword-jaccard={keyword_recall:.3f}"
    )
    assert model_recall >= 0.8
    assert model_recall > keyword_recall
    # every suggestion explains itself with a quoted phrase
    for a in founders:
        for s in matcher.suggest(a, n=K):
            assert s.why
            assert "“" in s.why[0]
