"""Community events: create, list, RSVP, reminders, check-in, matching, digest and privacy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from adapters.fake import FakeAdapter, Sent
from bot.core import Core
from bot.features.events import feature as events
from bot.features.events.feature import send_due_reminders, upcoming_section
from bot.replies import Visibility
from tests.conftest import Clock
from tests.matching_helpers import FOUNDER, INVESTOR, MENTOR, make_profile, member_id
from tests.privacy_scan import traces

pytestmark = pytest.mark.engines


# The clock fixture starts at Mon 2026-11-02 12:00 UTC; the community's timezone is UTC.
DEMO = "/event create 2026-11-04T18:30 Demo night"


def community(core: Core) -> int:
    return core.store.community("fake:space-1", "")


async def create(chat: FakeAdapter, command: str = DEMO) -> tuple[Sent, Sent]:
    announce, private = await chat.say("admin", command)
    return announce, private


def code_of(core: Core, event_id: int) -> str:
    return str(core.store.scalar("SELECT code FROM events WHERE id = ?", (event_id,)))


def dms(chat: FakeAdapter, user: str, title: str) -> list[Sent]:
    return [s for s in chat.sent if s.target.user == user and s.reply.title == title]


async def test_create_announces_publicly_and_shows_the_code_privately(
    core: Core, chat: FakeAdapter
) -> None:
    announce, private = await create(chat)
    assert announce.reply.title == "New event #1 Demo night"
    assert "Wed 04 Nov, 18:30 (UTC)" in announce.text
    assert announce.reply.visibility is Visibility.PUBLIC
    assert [b.callback for b in announce.reply.buttons] == ["ev:rsvp:1~c1"]
    assert private.reply.visibility is Visibility.ONLY_YOU
    code = code_of(core, 1)
    assert len(code) == 6
    assert f"/checkin 1 {code}" in private.text
    assert code not in announce.text
    row = core.store.rows("SELECT * FROM events")[0]
    assert row["starts_at"] == int(datetime(2026, 11, 4, 18, 30, tzinfo=UTC).timestamp())
    assert row["creator_member"] == member_id(core, "admin")


async def test_times_are_read_in_the_community_timezone(core: Core, chat: FakeAdapter) -> None:
    await chat.say("admin", "hello")
    core.store.set_setting(community(core), "timezone", "Europe/Berlin")
    await create(chat, "/event create 2026-11-04@18:30 Berlin meetup")
    await create(chat, "/event create 2026-11-05 09:00 Breakfast with founders")
    starts = [r["starts_at"] for r in core.store.rows("SELECT starts_at FROM events ORDER BY id")]
    assert starts == [
        int(datetime(2026, 11, 4, 17, 30, tzinfo=UTC).timestamp()),
        int(datetime(2026, 11, 5, 8, 0, tzinfo=UTC).timestamp()),
    ]
    assert core.store.scalar("SELECT title FROM events WHERE id = 2") == "Breakfast with founders"
    [listing] = await chat.say("ana", "/events")
    assert "#1 Berlin meetup — Wed 04 Nov, 18:30" in listing.text
    assert "Times in Europe/Berlin" in listing.text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/event create 2026-11-01T18:30 Too late", "in the past (it is 2026-11-02 12:00 in UTC"),
        ("/event create tomorrow Party", "couldn't read 'tomorrow' as a date and time"),
        ("/event create 2026-11-31T10:00 Party", "is not a real date and time"),
        ("/event create 2026-11-20T25:00 Party", "is not a real date and time"),
        ("/event create 2026-11-20 Party", "What time on 2026-11-20?"),
        ("/event create 2026-11-20T18:00", "Give the event a title"),
        ("/event create", "When and what? Example: /event create 2026-12-03T18:30"),
        ("/event create 2030-01-01T10:00 Far", "more than two years ahead"),
        ("/event create 2026-11-20T18:00 " + "x" * 101, "the limit is 100"),
        ("/event rsvp", "Which event? Give its number from /events"),
        ("/event rsvp soon", "('soon' is not one)"),
        ("/event rsvp 42", "There is no event #42 here"),
        ("/event dance 1", "action must be one of: rsvp, unrsvp"),
    ],
)
async def test_bad_input_gets_one_clear_sentence(
    core: Core, chat: FakeAdapter, command: str, expected: str
) -> None:
    [sent] = await chat.say("admin", command)
    assert expected in sent.text
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "Traceback" not in sent.text
    assert core.store.scalar("SELECT count(*) FROM events") == 0


@pytest.mark.parametrize("action", ["create 2026-11-20T18:00 Mine", "where 1 Home", "cancel 1"])
async def test_members_cannot_run_admin_actions(core: Core, chat: FakeAdapter, action: str) -> None:
    await create(chat)
    [sent] = await chat.say("ana", f"/event {action}")
    assert "is for the community's admins only" in sent.text
    assert core.store.rows("SELECT title, place, cancelled_at FROM events") == [
        {"title": "Demo night", "place": None, "cancelled_at": None}
    ]


async def test_list_shows_upcoming_events_with_place_and_count(
    core: Core, chat: FakeAdapter
) -> None:
    [empty] = await chat.say("ana", "/events")
    assert "No upcoming events yet" in empty.text
    await create(chat, "/event create 2026-11-20T18:00 Later one")
    await create(chat)
    await create(chat, "/event create 2026-11-10T10:00 Cancelled one")
    await chat.say("admin", "/event where 2 Factory, Room 2")
    await chat.say("admin", "/event cancel 3")
    await chat.say("ana", "/event rsvp 2")
    await chat.say("bo", "/event rsvp 2")
    [listing] = await chat.say("ana", "/events")
    lines = listing.reply.text.splitlines()
    assert lines[0] == "#2 Demo night — Wed 04 Nov, 18:30 · Factory, Room 2 · 2 going"
    assert lines[1] == "#1 Later one — Fri 20 Nov, 18:00 · 0 going"
    assert "Cancelled one" not in listing.text
    assert [b.callback for b in listing.reply.buttons] == ["ev:rsvp:2~c1", "ev:rsvp:1~c1"]


async def test_rsvp_by_command_and_button_is_idempotent(core: Core, chat: FakeAdapter) -> None:
    await create(chat)
    [first] = await chat.say("ana", "/event rsvp 1")
    assert first.text.startswith("You're going to #1 Demo night on Wed 04 Nov, 18:30 (UTC)")
    assert [b.callback for b in first.reply.buttons] == ["ev:unrsvp:1~c1"]
    [again] = await chat.press("ana", "ev:rsvp:1", direct=False)
    assert again.text.startswith("You're already going to #1 Demo night")
    [bo] = await chat.press("bo", "ev:rsvp:1", direct=False)
    assert bo.text.startswith("You're going")
    assert core.store.scalar("SELECT count(*) FROM event_rsvps") == 2
    [off] = await chat.press("ana", "ev:unrsvp:1", direct=False)
    assert off.text == "You're no longer going to #1 Demo night."
    [off_again] = await chat.say("ana", "/event unrsvp 1")
    assert "You hadn't RSVP'd" in off_again.text
    [who] = await chat.say("ana", "/event who 1")
    assert who.text == "Going to #1 Demo night\n1 member going: Bo"
    [stale] = await chat.press("ana", "ev:rsvp:99", direct=False)
    assert "That button has expired" in stale.text


async def test_cancelled_and_past_events_say_so(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await create(chat)
    await create(chat, "/event create 2026-11-03T10:00 Breakfast")
    await chat.say("ana", "/event rsvp 1")
    *_, cancelled = await chat.say("admin", "/event cancel 1")
    assert cancelled.target.chat == "general"
    assert cancelled.text == "#1 Demo night is cancelled. I told 1 member who RSVP'd."
    [told] = dms(chat, "ana", "Event cancelled")
    assert "#1 Demo night has been cancelled" in told.text
    [sent] = await chat.press("bo", "ev:rsvp:1", direct=False)
    assert sent.text == "#1 Demo night was cancelled."
    clock.advance(days=1)
    [sent] = await chat.press("bo", "ev:rsvp:2", direct=False)
    assert sent.text == "#2 Breakfast has already started or taken place."
    assert core.store.scalar("SELECT count(*) FROM event_rsvps") == 1


async def test_named_off_members_are_counted_not_named(chat: FakeAdapter) -> None:
    await create(chat)
    await chat.say("ana", "/event rsvp 1")
    await chat.say("bo", "/event rsvp 1")
    await chat.say("bo", "/privacy named off")
    [who] = await chat.say("cy", "/event who 1")
    assert "2 members going: Ana, 1 unnamed member" in who.text
    assert "Bo" not in who.text


async def test_where_updates_the_place_and_tells_who_is_going(chat: FakeAdapter) -> None:
    await create(chat)
    await chat.say("ana", "/event rsvp 1")
    *_, sent = await chat.say("admin", "/event where 1 https://meet.example/demo")
    assert sent.target.chat == "general"
    assert sent.text == "#1 Demo night is at: https://meet.example/demo"
    [update] = dms(chat, "ana", "Event update")
    assert "https://meet.example/demo" in update.text
    [missing] = await chat.say("admin", "/event where 1")
    assert "Where is it? Example: /event where 1" in missing.text


async def test_reminders_fire_once_at_24h_and_1h(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await create(chat, "/event create 2026-11-04T12:00 Demo night")  # 48 h ahead
    await chat.say("ana", "/event rsvp 1")
    await chat.say("admin", "/event where 1 Factory")
    assert await send_due_reminders(core) == 0
    clock.advance(hours=23, minutes=58)  # 24 h 2 min before: not yet
    assert await send_due_reminders(core) == 0
    clock.advance(minutes=5)
    assert await send_due_reminders(core) == 1
    assert await send_due_reminders(core) == 0
    [day] = dms(chat, "ana", "Event reminder")
    assert day.target.chat is None
    assert day.reply.text == (
        "#1 Demo night starts in about 24 hours: Wed 04 Nov, 12:00 (UTC) at Factory."
    )
    assert [b.callback for b in day.reply.buttons] == ["ev:unrsvp:1~c1"]
    clock.advance(hours=22)  # 1 h 57 min before: the day reminder is done, the hour one not due
    assert await send_due_reminders(core) == 0
    clock.advance(hours=1)
    assert await send_due_reminders(core) == 1
    clock.advance(minutes=5)
    assert await send_due_reminders(core) == 0
    reminders = dms(chat, "ana", "Event reminder")
    assert len(reminders) == 2
    assert "starts in about an hour" in reminders[1].text
    clock.advance(hours=2)  # after the start nothing more is sent
    assert await send_due_reminders(core) == 0
    kinds = core.store.rows("SELECT kind FROM event_reminders_sent ORDER BY at")
    assert [r["kind"] for r in kinds] == ["24h", "1h"]


async def test_late_rsvp_gets_only_the_hour_reminder(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await create(chat, "/event create 2026-11-02T12:40 Lunch talk")
    await chat.say("ana", "/event rsvp 1")
    assert await send_due_reminders(core) == 1
    [only] = dms(chat, "ana", "Event reminder")
    assert "starts in 40 minutes" in only.text


async def test_cancelled_events_do_not_remind(core: Core, chat: FakeAdapter, clock: Clock) -> None:
    await create(chat)
    await chat.say("ana", "/event rsvp 1")
    await chat.say("admin", "/event cancel 1")
    clock.advance(days=2)  # 6.5 h before the start
    assert await send_due_reminders(core) == 0
    assert dms(chat, "ana", "Event reminder") == []


async def test_reminders_run_on_a_scheduler_tick(core: Core) -> None:
    from bot.scheduling.scheduler import Scheduler

    await core.feature(events.Events).start()
    seconds, run = core.feature(Scheduler)._periodic["event-reminders"]
    assert seconds == events.REMINDER_TICK
    assert run is send_due_reminders


async def test_check_in_needs_the_code_and_the_window(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await create(chat, "/event create 2026-11-02T18:00 Demo night")
    code = code_of(core, 1)
    [early] = await chat.say("ana", f"/checkin 1 {code}")
    assert early.text == "Check-in for #1 Demo night opens an hour before: Mon 02 Nov, 17:00."
    clock.advance(hours=5, minutes=30)
    [wrong] = await chat.say("ana", "/checkin 1 NOPE42")
    assert wrong.text == "That is not the check-in code for #1 Demo night. Ask the host."
    [ok] = await chat.say("ana", f"/checkin 1 {code.lower()}", direct=True)
    assert ok.text.startswith("Checked in at #1 Demo night. Welcome!")
    assert ok.target.user == "ana"
    [twice] = await chat.say("ana", f"/checkin 1 {code}")
    assert twice.text == "You're already checked in at #1 Demo night."
    clock.advance(hours=7)  # 6.5 h after the start
    [late] = await chat.say("bo", f"/checkin 1 {code}")
    assert late.text == "#1 Demo night is over; check-in has closed."
    [missing] = await chat.say("bo", f"/checkin 7 {code}")
    assert missing.text == "There is no event #7 here."
    rows = core.store.rows("SELECT event, member, at FROM event_checkins")
    ana_at = int(datetime(2026, 11, 2, 17, 30, tzinfo=UTC).timestamp())
    assert rows == [{"event": 1, "member": member_id(core, "ana"), "at": ana_at}]
    attended = core.store.rows("SELECT member, at FROM activity WHERE kind = 4")
    assert attended == [{"member": member_id(core, "ana"), "at": ana_at}]  # attendance is activity
    [stats] = await chat.say("ana", "/stats")
    assert dict(stats.reply.fields)["Events attended"] == "1"


async def test_guessing_check_in_codes_is_slowed_down(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await create(chat, "/event create 2026-11-02T18:00 Demo night")
    code = code_of(core, 1)
    clock.advance(hours=5, minutes=30)  # the check-in window is open
    for guess in ("AAAAA1", "AAAAA2", "AAAAA3", "AAAAA4", "AAAAA5"):
        [wrong] = await chat.say("ana", f"/checkin 1 {guess}")
        assert "not the check-in code" in wrong.text
    [locked] = await chat.say("ana", f"/checkin 1 {code}")  # even the right code waits now
    assert "Too many wrong codes" in locked.text
    [other] = await chat.say("bo", f"/checkin 1 {code}")  # nobody else is locked out
    assert other.text.startswith("Checked in")
    clock.advance(minutes=11)
    [ok] = await chat.say("ana", f"/checkin 1 {code}")
    assert ok.text.startswith("Checked in")


async def test_the_admin_can_see_the_code_again(core: Core, chat: FakeAdapter) -> None:
    await create(chat)
    [sent] = await chat.say("admin", "/event code 1")
    assert code_of(core, 1) in sent.text
    assert sent.reply.visibility is Visibility.ONLY_YOU


async def test_match_suggests_only_attendees(cached_core: Core, clock: Clock) -> None:
    core = cached_core
    chat = FakeAdapter(core)
    chat.admins.add("admin")
    await make_profile(chat, "ana", FOUNDER)
    await make_profile(chat, "ivan", INVESTOR)
    await make_profile(chat, "mia", MENTOR)
    await make_profile(chat, "olga", {**INVESTOR, "headline": "Angel in climate fintech"})
    await create(chat, "/event create 2026-11-02T18:00 Demo night")
    [outsider] = await chat.say("ana", "/event match 1")
    assert "RSVP first (/event rsvp 1)" in outsider.text
    await chat.say("ana", "/event rsvp 1")
    await chat.say("ivan", "/event rsvp 1")
    clock.advance(hours=5)
    await chat.say("mia", f"/checkin 1 {code_of(core, 1)}")
    [sent] = await chat.say("ana", "/event match 1")
    assert sent.reply.title == "Meet at #1 Demo night"
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert sent.reply.text.startswith("1. Ivan")
    assert "Mia" in sent.reply.text
    assert "Olga" not in sent.reply.text
    intro = {b.callback for b in sent.reply.buttons}
    assert intro == {f"intro:{member_id(core, 'ivan')}~c1", f"intro:{member_id(core, 'mia')}~c1"}
    [olga] = await chat.say("olga", "/event match 1")
    assert "RSVP first" in olga.text
    await chat.say("bo", "/event rsvp 1")
    [bo] = await chat.say("bo", "/event match 1")
    assert "/profile setup" in bo.text


async def test_digest_lists_upcoming_events(core: Core, chat: FakeAdapter, clock: Clock) -> None:
    earlier = clock.now - timedelta(days=2)
    await chat.say("ana", "a message so the digest is not a quiet one", at=earlier)
    await create(chat)
    await create(chat, "/event create 2026-12-01T10:00 Too far for this digest")
    await create(chat, "/event create 2026-11-05T10:00 Called off")
    await chat.say("admin", "/event cancel 3")
    await chat.say("ana", "/event rsvp 1")
    now = core.clock()
    field = await upcoming_section(core, community(core), now, now)
    assert field == ("Upcoming events", "• #1 Demo night — Wed 04 Nov, 18:30 · 1 going")
    [digest] = await chat.say("admin", "/digest now")
    assert "Upcoming events: • #1 Demo night" in digest.text
    assert "Too far" not in digest.text


async def test_export_and_forget_leave_nothing(core: Core, chat: FakeAdapter, clock: Clock) -> None:
    await create(chat, "/event create 2026-11-02T18:00 Demo night")
    await chat.say("ana", "/event rsvp 1")
    await send_due_reminders(core)
    clock.advance(hours=5)
    await chat.say("ana", f"/checkin 1 {code_of(core, 1)}")
    [export] = await chat.say("ana", "/export")
    assert export.reply.attachment is not None
    data = json.loads(export.reply.attachment.data)
    assert [r["title"] for r in data["event_rsvps"]] == ["Demo night"]
    assert [r["event"] for r in data["event_checkins"]] == [1]
    assert data["events_created"] == []
    [admin_export] = await chat.say("admin", "/export")
    assert admin_export.reply.attachment is not None
    created = json.loads(admin_export.reply.attachment.data)["events_created"]
    assert [(e["event"], e["title"]) for e in created] == [(1, "Demo night")]
    for user in ("ana", "admin"):
        member = member_id(core, user)
        [ask] = await chat.say(user, "/forget")
        [done] = await chat.press(user, ask.reply.buttons[0].callback, direct=False)
        assert "deleted" in done.text
        assert traces(core.store, member, [user, user.title()]) == []
    assert core.store.rows("SELECT title, creator_member FROM events") == [
        {"title": "Demo night", "creator_member": None}
    ]
    for table in ("event_rsvps", "event_checkins", "event_reminders_sent"):
        assert core.store.scalar(f"SELECT count(*) FROM {table}") == 0
