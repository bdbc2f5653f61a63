"""Topics in digests: background embedding, bounded per-day sampling, rising topics wired in.

Uses FakeEmbedder (hashed bag of words); topic quality with the real model is tested in the
topics module's own tests.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.features.digests import topic_worker
from bot.features.digests.feature import latest_digest, worker
from bot.features.digests.topic_worker import TopicWorker, bottom_k
from bot.storage.store import Store
from models.embedder import text_hash
from tests.conftest import Clock
from tests.fake_embedder import FakeEmbedder

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
STEADY = [
    "we are hiring a senior backend engineer, any recruiter tips?",
    "how do you interview engineers for a seed stage startup",
    "closing our seed round, which angel investors write small checks",
    "fundraising deck feedback wanted before investor meetings",
]
RISING = [
    "our saas pricing page converts badly, usage based pricing or seats?",
    "churn jumped after the pricing change, how do you measure churn",
    "annual saas pricing discounts reduce churn?",
]
TAILS = ["", "?", "thanks", "ok", "really", "+1 on this"]


@pytest.fixture
async def core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    store = Store(db_path)
    core = Core(Config(database=db_path), store, clock=clock, embedder=FakeEmbedder(cache=store))
    yield core
    await core.close()


async def four_weeks(chat: FakeAdapter, per_day: int = 24) -> None:
    """Steady talk for four weeks; pricing and churn only in the last one."""
    rng = random.Random(3)
    for day in range(28, 0, -1):
        base = NOW - timedelta(days=day)
        pool = STEADY + (RISING * 2 if day <= 7 else [])
        for i in range(per_day):
            text = f"{rng.choice(pool)} {rng.choice(TAILS)}".strip()
            await chat.say(f"u{rng.randrange(8)}", text, at=base + timedelta(minutes=25 * i))


async def test_messages_are_embedded_in_the_background_and_cached(
    core: Core, chat: FakeAdapter
) -> None:
    text = "which payroll tool do you use in Germany?"
    await chat.say("ana", text)
    await chat.say("ana", "/trends")  # commands are not topic material
    assert list(worker(core).queue) == [text]
    assert await worker(core).drain() == 1
    assert core.embedder is not None
    assert list(core.store.get_many(core.embedder.model_id, [text_hash(text)])) == [text_hash(text)]


async def test_background_worker_runs_off_the_loop_when_started(
    core: Core, chat: FakeAdapter
) -> None:
    w = worker(core)
    w.idle = 0.01
    await core.start()
    await chat.say("ana", "looking for a fractional CFO")
    for _ in range(200):
        if w.encoded:
            break
        await asyncio.sleep(0.01)
    assert w.encoded == 1
    assert core.embedder is not None
    assert core.embedder.encoded_texts == 1
    assert not w.queue


def test_daily_sampling_is_bounded_and_matches_the_digest_sample() -> None:
    class NoStore:
        def version(self, kind: str, *, fresh: bool = False) -> int:
            return 0

    class NoCore:
        embedder = object()
        store = NoStore()

    w = TopicWorker(NoCore(), daily_sample=50)  # type: ignore[arg-type]
    texts = [f"message number {i} about things" for i in range(5000)]
    day = int(NOW.timestamp())
    accepted = [t for t in texts if w.offer(1, day, t)]
    # A bottom-k sketch queues about k·(1 + ln(m/k)) texts of m: bounded, not m.
    assert len(accepted) <= 3 * 50 * (1 + math.log(5000 / 50))
    assert set(bottom_k(texts, 50)) <= set(accepted)
    assert not w.offer(1, day, texts[0])  # a repeat is never queued twice
    assert w.offer(2, day, texts[0]) == (texts[0] in accepted)  # communities are separate


async def test_digest_shows_the_rising_topic_from_cached_vectors(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    clock.now = NOW
    await four_weeks(chat)
    await worker(core).drain()
    encoded = core.embedder.encoded_texts  # type: ignore[union-attr]
    digest = await latest_digest(core, 1, end=NOW)
    assert core.embedder.encoded_texts == encoded  # type: ignore[union-attr]  # all cached
    assert digest.topics is not None
    rising_words = {w for t in digest.topics.rising for k in t.keywords for w in k.split()}
    assert rising_words & {"pricing", "churn", "saas"}
    assert not any({"hiring", "fundraising"} & set(t.keywords) for t in digest.topics.rising)
    text = digest.reply.text
    assert "Rising topics" in text
    assert text.index("Rising topics") < text.index("“")
    assert "sample" not in text  # a quiet community is not sampled


async def test_busy_days_are_sampled_and_the_digest_says_so(
    core: Core, chat: FakeAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topic_worker, "DAILY_SAMPLE", 5)
    clock.now = NOW
    await four_weeks(chat)
    digest = await latest_digest(core, 1, end=NOW)
    utc_days = 29  # 28 local days of chat touch 29 UTC days
    assert len(digest.data.topic_texts) <= utc_days * 5
    assert digest.data.sampled_days >= 20
    assert digest.data.stored_texts == 28 * 24
    assert "Topics use a sample of up to 5 messages a day" in digest.reply.text


async def test_digest_encodes_misses_itself_within_a_budget(
    core: Core, chat: FakeAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.features.digests import build as digest_build

    monkeypatch.setattr(digest_build, "ENCODE_BUDGET", 30)
    clock.now = NOW
    await four_weeks(chat, per_day=6)
    worker(core).queue.clear()  # the background work never ran
    digest = await latest_digest(core, 1, end=NOW)
    assert core.embedder.encoded_texts == 30  # type: ignore[union-attr]
    assert "still waiting for topic analysis" in digest.reply.text


async def test_without_a_model_the_digest_has_no_topics_but_still_posts(
    db_path: Path, clock: Clock
) -> None:
    core = Core(Config(database=db_path), Store(db_path), clock=clock)
    chat = FakeAdapter(core)
    clock.now = NOW
    await four_weeks(chat, per_day=3)
    digest = await latest_digest(core, 1, end=NOW)
    assert digest.topics is None
    assert dict(digest.reply.fields)["Messages"].startswith("21")
    await core.close()


async def test_history_that_bypassed_the_listener_is_backfilled(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    from bot.features.digests.feature import prepare_topics

    clock.now = NOW
    await four_weeks(chat, per_day=6)
    worker(core).queue.clear()  # as if imported straight into the store
    encoded = await prepare_topics(core, 1)
    assert encoded > 20
    assert await prepare_topics(core, 1) == 0  # everything is cached now
    before = core.embedder.encoded_texts  # type: ignore[union-attr]
    digest = await latest_digest(core, 1, end=NOW)
    assert core.embedder.encoded_texts == before  # type: ignore[union-attr]
    assert digest.topics is not None
    assert "waiting for topic analysis" not in digest.reply.text


async def test_preview_uses_the_background_report_and_a_stale_one_is_ignored(
    core: Core, chat: FakeAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.features.digests import build
    from bot.features.digests.feature import Digests

    clock.now = NOW
    await four_weeks(chat, per_day=8)
    await worker(core).drain()
    await core.feature(Digests).refresh_topics(1)
    fresh = worker(core).cached_report(1, 7, int(NOW.timestamp()))
    assert fresh is not None
    assert fresh.report is not None

    def no_clustering(*_: object, **__: object) -> None:
        raise AssertionError("the preview worked the topics out again")

    monkeypatch.setattr(build, "extract_topics", no_clustering)
    digest = await latest_digest(core, 1, end=NOW)
    assert digest.topics is fresh.report
    # a week later the cached report is for another period: not used
    assert worker(core).cached_report(1, 7, int((NOW + timedelta(days=7)).timestamp())) is None


async def test_only_a_busy_community_gets_a_background_report(
    core: Core, chat: FakeAdapter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = NOW
    await chat.say("ana", "just one message about pricing", at=NOW - timedelta(hours=2))
    w = worker(core)
    await w._refresh_due()
    assert w.reports == {}  # quiet: worked out on demand
    monkeypatch.setattr(topic_worker, "BUSY", 1)
    await w._refresh_due()
    assert list(w.reports) == [(1, 7)]
