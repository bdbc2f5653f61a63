"""Text retention keeps the insight: weekly topic summaries and rollups outlive the text
(bot/features/digests/summaries.py, warm.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Core
from bot.features.digests import summaries
from bot.features.digests.build import build_digest
from bot.features.digests.warm import warm_history
from tests.conftest import Clock

pytestmark = pytest.mark.engines

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SPRING = "pricing the saas plan for small teams, annual discount tiers"
WINTER = "hiring a rust embedded firmware engineer for the hardware startup"


def _year(core: Core) -> int:
    """A year of chat: winter hiring talk, then spring pricing talk; returns the messages."""
    store = core.store
    community = store.community("guild", "Guild")
    chat = store.chat(community, "fake", "general")
    members = [store.member(community, "fake", f"u{i}", f"Member{i}", 0).id for i in range(5)]
    start = NOW - timedelta(days=365)
    count = 0
    for day in range(365):
        at = start + timedelta(days=day, hours=10)
        text = WINTER if day < 200 else SPRING
        for i in range(6):
            store.add_activity(community, members[(day + i) % 5], chat,
                               int((at + timedelta(minutes=i)).timestamp()), 0, 40,
                               f"{text} {day % 7} {i}")  # fmt: skip
            count += 1
    store.flush()
    return count


async def test_thirty_days_of_text_keep_a_year_of_trends(cached_core: Core, clock: Clock) -> None:
    clock.now = NOW
    total = _year(cached_core)
    start = int((NOW - timedelta(days=366)).timestamp())
    encoded, weeks = await warm_history(cached_core, 1, start, int(NOW.timestamp()))
    assert encoded > 0
    assert weeks >= 50
    cached_core.expire_text()  # the default 30-day retention, as at the next start
    kept = cached_core.store.scalar("SELECT count(*) FROM activity WHERE text IS NOT NULL")
    assert 29 * 6 <= kept <= 31 * 6
    year = await build_digest(cached_core, 1, NOW, 365)
    fields = dict(year.reply.fields)
    assert fields["Messages"].startswith(f"{total:,}")  # counts outlive the text
    text = year.reply.text
    assert "weekly summaries" in text
    assert "come from the weekly topic summaries" in text
    earlier = text.split("(weekly summaries)")[1]
    assert "hiring" in earlier or "rust" in earlier or "firmware" in earlier
    quarter = await build_digest(cached_core, 1, NOW, 90)
    assert "come from the weekly topic summaries" in quarter.reply.text


async def test_quotes_in_summaries_come_only_from_members_who_may_be_named(
    cached_core: Core, clock: Clock
) -> None:
    clock.now = NOW
    _year(cached_core)
    with cached_core.store.transaction() as c:
        c.execute("UPDATE members SET named = 0")
    start = int((NOW - timedelta(days=30)).timestamp())
    await warm_history(cached_core, 1, start, int(NOW.timestamp()))
    rows = cached_core.store.rows("SELECT quote FROM topic_summaries")
    assert rows
    assert all(r["quote"] is None for r in rows)
    assert summaries.load(cached_core.store, 1, 0, int(NOW.timestamp()) + 86400)


async def test_forget_drops_the_members_quotes_from_summaries(
    cached_core: Core, clock: Clock
) -> None:
    from bot.features.privacy import forget_member

    clock.now = NOW
    _year(cached_core)
    start = int((NOW - timedelta(days=30)).timestamp())
    await warm_history(cached_core, 1, start, int(NOW.timestamp()))
    quoted = cached_core.store.rows(
        "SELECT DISTINCT a.member, t.quote FROM topic_summaries t "
        "JOIN activity a ON a.text = t.quote AND a.community = t.community"
    )
    assert quoted  # the summaries quote members who may be named
    member = int(quoted[0]["member"])
    forget_member(cached_core.store, cached_core.features, 1, member)
    left = {r["quote"] for r in cached_core.store.rows("SELECT quote FROM topic_summaries")}
    assert not left & {r["quote"] for r in quoted if int(r["member"]) == member}
