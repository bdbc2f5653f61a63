"""Matcher behaviour on the fake embedder: hard filters, scoring, diversity, reasons, index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np
import pytest

from models.embedder import MemoryVectorCache
from models.matching.matcher import Matcher, MatchError
from models.matching.profile import Profile
from models.vector_index import RowStore, VectorIndex
from tests.fake_embedder import FakeEmbedder

FOUNDER = Profile(
    member=1,
    name="Priya",
    roles=frozenset({"founder"}),
    headline="Founder of TheatreFlow",
    offers="Scheduling software for hospital operating theatres.",
    seeks="A seed investor in health software. Help selling to hospital procurement teams.",
    sectors=frozenset({"health", "saas"}),
    stage="seed",
    region="London",
)
INVESTOR = Profile(
    member=2,
    name="Helen",
    roles=frozenset({"investor"}),
    headline="Seed investor",
    offers="Seed investor in health software companies.",
    seeks="Health software founders at seed.",
    sectors=frozenset({"health"}),
    stage="seed",
    region="UK",
    check_min=250,
    check_max=1000,
)
MENTOR = Profile(
    member=3,
    name="Margaret",
    roles=frozenset({"mentor"}),
    headline="Hospital sales veteran",
    offers="Twelve years selling to hospital procurement teams.",
    seeks="Founders selling software to hospitals.",
    sectors=frozenset({"health"}),
    region="UK",
)


@pytest.fixture
async def embedder() -> AsyncIterator[FakeEmbedder]:
    emb = FakeEmbedder(cache=MemoryVectorCache())
    yield emb
    emb.close()


async def matcher_with(embedder: FakeEmbedder, *profiles: Profile) -> Matcher:
    matcher = Matcher(embedder)
    await matcher.sync([FOUNDER, *profiles])
    return matcher


def ids(suggestions: list) -> list[int]:
    return [s.member for s in suggestions]


async def test_suggests_complementary_roles_only(embedder: FakeEmbedder) -> None:
    other_founder = replace(FOUNDER, member=9, name="Other founder")
    m = await matcher_with(embedder, INVESTOR, MENTOR, other_founder)
    assert set(ids(m.suggest(1))) == {2, 3}
    assert set(ids(m.suggest(2))) == {1, 9}  # an investor sees founders, not the mentor
    assert ids(m.suggest(1, role="mentor")) == [3]
    with pytest.raises(MatchError, match="Unknown role"):
        m.suggest(1, role="wizard")
    with pytest.raises(MatchError, match="no matching profile"):
        m.suggest(77)


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({"stage": "series-b+"}, False),  # two stages away from seed
        ({"stage": "series-a"}, True),  # adjacent stage is fine
        ({"stage": "series-b+", "tags": frozenset({"seed"})}, True),  # stage tags widen focus
        ({"stage": None}, True),  # unstated: no filter
        ({"sectors": frozenset({"fintech"})}, False),
        ({"sectors": frozenset()}, True),
        ({"region": "New York"}, True),  # an office elsewhere is not a thesis
        ({"serves": ("United States",)}, True),  # where they invest is graded...
        ({"serves": ("US",), "excludes": "We invest only in the US."}, False),  # ...unless "only"
        ({"excludes": "We do not invest in the UK."}, False),
        ({"serves": ("global",)}, True),
        ({"excludes": "Only series A and later."}, False),  # a stage rule written in words
        (
            {"excludes": "We do not back scheduling software for hospital operating theatres."},
            False,
        ),
        ({"portfolio": "Theatrix (scheduling software for hospital operating theatres)"}, False),
        ({"check_min": 6000, "check_max": 10000}, False),  # smallest check above a seed round
        ({"check_min": 1, "check_max": 5}, False),  # under 2% of the round's bottom
        ({"visible": False}, False),
    ],
)
async def test_investor_hard_filters(
    embedder: FakeEmbedder, changes: dict[str, object], allowed: bool
) -> None:
    m = await matcher_with(embedder, replace(INVESTOR, **changes))  # type: ignore[arg-type]
    assert (2 in ids(m.suggest(1))) is allowed
    # filters are symmetric: the investor sees the founder under the same rules
    if changes.get("visible", True):
        assert (1 in ids(m.suggest(2))) is allowed
    assert (m.score_pair(1, 2) > 0) is allowed


async def test_founder_round_size_overrides_stage_table(embedder: FakeEmbedder) -> None:
    big = replace(INVESTOR, check_min=3000, check_max=8000)
    m = await matcher_with(embedder, big)
    assert 2 in ids(m.suggest(1))  # a seed round may reach $5M
    await m.upsert(replace(FOUNDER, check_min=500, check_max=1500))
    assert 2 not in ids(m.suggest(1))


async def test_mentor_sector_and_place_are_graded_not_filters(embedder: FakeEmbedder) -> None:
    far = replace(MENTOR, sectors=frozenset({"fintech"}), serves=("United States",))
    m = await matcher_with(embedder, far)
    assert ids(m.suggest(1)) == [3]
    near = m.explain(1, 3)
    await m.upsert(replace(MENTOR, serves=("UK",)))
    closer = m.explain(1, 3)
    assert near is not None
    assert closer is not None
    # shared sector +0.04; serves where you are +0.05 instead of -0.08 for serving elsewhere
    assert closer.score == pytest.approx(near.score + 0.04 + 0.05 + 0.08, abs=1e-3)
    assert "Works in United Kingdom; you are in London" in closer.why
    assert not any("Works in" in w for w in near.why)


async def test_excluded_and_blocked(embedder: FakeEmbedder) -> None:
    m = await matcher_with(embedder, INVESTOR, MENTOR)
    assert ids(m.suggest(1, exclude=[2])) == [3]
    assert ids(m.suggest(1, blocked=[3])) == [2]
    assert m.suggest(1, exclude=[2], blocked=[3, 99]) == []
    assert m.suggest(1, n=0) == []


async def test_score_prefers_mutual_fit(embedder: FakeEmbedder) -> None:
    plain = replace(INVESTOR, sectors=frozenset(), stage=None, check_min=None, check_max=None)
    one_sided = replace(plain, member=4, seeks="Crypto traders building trading bots.")
    m = await matcher_with(embedder, plain, one_sided)
    top = m.suggest(1)
    by_id = {s.member: s for s in top}
    assert by_id[2].fit_ab == pytest.approx(by_id[4].fit_ab)
    assert by_id[2].fit_ba > by_id[4].fit_ba
    assert ids(top)[0] == 2


async def test_diversity_spreads_near_identical_investors(embedder: FakeEmbedder) -> None:
    clones = [
        replace(INVESTOR, member=10 + i, offers=INVESTOR.offers + f" Fund number {i}.")
        for i in range(5)
    ]
    mentor = replace(MENTOR, offers="Mentoring health founders on sales.")
    m = await matcher_with(embedder, *clones, mentor)
    raw = sorted((m.explain(1, b) for b in [*range(10, 15), 3]), key=lambda s: -s.score)  # type: ignore[union-attr]
    assert [s.member for s in raw].index(3) >= 3  # by score alone the mentor is 4th or lower
    top3 = ids(m.suggest(1, n=3))
    assert 3 in top3
    assert len(top3) == 3


async def test_why_cites_evidence(embedder: FakeEmbedder) -> None:
    m = await matcher_with(embedder, INVESTOR, MENTOR)
    by_id = {s.member: s for s in m.suggest(1)}
    mentor_why = " | ".join(by_id[3].why)
    assert "Twelve years selling to hospital procurement teams" in mentor_why
    assert "Help selling to hospital procurement teams" in mentor_why
    assert "Both in health" in mentor_why
    assert "Both based in" not in mentor_why  # two cities are not "both in" anything
    investor_why = " | ".join(by_id[2].why)
    assert "Invests at seed, your stage" in investor_why
    assert "Writes $250k–$1M checks" in investor_why
    back = m.explain(2, 1)
    assert back is not None
    assert any("You write $250k–$1M checks" in w for w in back.why)
    assert any("Raising at seed" in w for w in back.why)


async def test_their_wish_is_quoted_only_when_it_matches_what_you_offer(
    embedder: FakeEmbedder,
) -> None:
    unrelated = replace(MENTOR, member=4, name="Olu", seeks="Gardeners who grow rare orchids.")
    m = await matcher_with(embedder, MENTOR, unrelated)
    related = m.explain(1, 3)
    assert related is not None
    assert any(w.startswith("Looking for “Founders selling software") for w in related.why)
    off_topic = m.explain(1, 4)
    assert off_topic is not None
    assert off_topic.why  # still explained by what it offers and shared facts
    assert not any(w.startswith("Looking for") for w in off_topic.why)


async def test_pair_weights_matrix(embedder: FakeEmbedder) -> None:
    fintech = replace(INVESTOR, member=4, sectors=frozenset({"fintech"}))
    m = await matcher_with(embedder, INVESTOR, MENTOR, fintech)
    w = m.pair_weights([1, 2, 3, 4])
    assert w.shape == (4, 4)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(np.diag(w), 0)
    assert w[0, 1] > 0
    assert w[0, 2] > 0
    assert w[0, 3] == 0  # sector filter
    assert w[1, 2] == 0  # investor and mentor are not complementary
    assert m.score_pair(1, 3) == pytest.approx(w[0, 2])
    excluded = m.pair_weights([1, 2, 3], exclude_pairs=[(2, 1)])
    assert excluded[0, 1] == excluded[1, 0] == 0
    assert excluded[0, 2] > 0


async def test_unchanged_profiles_are_never_encoded_twice(embedder: FakeEmbedder) -> None:
    calls = 0
    real = embedder.aencode

    async def counting(texts: list[str]) -> np.ndarray:
        nonlocal calls
        calls += 1
        return await real(texts)

    embedder.aencode = counting  # type: ignore[method-assign]
    m = await matcher_with(embedder, INVESTOR, MENTOR)
    encoded = embedder.encoded_texts
    assert calls == 2  # the calibration clauses once, then the profiles
    await m.sync([FOUNDER, INVESTOR, MENTOR])
    await m.upsert(MENTOR)
    assert calls == 2
    assert embedder.encoded_texts == encoded
    await m.upsert(replace(MENTOR, offers=MENTOR.offers + " Also procurement training."))
    assert calls == 3
    # only the changed offers text (and its one clause) reached the model
    assert embedder.encoded_texts == encoded + 2


async def test_upsert_replaces_and_remove_forgets(embedder: FakeEmbedder) -> None:
    m = await matcher_with(embedder, INVESTOR, MENTOR)
    await m.upsert(replace(MENTOR, roles=frozenset({"investor"}), sectors=frozenset({"crypto"})))
    assert 3 not in ids(m.suggest(1))
    assert m.remove(2) is True
    assert m.remove(2) is False
    assert ids(m.suggest(1)) == []
    await m.sync([FOUNDER, MENTOR])
    assert ids(m.suggest(1)) == [3]
    await m.sync([MENTOR])
    assert 1 not in m
    assert len(m) == 1


def test_vector_index_add_remove_update_and_search() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((40, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex(8)
    for key, vec in enumerate(vecs):
        index.add(key * 10, vec)
    for key in (0, 130, 390, 200):
        assert index.remove(key)
    assert not index.remove(130)
    index.add(50, -vecs[5])  # update in place
    live = {k * 10: vecs[k] for k in range(40) if k * 10 not in (0, 130, 390, 200)}
    live[50] = -vecs[5]
    assert len(index) == len(live)
    assert index.matrix.dtype == np.float16
    for key, row in zip(index.keys, range(len(index)), strict=True):
        np.testing.assert_allclose(index.matrix[row], live[int(key)], atol=1e-3)
    query = vecs[7]
    keys, scores = index.search(query, 5)
    expected = sorted(live, key=lambda k: -float(live[k] @ query))[:5]
    assert list(keys) == expected
    assert scores[0] == pytest.approx(1.0, abs=1e-3)
    mask = index.keys != 70
    assert 70 not in index.search(query, 5, mask)[0]
    assert len(index.search(query, 100)[0]) == len(live)
    with pytest.raises(ValueError, match="shape"):
        index.add(1, np.zeros(3, dtype=np.float32))


def test_row_stores_stay_aligned_under_the_same_operations() -> None:
    a = RowStore({"x": ((), np.int64)})
    b = VectorIndex(2)
    rng = np.random.default_rng(1)
    for step in range(300):
        key = int(rng.integers(0, 30))
        if rng.random() < 0.4:
            assert a.remove(key) == b.remove(key)
        else:
            a.put(key, x=key)
            b.add(key, np.array([key, step], dtype=np.float32))
    np.testing.assert_array_equal(a.keys, b.keys)
    np.testing.assert_array_equal(a.column("x"), a.keys)
    np.testing.assert_array_equal(b.matrix[:, 0], b.keys)


def test_vector_index_bulk_add_matches_single_adds() -> None:
    rng = np.random.default_rng(2)
    vecs = rng.standard_normal((50, 4)).astype(np.float32)
    single, bulk = VectorIndex(4), VectorIndex(4)
    for key, vec in enumerate(vecs[:30]):
        single.add(key, vec)
    bulk.add_many(np.arange(30), vecs[:30])
    # the second batch overwrites 10 keys and appends 20 new ones
    for key, vec in zip(range(20, 50), vecs[20:] * 2, strict=True):
        single.add(key, vec)
    bulk.add_many(np.arange(20, 50), vecs[20:] * 2)
    np.testing.assert_array_equal(single.keys, bulk.keys)
    np.testing.assert_array_equal(single.matrix, bulk.matrix)
    assert bulk.row_of(45) == 45
    with pytest.raises(ValueError, match="dimension"):
        bulk.add_many(np.arange(2), vecs[:3])


async def test_money_asks_are_answered_by_investors_only(embedder: FakeEmbedder) -> None:
    founder = replace(FOUNDER, seeks="A lead investor for our $500k pre-seed round.")
    engineer = Profile(
        5,
        "Sam",
        roles=frozenset({"talent"}),
        offers="Python, Go and Postgres; I invest time in open source.",
        seeks="An early engineering role.",
    )
    m = Matcher(embedder)
    await m.sync([founder, INVESTOR, engineer])
    to_engineer = m.explain(1, 5)
    assert to_engineer is not None
    assert not any("lead investor" in w for w in to_engineer.why)
    to_investor = m.explain(1, 2)
    assert to_investor is not None
    assert to_investor.fit_ab > to_engineer.fit_ab


def test_clauses_split_long_sentences() -> None:
    from models.matching.why import clauses, quote

    text = (
        "We lead first institutional rounds in digital health and medtech, and we're used to "
        "hospital deals taking 18 months to close.\nAlso: mentoring"
    )
    assert clauses(text) == [
        "We lead first institutional rounds in digital health",
        "we're used to hospital deals taking 18 months to close",
        "Also: mentoring",
    ]
    assert quote("word " * 40, limit=20) == "“word word word…”"


def test_float16_scan_agrees_with_float32() -> None:
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((500, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex(16)
    index.add_many(np.arange(500), vecs)
    query = vecs[17]
    np.testing.assert_allclose(index.scores(query), vecs @ query, atol=2e-3)
    exact = np.argsort(-(vecs @ query))[:10]
    assert set(index.search(query, 10)[0]) == set(exact)


async def test_unmatchable_profiles_are_neither_suggested_nor_served(
    embedder: FakeEmbedder,
) -> None:
    headline_only = replace(MENTOR, member=6, offers="", seeks="")
    no_role = replace(MENTOR, member=7, roles=frozenset())
    m = await matcher_with(embedder, MENTOR, headline_only, no_role)
    assert ids(m.suggest(1)) == [3]
    assert m.why_not(1, 6) == "Their profile has no role or no offer yet."
    with pytest.raises(MatchError, match="role and what you offer"):
        m.suggest(7)
