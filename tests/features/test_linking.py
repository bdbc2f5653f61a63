"""/link: a member's accounts on two platforms become one member, losing nothing, and only
when both accounts confirm."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest

from adapters.fake import FakeAdapter, Sent
from bot.config import CommunityConfig, Config
from bot.core import Core
from bot.storage.store import Store
from tests.conftest import Clock
from tests.privacy_scan import traces

pytestmark = pytest.mark.engines

LINKED = CommunityConfig(
    "Founders Guild", "community:guild", discord_guilds=("g1",), telegram_chats=("-100",)
)


@pytest.fixture
def linked(config: Config) -> Config:
    return dataclasses.replace(config, communities=(LINKED,))


@pytest.fixture
async def core(linked: Config, clock: Clock) -> AsyncIterator[Core]:
    core = Core(linked, Store(linked.store), clock=clock)
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


async def code_from(chat: FakeAdapter, user: str, **kwargs: object) -> str:
    [sent] = await chat.say(user, "/link", **kwargs)
    found = re.search(r"code is ([A-Z2-9]{8})\.", sent.text)
    assert found, sent.text
    return found.group(1)


def button(sent: Sent, prefix: str) -> str:
    for b in sent.reply.buttons:
        if b.callback.startswith(prefix):
            return b.callback
    raise AssertionError(f"no {prefix} button in {sent.reply.buttons}")


async def link(
    first: FakeAdapter, second: FakeAdapter, user1: str, user2: str, **kwargs: object
) -> Sent:
    """The whole flow: code on `first`, claim and confirm on `second`, confirm on `first`."""
    code = await code_from(first, user1, **kwargs)
    [ask] = await second.say(user2, f"/link {code}", **kwargs)
    [almost] = await second.press(user2, button(ask, "link:yes:"), direct=False, **kwargs)
    assert "confirm on your" in almost.text
    asked = first.sent[-1]  # the first account is asked on its own platform
    assert asked.target.platform == first.name
    assert asked.target.user == user1
    [done] = await first.press(user1, button(asked, "link:ok:"), **kwargs)
    return done


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

    done = await link(tg, dc, "ana", "ana_dc", name="Ana")
    assert "discord and telegram accounts are now one member, Ana" in done.text

    assert member_of(core, "discord", "ana_dc") == keep
    declared = [column for f in core.features for column in f.member_columns]
    assert traces(core.store, drop, [], declared) == []  # no row points at the old member
    [stats] = await dc.say("ana_dc", "/stats", name="ana.dc")
    assert dict(stats.reply.fields)["Messages"] == "3"
    [profile] = await dc.say("ana_dc", "/profile", name="ana.dc")
    assert "Building payroll for LatAm" in profile.text
    going = core.store.scalar("SELECT member FROM event_rsvps WHERE event = 1")
    assert going == keep
    await tg.say("ana", "one more", name="Ana")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE kind = 0") == 4


async def test_both_accounts_confirm_and_the_button_names_the_first(
    core: Core, tg: FakeAdapter, dc: FakeAdapter
) -> None:
    await tg.say("ana", "hi", name="Ana Reyes")
    code = await code_from(tg, "ana", name="Ana Reyes")
    [ask] = await dc.say("ana_dc", f"/link {code}", name="ana.dc")
    assert [b.label for b in ask.reply.buttons] == [
        "Yes, link with Ana Reyes (@ana on telegram)",
        "Cancel",
    ]
    assert core.store.scalar("SELECT count(*) FROM members") == 2  # nothing merged yet
    # the first account's button cannot be pressed by the second before it is asked
    [early] = await dc.press("ana_dc", f"link:ok:{code}", direct=False)
    assert "other account" in early.text
    await dc.press("ana_dc", button(ask, "link:yes:"), direct=False)
    asked = tg.sent[-1]
    assert asked.reply.buttons[0].label == "Yes, link with Ana_Dc (@ana_dc on discord)"
    assert core.store.scalar("SELECT count(*) FROM members") == 2
    # a third person cannot confirm for either
    [other] = await tg.press("bo", button(asked, "link:ok:"))
    assert "someone else" in other.text or "not part of" in other.text
    [no] = await tg.press("ana", button(asked, "link:no:"))
    assert "Nothing was linked" in no.text
    assert core.store.scalar("SELECT count(*) FROM members") == 2


async def test_two_accounts_on_one_platform_are_never_merged(core: Core) -> None:
    console = FakeAdapter(core, name="console", space="-100")
    await console.say("erik", "my plans", name="Erik Reyes")
    await console.say("tess", "/profile set headline Tess owns this startup", name="Tess")
    code = await code_from(console, "erik", name="Erik Reyes")
    [refused] = await console.say("tess", f"/link {code}", name="Tess")
    assert "different platforms" in refused.text
    assert not refused.reply.buttons
    assert core.store.scalar("SELECT count(*) FROM members") == 2
    [profile] = await console.say("tess", "/profile", name="Tess")
    assert "Tess owns this startup" in profile.text


async def test_codes_expire_and_say_when(
    core: Core, tg: FakeAdapter, dc: FakeAdapter, clock: Clock
) -> None:
    [sent] = await tg.say("ana", "/link")
    assert "until 12:15 (UTC)" in sent.text
    code = re.search(r"code is (\w+)\.", sent.text).group(1)  # type: ignore[union-attr]
    [same] = await tg.say("ana", f"/link {code}")
    assert "same account" in same.text
    clock.advance(minutes=16)
    [late] = await dc.say("bo", f"/link {code}")
    assert "not a valid link code" in late.text
    assert core.store.scalar("SELECT count(*) FROM members") == 2


async def test_wrong_codes_are_throttled_across_a_restart(
    core: Core, tg: FakeAdapter, dc: FakeAdapter, clock: Clock, linked: Config
) -> None:
    code = await code_from(tg, "ana")
    for _ in range(5):
        [bad] = await dc.say("bo", "/link ZZZZZZZZ")
        assert "not a valid link code" in bad.text
    [slow] = await dc.say("bo", f"/link {code}")  # even the right code waits now
    assert "Too many wrong link codes. Try again after 12:10 (UTC)" in slow.text
    await core.close()

    again = Core(linked, Store(linked.store), clock=clock)
    try:
        dc2 = FakeAdapter(again, name="discord", space="g1")
        FakeAdapter(again, name="telegram", space="-100")
        [still] = await dc2.say("bo", f"/link {code}")
        assert "Too many wrong link codes" in still.text
        clock.advance(minutes=10, seconds=1)
        [ask] = await dc2.say("bo", f"/link {code}")
        assert ask.reply.buttons, ask.text
    finally:
        await again.close()
    core.store = Store(linked.store)  # the fixture closes it again


async def test_an_admin_can_undo_a_link(core: Core, tg: FakeAdapter, dc: FakeAdapter) -> None:
    await tg.say("ana", "from telegram", name="Ana")
    await dc.say("ana_dc", "from discord", name="ana.dc")
    await dc.say("ana_dc", "and discord again", name="ana.dc")
    await link(tg, dc, "ana", "ana_dc")
    keep = member_of(core, "telegram", "ana")
    assert member_of(core, "discord", "ana_dc") == keep

    [refused] = await tg.say("ana", "/unlink Ana")
    assert "admins only" in refused.text
    [done] = await dc.say("admin", "/unlink Ana")
    assert "discord account of Ana is a separate member again, Ana_Dc" in done.text
    split = member_of(core, "discord", "ana_dc")
    assert split != keep
    count = "SELECT count(*) FROM activity WHERE member = ?"
    assert core.store.scalar(count, (split,)) == 2
    assert core.store.scalar(count, (keep,)) == 1
    [none] = await dc.say("admin", "/unlink Ana")
    assert "no linked account" in none.text


async def test_the_more_private_choice_wins(core: Core, tg: FakeAdapter, dc: FakeAdapter) -> None:
    await tg.say("ana", "logged on telegram")
    await dc.say("ana_dc", "/privacy tracking off")
    await link(tg, dc, "ana", "ana_dc")
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
    await link(tg, dc, "ana", "ana_dc")
    assert core.store.scalar("SELECT count(*) FROM match_blocks") == 0


async def test_forget_removes_pending_link_codes(core: Core, tg: FakeAdapter) -> None:
    await code_from(tg, "ana")
    ana = member_of(core, "telegram", "ana")
    [confirm] = await tg.say("ana", "/forget")
    await tg.press("ana", confirm.reply.buttons[0].callback, direct=False)
    assert traces(core.store, ana, ["Ana"]) == []
