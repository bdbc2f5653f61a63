"""A member argument: a display name, a platform handle or a mention; several members of one
name become buttons, and pressing one runs the command for that member."""

from __future__ import annotations

from adapters.fake import FakeAdapter
from bot.core import Core
from tests.matching_helpers import INVESTOR, make_profile


def member(core: Core, user: str) -> int:
    return int(core.store.scalar("SELECT member FROM identities WHERE user = ?", (user,)))


async def test_two_members_of_one_name_are_offered_as_buttons(
    core: Core, chat: FakeAdapter
) -> None:
    await make_profile(chat, "7001", {**INVESTOR, "headline": "Paula one invests in seed"})
    await make_profile(chat, "7002", {**INVESTOR, "headline": "Paula two runs a fund"})
    await chat.say("7001", "hi", name="Paula Okafor", handle="paula_vc")
    await chat.say("7002", "hi", name="Paula Okafor", handle="okafor_p")
    [ask] = await chat.say("bo", "/whois Paula Okafor")
    assert "matches several members" in ask.text
    labels = [b.label for b in ask.reply.buttons]
    assert labels == ["Paula Okafor (@paula_vc on fake)", "Paula Okafor (@okafor_p on fake)"]
    [profile] = await chat.press("bo", ask.reply.buttons[1].callback, direct=False)
    assert "Paula two runs a fund" in profile.text
    # the choice was used up; someone else cannot replay it
    [stale] = await chat.press("cy", ask.reply.buttons[0].callback, direct=False)
    assert "expired" in stale.text


async def test_handles_and_mentions_name_one_member(core: Core, chat: FakeAdapter) -> None:
    await make_profile(chat, "7001", {**INVESTOR, "headline": "Paula one invests in seed"})
    await make_profile(chat, "7002", {**INVESTOR, "headline": "Paula two runs a fund"})
    await chat.say("7001", "hi", name="Paula Okafor", handle="paula_vc")
    await chat.say("7002", "hi", name="Paula Okafor", handle="okafor_p")
    [by_handle] = await chat.say("bo", "/whois @okafor_p")
    assert "Paula two runs a fund" in by_handle.text
    [bare] = await chat.say("bo", "/whois paula_vc")
    assert "Paula one invests in seed" in bare.text
    [mention] = await chat.say("bo", "/whois <@7001>")
    assert "Paula one invests in seed" in mention.text
    [missing] = await chat.say("bo", "/whois @nobody_here")
    assert "No member called '@nobody_here'" in missing.text
    assert "@handle or a mention" in missing.text


async def test_a_handle_that_changes_is_followed(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "hi", handle="ana_old")
    await chat.say("ana", "hi again", handle="ana_new")
    [stats] = await chat.say("bo", "/stats @ana_new")
    assert "Ana" in stats.text
    [old] = await chat.say("bo", "/stats @ana_old")
    assert "No member called" in old.text


async def test_a_member_who_comes_back_after_forget_is_found_by_handle(
    core: Core, chat: FakeAdapter
) -> None:
    await chat.say("ana", "hi", handle="ana_h")
    [confirm] = await chat.say("ana", "/forget", handle="ana_h")
    await chat.press("ana", confirm.reply.buttons[0].callback, direct=False, handle="ana_h")
    await chat.say("ana", "back again", handle="ana_h")
    [stats] = await chat.say("bo", "/stats @ana_h")
    assert "Messages: 1" in stats.text
