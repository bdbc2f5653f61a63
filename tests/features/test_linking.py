"""/link: a member's Discord and Telegram accounts become one member, losing nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from adapters.fake import FakeAdapter
from bot.config import CommunityConfig, Config
from bot.core import Core
from bot.storage.store import Store
from tests.conftest import Clock
from tests.privacy_scan import traces

LINKED = CommunityConfig(
    "Founders Guild", "community:guild", discord_guilds=("g1",), telegram_chats=("-100",)
)


@pytest.fixture
async def core(config: Config, clock: Clock) -> AsyncIterator[Core]:
    linked = Config(database=config.database, communities=(LINKED,))
    core = Core(linked, Store(linked.database), clock=clock)
    yield core
    await core.close()


@pytest.fixture
def tg(core: Core) -> FakeAdapter:
    return FakeAdapter(core, name="telegram", space="-100")


@pytest.fixture
def dc(core: Core) -> FakeAdapter:
    adapter = FakeAdapter(core, name="discord", space="g1")
    adapter.admins.add("admin")
    return adapter


def member_of(core: Core, platform: str, user: str) -> int:
    return int(
        core.store.scalar(
            "SELECT member FROM identities WHERE platform = ? AND user = ?", (platform, user)
        )
    )


async def code_from(chat: FakeAdapter, user: str) -> str:
    [sent] = await chat.say(user, "/link")
    found = re.search(r"code is ([0-9A-F]{6})", sent.text)
    assert found, sent.text
    return found.group(1)


async def test_linking_combines_activity_profile_and_events(
    core: Core, tg: FakeAdapter, dc: FakeAdapter
) -> None:
    await tg.say("ana", "hello from telegram", name="Ana")
    await tg.say("ana", "/profile set headline Building payroll for LatAm", name="Ana")
    await dc.say("ana_dc", "hello from discord", name="ana.dc")
    await dc.say("ana_dc", "and again", name="ana.dc")
    await dc.say("admin", "/event create 2026-11-20T18:00 Demo night")
    await dc.say("ana_dc", "/event rsvp 1", name="ana.dc")
    keep, drop = member_of(core, "telegram", "ana"), member_of(core, "discord", "ana_dc")

    code = await code_from(tg, "ana")
    [done] = await dc.say("ana_dc", f"/link {code.lower()}", name="ana.dc")
    assert "discord and telegram accounts are now one member, Ana" in done.text

    assert member_of(core, "discord", "ana_dc") == keep
    assert traces(core.store, drop, []) == []  # no row points at the old member any more
    [stats] = await dc.say("ana_dc", "/stats", name="ana.dc")
    assert dict(stats.reply.fields)["Messages"] == "3"
    [profile] = await dc.say("ana_dc", "/profile", name="ana.dc")
    assert "Building payroll for LatAm" in profile.text
    going = core.store.scalar("SELECT member FROM event_rsvps WHERE event = 1")
    assert going == keep
    await tg.say("ana", "one more", name="Ana")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE kind = 0") == 4


async def test_bad_codes_are_explained(
    core: Core, tg: FakeAdapter, dc: FakeAdapter, clock: Clock
) -> None:
    await dc.say("bo", "hi")
    [bad] = await dc.say("bo", "/link ZZZZZZ")
    assert "not a valid link code" in bad.text
    code = await code_from(tg, "ana")
    [same] = await tg.say("ana", f"/link {code}")
    assert "same account" in same.text
    clock.advance(minutes=16)
    [late] = await dc.say("bo", f"/link {code}")
    assert "not a valid link code" in late.text
    assert core.store.scalar("SELECT count(*) FROM members") == 2  # nothing was merged


async def test_the_more_private_choice_wins(core: Core, tg: FakeAdapter, dc: FakeAdapter) -> None:
    await tg.say("ana", "logged on telegram")
    await dc.say("ana_dc", "/privacy tracking off")
    code = await code_from(tg, "ana")
    await dc.say("ana_dc", f"/link {code}")
    keep = member_of(core, "telegram", "ana")
    assert core.store.scalar("SELECT tracking FROM members WHERE id = ?", (keep,)) == 0
    assert core.store.scalar("SELECT count(*) FROM activity") == 0
    await tg.say("ana", "not logged now")
    assert core.store.scalar("SELECT count(*) FROM activity") == 0


async def test_rows_that_would_pair_a_member_with_themself_go(
    core: Core, tg: FakeAdapter, dc: FakeAdapter
) -> None:
    await dc.say("ana_dc", "hi")
    await tg.say("ana", "/block ana_dc")
    assert core.store.scalar("SELECT count(*) FROM match_blocks") == 1
    code = await code_from(tg, "ana")
    await dc.say("ana_dc", f"/link {code}")
    assert core.store.scalar("SELECT count(*) FROM match_blocks") == 0


async def test_forget_removes_pending_link_codes(core: Core, tg: FakeAdapter) -> None:
    await code_from(tg, "ana")
    ana = member_of(core, "telegram", "ana")
    [confirm] = await tg.say("ana", "/forget")
    await tg.press("ana", confirm.reply.buttons[0].callback, direct=False)
    assert traces(core.store, ana, ["Ana"]) == []
