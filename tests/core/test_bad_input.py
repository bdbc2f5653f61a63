"""Input that used to end in the generic apology: each now gets one clear sentence."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from adapters.fake import FakeAdapter
from bot.context import Answer, Context
from bot.core import Core
from bot.dialog import KINDS, Dialog, Question, dialog_kind

APOLOGY = "something went wrong"


async def said(chat: FakeAdapter, user: str, text: str, **kwargs: Any) -> str:
    replies = await chat.say(user, text, **kwargs)
    assert replies, f"no answer to {text!r}"
    joined = "\n".join(r.text for r in replies)
    assert APOLOGY not in joined
    return joined


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/event rsvp 99999999999999999999", "Give its number from /events"),
        ("/event rsvp ²", "Give its number from /events"),
        ("/match ²", "n must be between 1 and 10."),
        ("/match founder 99999999999999999999", "n must be a whole number"),
        ("/leaderboard 99999999999999999999", "days must be a whole number"),
        ("/profile set checks 1-" + "9" * 400, "larger than any round"),
    ],
)
async def test_numbers_out_of_reach_get_one_sentence(
    chat: FakeAdapter, command: str, expected: str
) -> None:
    await chat.say("ana", "hello")
    assert expected in await said(chat, "ana", command)


async def test_a_forged_button_with_a_huge_id_has_expired(chat: FakeAdapter) -> None:
    await chat.say("ana", "hello")
    for payload in ("introans:99999999999999999999:yes", "intro:99999999999999999999",
                    "ev:rsvp:99999999999999999999", "introans:²:yes"):  # fmt: skip
        replies = await chat.push(chat.event("ana", payload, kind="button"))
        text = " ".join(r.text for r in replies)
        assert APOLOGY not in text
        assert "no longer exists" in text or "expired" in text


async def test_a_lone_surrogate_in_an_argument_is_saved_replaced(chat: FakeAdapter) -> None:
    await chat.say("ana", "hello")
    await said(chat, "ana", "/profile set headline Building \ud83d things", direct=True)
    shown = await said(chat, "ana", "/profile", direct=True)
    assert "Building \ufffd things" in shown


async def test_a_failing_last_dialog_step_does_not_swallow_later_messages(
    core: Core, chat: FakeAdapter
) -> None:
    await chat.say("ana", "hello")

    @dialog_kind("test-failing", lambda: [Question("only", "Your answer?")])
    async def finish(ctx: Context, community: int, member: int, answers: dict[str, Any]) -> Answer:
        raise RuntimeError("saving failed")

    community = core.store.community("fake:space-1", "")
    ana = core.store.member(community, "fake", "ana", "Ana", 0).id
    core.dialogs[("fake", "ana")] = Dialog(KINDS["test-failing"], community, ana)
    await chat.say("ana", "my answer", direct=True)  # the last step fails (logged)
    after = await said(chat, "ana", "are you there?", direct=True)
    assert "/help" in after  # the dialog is gone: an ordinary private-chat answer


async def test_a_lone_surrogate_in_a_typed_option_is_made_valid(chat: FakeAdapter) -> None:
    from bot.commands import CommandCall

    await chat.say("ana", "hello")
    event = chat.event("ana", "", direct=True)
    typed = replace(
        event,
        call=CommandCall("profile", "set", {"field": "headline", "value": "Typed \ud83d here"}),
    )
    assert typed.call is not None
    assert typed.call.values["value"] == "Typed \ufffd here"
    replies = await chat.push(typed)
    assert APOLOGY not in " ".join(r.text for r in replies)
    shown = await said(chat, "ana", "/profile", direct=True)
    assert "Typed \ufffd here" in shown
