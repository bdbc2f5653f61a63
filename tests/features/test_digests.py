"""Digest content and the /digest and /trends commands (no model: topics are left out)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.fake import FakeAdapter
from bot.core import Core
from bot.features.digests import build as digest_build
from bot.features.digests.build import snippet
from bot.features.digests.feature import latest_digest
from bot.replies import Visibility
from tests.conftest import Clock

pytestmark = pytest.mark.engines


NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


async def say_at(chat: FakeAdapter, user: str, text: str, at: datetime, times: int = 1) -> None:
    for i in range(times):
        await chat.say(user, f"{text} #{i}", at=at + timedelta(minutes=i))


@pytest.fixture
async def busy(core: Core, chat: FakeAdapter, clock: Clock) -> FakeAdapter:
    """Two weeks of chat: the week before NOW and the week before that."""
    clock.now = NOW
    long_ago = NOW - timedelta(days=30)
    await say_at(chat, "ana", "hello from ana", long_ago)
    await say_at(chat, "ben", "hello from ben", long_ago)
    await say_at(chat, "cat", "hello from cat", long_ago)
    previous = NOW - timedelta(days=10)
    await say_at(chat, "ana", "last week ana", previous, 2)
    await say_at(chat, "ben", "last week ben", previous, 2)
    current = NOW - timedelta(days=3)
    await say_at(chat, "ana", "this week ana", current, 6)
    await say_at(chat, "ben", "this week ben", current, 2)
    await say_at(chat, "cat", "this week cat", current, 9)  # the most active, but unnamed
    await say_at(chat, "dan", "hi all, new here", current)
    await say_at(chat, "eve", "hi, also new", current)
    cat = core.store.find_members(1, "Cat")[0][0]
    core.store.set_member(cat, named=0)
    return chat


def fields(reply: object) -> dict[str, str]:
    return dict(reply.fields)  # type: ignore[attr-defined]


async def test_numbers_change_against_the_previous_period(core: Core, busy: FakeAdapter) -> None:
    digest = await latest_digest(core, 1, end=NOW)
    got = fields(digest.reply)
    assert got["Messages"] == "19 (+375% vs 4)"
    assert got["Active members"] == "5 (+150% vs 2)"
    assert got["New members"] == "2 (none the period before)"
    assert digest.reply.title is not None
    assert digest.reply.title.startswith("Weekly digest")


async def test_opted_out_member_is_never_named(core: Core, busy: FakeAdapter) -> None:
    digest = await latest_digest(core, 1, end=NOW)
    top = fields(digest.reply)["Top contributors"]
    assert top.startswith("Ana (6), Ben (2)")
    everything = digest.reply.text + str(digest.reply.fields)
    assert "Cat" not in everything
    assert "Please welcome Dan, Eve!" in digest.reply.text
    assert digest.full is not None
    assert "Please welcome:\n• Dan\n• Eve" in digest.full.text


async def test_forecast_and_chart_are_included(core: Core, busy: FakeAdapter) -> None:
    digest = await latest_digest(core, 1, end=NOW)
    forecast = fields(digest.reply)["Forecast"]
    assert forecast.startswith("next week: about ")
    assert ", likely " in forecast
    assert "; a quiet week would be under " in forecast
    assert digest.forecast is not None
    assert digest.forecast.method == "least squares"  # a month of history: no backtest yet
    attachment = digest.reply.attachment
    assert attachment is not None
    assert attachment.is_image
    assert attachment.data.startswith(b"\x89PNG")
    assert attachment.data == digest.chart


async def test_a_chart_that_fails_still_posts_the_text(
    core: Core, busy: FakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: object) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(digest_build, "render_chart", broken)
    (sent,) = await busy.say("admin", "/digest now")
    assert sent.reply.attachment is None
    assert "chart could not be drawn" in sent.reply.text
    assert fields(sent.reply)["Messages"].startswith("19")


async def test_an_empty_period_gives_a_short_friendly_digest(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await chat.say("ana", "hello", at=clock.now - timedelta(days=40))
    digest = await latest_digest(core, 1, end=clock.now)
    assert digest.reply.text.startswith("A quiet 7 days")
    assert digest.reply.fields == ()
    assert digest.reply.attachment is None
    (sent,) = await chat.say("bob", "/trends 3")
    assert "quiet 3 days" in sent.text


async def test_trends_is_for_anyone_and_checks_its_range(busy: FakeAdapter) -> None:
    (sent,) = await busy.say("ben", "/trends 14")
    assert sent.reply.title == "Trends, last 14 days"
    assert sent.reply.slow
    assert fields(sent.reply)["Messages"].startswith("23")
    (bad,) = await busy.say("ben", "/trends 0")
    assert "days must be at least 1" in bad.text


@pytest.mark.parametrize("action", ["schedule weekly mon 09:00", "now", "off"])
async def test_members_who_are_not_admins_cannot_change_the_digest(
    chat: FakeAdapter, action: str
) -> None:
    (sent,) = await chat.say("ben", f"/digest {action}")
    assert sent.text == f"/digest {action.split()[0]} is for the community's admins only."
    assert sent.reply.visibility is Visibility.ONLY_YOU


async def test_preview_is_private_and_now_is_public(busy: FakeAdapter) -> None:
    (preview,) = await busy.say("ben", "/digest preview")
    assert preview.reply.visibility is Visibility.ONLY_YOU
    assert preview.reply.title is not None
    assert "digest" in preview.reply.title
    (now,) = await busy.say("admin", "/digest now")
    assert now.reply.visibility is Visibility.PUBLIC
    assert now.reply.slow


async def test_schedule_status_and_bad_input(chat: FakeAdapter) -> None:
    (bad,) = await chat.say("admin", "/digest schedule weekly someday 9")
    assert "Accepted schedules" in bad.text
    assert "Example:" in bad.text
    (tz,) = await chat.say("admin", "/digest schedule weekly mon 09:00 Mars/Olympus_Mons")
    assert "Unknown timezone 'Mars/Olympus_Mons'" in tz.text
    (empty,) = await chat.say("admin", "/digest schedule")
    assert "Say when." in empty.text
    (extra,) = await chat.say("admin", "/digest now please")
    assert "takes no more words" in extra.text
    (ok,) = await chat.say("admin", "/digest schedule weekly mon 09:00 Europe/Berlin")
    assert "weekly mon 09:00 (Europe/Berlin), posted in this chat" in ok.text
    assert "Next: Mon 09 Nov 2026, 09:00 Europe/Berlin" in ok.text
    (status,) = await chat.say("ben", "/digest")
    assert "Next: Mon 09 Nov 2026" in status.text
    (dm,) = await chat.say("admin", "/digest schedule daily 09:00", direct=True)
    assert "group chat" in dm.text


def test_snippets_never_ping_anyone() -> None:
    line = snippet("hey @everyone and <@123456> and @bob, see " + "x" * 200)
    assert "@everyone" not in line
    assert "<@123456>" not in line
    assert "@\u200bbob" in line
    assert len(line.replace("\u200b", "")) <= 90


def test_a_weekly_window_across_the_dst_change_is_a_wall_clock_week() -> None:
    from zoneinfo import ZoneInfo

    from bot.features.digests.data import window_for

    monday = datetime(2026, 10, 26, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    window = window_for(monday, 7)
    assert window.end - window.start == 169 * 3600  # the week gained the hour clocks went back
    assert datetime.fromtimestamp(window.start, ZoneInfo("Europe/Berlin")).hour == 9


async def test_digest_now_covers_the_scheduled_period_length(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 4, 12, tzinfo=UTC)  # a Wednesday
    await chat.say("admin", "/digest schedule biweekly mon 09:00 UTC")
    await chat.say("ana", "hello", at=clock.now - timedelta(days=12))
    digest = await latest_digest(core, 1, end=clock.now)
    assert digest.reply.title is not None
    assert digest.reply.title.startswith("Fortnightly digest")
    assert dict(digest.reply.fields)["Messages"].startswith("1 ")


async def test_the_digest_fits_a_phone_screen_and_more_shows_everything(
    core: Core, busy: FakeAdapter
) -> None:
    (sent,) = await busy.say("admin", "/digest now")
    reply = sent.reply
    lines = reply.text.count("\n") + 1 + len(reply.fields) + 1  # body, fields, title
    assert lines <= 20
    (button,) = reply.buttons
    assert button.label == "More"
    (more,) = await busy.press("ben", button.callback)
    assert more.reply.visibility is Visibility.ONLY_YOU
    assert "Please welcome:\n• Dan\n• Eve" in more.reply.text
    (stale,) = await busy.press("ben", "dg:more:x:7")
    assert "expired" in stale.text


async def test_contributors_are_who_others_answered_not_who_wrote_most(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    clock.now = NOW
    at = NOW - timedelta(days=2)
    for i in range(12):  # zed floods the chat with one-word lines nobody answers
        await chat.say("zed", "lol", at=at + timedelta(hours=i, minutes=30))
    for i in range(3):  # ana asks real questions, and ben answers each
        await chat.say("ana", f"How do you structure a SAFE with a valuation cap? ({i})",
                       at=at + timedelta(hours=i))  # fmt: skip
        await chat.say("ben", "We used a post-money SAFE, happy to share the template",
                       at=at + timedelta(hours=i, minutes=2))  # fmt: skip
    digest = await latest_digest(core, 1, end=NOW)
    top = fields(digest.reply)["Top contributors"]
    assert top.startswith("Ana (3 answered)")
    assert "Zed" not in top


async def test_an_admin_who_only_ran_commands_is_no_newcomer(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    clock.now = NOW
    await chat.say("ana", "hello there, glad to be here", at=NOW - timedelta(days=2))
    await chat.say("admin", "/digest status", at=NOW - timedelta(days=1))
    digest = await latest_digest(core, 1, end=NOW)
    assert "Ana" in digest.reply.text
    assert "Admin" not in digest.reply.text
