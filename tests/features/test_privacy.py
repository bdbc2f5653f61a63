"""Members own their data: toggles, export, and forget leaving nothing behind."""

from __future__ import annotations

import json

import pytest

from adapters.fake import FakeAdapter
from bot.core import Core
from bot.replies import Visibility
from tests.privacy_scan import traces

pytestmark = pytest.mark.engines


async def _member_id(core: Core, user: str) -> int:
    row = core.store.rows("SELECT member FROM identities WHERE user = ?", (user,))
    return int(row[0]["member"])


async def test_privacy_shows_settings_privately(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/privacy")
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "tracking: on" in sent.text
    assert "named: on" in sent.text


async def test_tracking_off_deletes_and_stops_logging(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "logged before")
    await chat.say("bo", "bo stays")
    [sent] = await chat.say("ana", "/privacy tracking off")
    assert "no longer logged" in sent.text
    await chat.say("ana", "not logged")
    await chat.push(chat.event("ana", kind="reaction"))
    ana = await _member_id(core, "ana")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE member = ?", (ana,)) == 0
    assert core.store.scalar("SELECT tracking FROM members WHERE id = ?", (ana,)) == 0
    assert core.store.scalar("SELECT count(*) FROM activity") == 1
    [sent] = await chat.say("bo", "/stats Ana")
    assert "turned activity tracking off" in sent.text
    await chat.say("ana", "/privacy tracking on")
    await chat.say("ana", "logged again")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE member = ?", (ana,)) == 1


async def test_privacy_rejects_unknown_settings(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/privacy tracing off")
    assert "one of: tracking, matching, named" in sent.text
    assert "Did you mean tracking?" in sent.text


async def test_export_sends_a_json_file_privately(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "my words")
    await chat.push(chat.event("ana", kind="reaction"))
    [sent] = await chat.say("ana", "/export")
    assert sent.target.user == "ana"
    assert sent.target.chat is None
    assert sent.reply.attachment is not None
    data = json.loads(sent.reply.attachment.data)
    assert data["member"]["name"] == "Ana"
    assert data["identities"] == [{"platform": "fake", "user": "ana"}]
    assert [a["text"] for a in data["activity"]] == ["my words", None]
    assert [a["kind"] for a in data["activity"]] == ["message", "reaction"]


async def test_forget_asks_first_and_cancel_keeps_everything(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "keep me")
    [sent] = await chat.say("ana", "/forget")
    assert [b.label for b in sent.reply.buttons] == ["Yes, delete everything", "Cancel"]
    cancel = sent.reply.buttons[1].callback
    [sent] = await chat.press("ana", cancel, direct=False)
    assert "Nothing was deleted" in sent.text
    assert core.store.scalar("SELECT count(*) FROM activity") == 1


async def test_forget_leaves_nothing_of_the_member_in_any_table(
    core: Core, chat: FakeAdapter
) -> None:
    await chat.say("ana", "ana's secret plans for Ana Corp")
    await chat.push(chat.event("ana", kind="reaction"))
    await chat.say("bo", "hello from bo")
    await chat.say("ana", "/privacy named off")
    ana = await _member_id(core, "ana")
    [sent] = await chat.say("ana", "/forget")
    yes = sent.reply.buttons[0].callback
    [refused] = await chat.press("bo", yes, direct=False)
    assert "belongs to someone else" in refused.text
    [done] = await chat.press("ana", yes, direct=False)
    assert "deleted" in done.text
    declared = [column for f in core.features for column in f.member_columns]
    assert traces(core.store, ana, ["ana", "Ana"], declared) == []
    assert core.store.scalar("SELECT count(*) FROM activity") == 1  # bo's message stays
    # pressing again later is harmless
    [again] = await chat.press("ana", yes, direct=False)
    assert "belongs to someone else" in again.text or "deleted" in again.text


async def test_forget_covers_every_declared_member_column(core: Core, chat: FakeAdapter) -> None:
    await chat.say("admin", "/digest schedule weekly mon 09:00 Europe/Berlin")
    await chat.say("admin", "/event create 2026-11-20T18:00 Demo night")
    await chat.say("admin", "/event rsvp 1")
    admin = await _member_id(core, "admin")
    assert core.store.scalar("SELECT created_by FROM schedules") == admin
    [confirm] = await chat.say("admin", "/forget")
    await chat.press("admin", confirm.reply.buttons[0].callback, direct=False)
    declared = [column for f in core.features for column in f.member_columns]
    assert ("schedules", "created_by") in declared
    assert traces(core.store, admin, ["Admin"], declared) == []
    assert core.store.scalar("SELECT count(*) FROM schedules") == 1  # the schedule stays
