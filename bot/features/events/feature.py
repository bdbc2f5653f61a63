"""Community events, online and offline: /events, /event (RSVP, who, match; admins create,
place, cancel), /checkin at the door, reminders 24 h and 1 h before, a digest section.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands import Arg, Args, CommandError, parse_id, sub
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.digests.build import snippet
from bot.features.events import store as es
from bot.features.events.store import DAY, HOUR, Event
from bot.features.events.text import (
    EXAMPLE,
    MAX_TITLE,
    event_line,
    event_name,
    local_time,
    parse_event_id,
    parse_when,
    time_until,
)
from bot.replies import Button, Reply, Visibility
from bot.scheduling.scheduler import Scheduler
from bot.storage.store import ACTIVITY_KINDS
from bot.text import clean, plural

if TYPE_CHECKING:
    from bot.core import Core

REMINDER_TICK = 300.0
MAX_WRONG_CODES = 5  # per member and event within the window, so codes cannot be guessed
WRONG_CODE_WINDOW = 10 * 60
MAX_PLACE = 200


class Events(
    Feature,
    name="events",
    migrations=es.MIGRATIONS,
    member_columns=[
        ("events", "creator_member"),
        ("event_rsvps", "member"),
        ("event_checkins", "member"),
        ("event_reminders_sent", "member"),
        ("event_wrong_codes", "member"),
    ],
):
    """The calendar; reminders go out through the scheduler when the bot runs one.

    Wrong check-in codes are counted in the store (`event_wrong_codes`), so the throttle
    holds across restarts and across processes sharing the store."""

    async def start(self) -> None:
        if self.core.has(Scheduler):
            self.core.feature(Scheduler).every("event-reminders", REMINDER_TICK, send_due_reminders)


Events.exporter(es.export_events)
Events.deleter(es.delete_events)


def _find(ctx: Context, raw: str | None, action: str) -> Event:
    event_id = parse_event_id(raw, action)
    event = es.get_event(ctx.store, ctx.community, event_id)
    if event is None:
        raise CommandError(f"There is no event #{event_id} here. /events lists the upcoming ones.")
    return event


def _live(event: Event, now: int) -> str | None:
    """Why members can no longer RSVP to the event, or None."""
    if event.cancelled:
        return f"{event_name(event)} was cancelled."
    if event.starts_at <= now:
        return f"{event_name(event)} has already started or taken place."
    return None


# -- listing and RSVPs -----------------------------------------------------------------


def _rsvp_button(event: Event) -> Button:
    return Button(f"RSVP #{event.id}", f"ev:rsvp:{event.id}", "primary")


@Events.command("events", "Upcoming events, with a button to RSVP to each.")
async def events(ctx: Context, args: Args) -> Answer:
    """List the upcoming events with an RSVP button each."""
    now = int(ctx.now.timestamp())
    found = es.upcoming(ctx.store, ctx.community, now + 1, now + 366 * DAY)
    if not found:
        return ctx.reply("No upcoming events yet. Admins add one with " + EXAMPLE + ".")
    counts = es.rsvp_counts(ctx.store, [e.id for e in found])
    lines = [event_line(e, ctx.tz, now, counts.get(e.id, 0)) for e in found]
    lines.append(f"\nTimes in {ctx.tz.key}. /event rsvp <number> works too.")
    return ctx.reply(
        "\n".join(lines), title="Upcoming events", buttons=tuple(_rsvp_button(e) for e in found)
    )


def rsvp(ctx: Context, event: Event, on: bool) -> Reply:
    """RSVP or withdraw; idempotent, with a message that says what happened."""
    now = int(ctx.now.timestamp())
    why = _live(event, now)
    if why:
        return ctx.private(why)
    when = f"{local_time(event.starts_at, ctx.tz, now)} ({ctx.tz.key})"
    if not on:
        if es.remove_rsvp(ctx.store, event, ctx.member):
            return ctx.private(f"You're no longer going to {event_name(event)}.")
        return ctx.private(f"You hadn't RSVP'd to {event_name(event)}, so nothing changed.")
    if not es.add_rsvp(ctx.store, event, ctx.member, now):
        return ctx.private(f"You're already going to {event_name(event)} on {when}.")
    return ctx.private(
        f"You're going to {event_name(event)} on {when}. I'll remind you privately a day and an "
        f"hour before. /event match {event.id} shows who you should meet there.",
        buttons=(Button("Can't go after all", f"ev:unrsvp:{event.id}"),),
    )


@Events.button("ev")
async def pressed(ctx: Context, payload: str) -> Answer:
    """Buttons ``ev:rsvp:<id>`` and ``ev:unrsvp:<id>``."""
    action, _, raw = payload.partition(":")
    number = parse_id(raw)
    event = es.get_event(ctx.store, ctx.community, number) if number is not None else None
    if event is None or action not in ("rsvp", "unrsvp"):
        return ctx.private("That button has expired. /events lists the upcoming events.")
    return rsvp(ctx, event, action == "rsvp")


def _who(ctx: Context, event: Event) -> Reply:
    members = es.going(ctx.store, event.id)
    if not members:
        return ctx.reply(f"Nobody has RSVP'd to {event_name(event)} yet.")
    named, hidden = [], 0
    for m in members:
        info = ctx.store.member_info(m) or {}
        if info.get("named", 1):
            named.append(snippet(info.get("name", "?"), 40))
        else:
            hidden += 1
    if hidden:
        named.append(plural(hidden, "unnamed member"))
    here = len(es.checked_in(ctx.store, event.id))
    extra = f" ({here} checked in)" if here else ""
    return ctx.reply(
        f"{plural(len(members), 'member')} going{extra}: {', '.join(named)}",
        title=f"Going to {event_name(event)}",
    )


async def _match(ctx: Context, event: Event) -> Reply:
    from bot.features.matching.feature import Matching, render_matches
    from bot.features.matching.intro_store import blocks
    from bot.features.profiles.store import load_profile, profiled_members

    people = es.attendees(ctx.store, event.id)
    if ctx.member not in people:
        return ctx.private(f"RSVP first (/event rsvp {event.id}) to see who to meet there.")
    if not ctx.core.has(Matching):
        return ctx.private("Matching is not part of this bot, so I can't pick people to meet.")
    mine = load_profile(ctx.store, ctx.community, ctx.member)
    matcher = await ctx.core.feature(Matching).service.matcher(ctx.community)
    if mine is None or ctx.member not in matcher or not (mine.offers or mine.seeks):
        return ctx.private(
            "Tell me what you offer and seek first: /profile setup in a private chat with me. "
            "Then I can pick the people to meet at the event."
        )
    others = profiled_members(ctx.store, ctx.community) - people
    block = blocks(ctx.store, ctx.community, ctx.member)
    found = matcher.suggest(ctx.member, n=3, exclude=others, blocked=block)
    pairs = [(s, p) for s in found if (p := matcher.profile(s.member)) is not None]
    if not pairs:
        return ctx.private(
            f"No one else going to {event_name(event)} fits your profile yet "
            f"({plural(len(people), 'attendee')} so far). Check again closer to the day."
        )
    return ctx.private(
        render_matches(pairs) + "\n\nSay hello there, or request an intro now.",
        title=f"Meet at {event_name(event)}",
        buttons=tuple(Button(f"Request intro: {p.name}", f"intro:{s.member}", "primary")
                      for s, p in pairs),
    )  # fmt: skip


# -- admin actions ---------------------------------------------------------------------


def _create(ctx: Context, raw: str | None, details: str | None) -> list[Reply]:
    if not raw:
        raise CommandError(f"When and what? Example: {EXAMPLE}")
    at, title = parse_when(raw, details, ctx.tz)
    title = clean(title or "").strip()
    if not title:
        raise CommandError(f"Give the event a title after the time. Example: {EXAMPLE}")
    if len(title) > MAX_TITLE:
        raise CommandError(f"The title is {len(title)} characters; the limit is {MAX_TITLE}.")
    if at <= ctx.now:
        now = ctx.now.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")
        raise CommandError(f"That time is in the past (it is {now} in {ctx.tz.key} now).")
    if at > ctx.now + timedelta(days=2 * 366):
        raise CommandError("That is more than two years ahead; pick a nearer date.")
    now = int(ctx.now.timestamp())
    event = es.create_event(ctx.store, ctx.community, title, int(at.timestamp()), ctx.member, now)
    return [
        ctx.reply(
            f"{local_time(event.starts_at, ctx.tz, now)} ({ctx.tz.key}). Place to be announced.",
            title=f"New event {event_name(event)}",
            buttons=(_rsvp_button(event),),
        ),
        ctx.private(_code_text(event)
                    + f"\nAdd a place or link: /event where {event.id} <place or URL>."),
    ]  # fmt: skip


def _code_text(event: Event) -> str:
    return (
        f"Check-in code for {event_name(event)}: {event.code}\nShare it at the door; attendees "
        f"check in with /checkin {event.id} {event.code} from an hour before the start."
    )


async def _tell_going(ctx: Context, event: Event, text: str, title: str) -> int:
    """DM everyone who RSVP'd (but the admin acting); how many got it."""
    told = 0
    for m in es.going(ctx.store, event.id):
        target = ctx.core.dm_target(m)
        if m != ctx.member and target is not None:
            told += await ctx.core.send(Reply(text, title=title, to=target,
                                              visibility=Visibility.DM))  # fmt: skip
    return told


async def _where(ctx: Context, event: Event, details: str | None) -> Reply:
    place = clean(details or "").strip()
    if not place:
        raise CommandError(f"Where is it? Example: /event where {event.id} Factory, Room 2")
    if len(place) > MAX_PLACE:
        raise CommandError(f"That place is {len(place)} characters; the limit is {MAX_PLACE}.")
    if event.cancelled:
        return ctx.private(f"{event_name(event)} was cancelled.")
    es.set_place(ctx.store, event, place)
    text = f"{event_name(event)} is at: {snippet(place, MAX_PLACE)}"
    await _tell_going(ctx, event, text, "Event update")
    return ctx.reply(text)


async def _cancel(ctx: Context, event: Event) -> Reply:
    if event.cancelled:
        return ctx.private(f"{event_name(event)} was already cancelled.")
    es.cancel_event(ctx.store, event, int(ctx.now.timestamp()))
    told = await _tell_going(
        ctx, event, f"{event_name(event)} has been cancelled.", "Event cancelled"
    )
    return ctx.reply(
        f"{event_name(event)} is cancelled. I told {plural(told, 'member')} who RSVP'd."
    )


EVENT = Arg("event", help="the event number from /events", default=None, asked=True)


@Events.command(
    "event",
    "One event: RSVP, see who's going, who to meet there; admins create, place, cancel.",
    sub("rsvp", "RSVP to an event.", EVENT),
    sub("unrsvp", "Take back your RSVP.", EVENT),
    sub("who", "Who is going to an event.", EVENT),
    sub("match", "Who to meet at an event.", EVENT, slow=True),
    sub("create", "Create an event (admins).",
        Arg("when", help="the start, e.g. 2026-12-03T18:30", default=None, asked=True),
        Arg("title", "text", help="the event's title", default=None, asked=True),
        admin=True, details=EXAMPLE),
    sub("where", "Set an event's place or link (admins).", EVENT,
        Arg("place", "text", help="a place or link", default=None, asked=True), admin=True, slow=True),
    sub("cancel", "Cancel an event and tell who RSVP'd (admins).", EVENT, admin=True,
        slow=True),
    sub("code", "An event's check-in code (admins).", EVENT, admin=True),
    details="Examples:\n" + "\n".join((
        "/event rsvp 3", "/event who 3", "/event match 3", EXAMPLE,
        "/event where 3 https://meet.example/demo", "/event cancel 3", "/event code 3",
        "Times are in the community's timezone.",
    )),
)  # fmt: skip
async def event_command(ctx: Context, args: Args) -> Answer:
    """Dispatch one /event subcommand (the registry checks who may run it)."""
    action = args["action"]
    ref = args["when"] if action == "create" else args["event"]
    details = args.get("title") or args.get("place")
    if action == "create":
        return _create(ctx, ref, details)
    event = _find(ctx, ref, action)
    if details and action not in ("where",):
        raise CommandError(f"Too many arguments: {details!r}. Example: /event {action} {event.id}")
    if action in ("rsvp", "unrsvp"):
        return rsvp(ctx, event, action == "rsvp")
    if action == "who":
        return _who(ctx, event)
    if action == "match":
        return await _match(ctx, event)
    if action == "where":
        return await _where(ctx, event, details)
    if action == "cancel":
        return await _cancel(ctx, event)
    return ctx.private(_code_text(event))


@Events.command(
    "checkin",
    "Check in at an offline event with the code from the host (best in a private chat).",
    Arg("event", "int", "the event number"),
    Arg("code", help="the check-in code from the host"),
)
async def checkin(ctx: Context, args: Args) -> Answer:
    """Record attendance when the code is right and the check-in window is open."""
    event = es.get_event(ctx.store, ctx.community, args["event"])
    if event is None:
        return ctx.private(f"There is no event #{args['event']} here.")
    now = int(ctx.now.timestamp())
    if event.cancelled:
        return ctx.private(f"{event_name(event)} was cancelled.")
    if not event.checkin_open(now):
        if now < event.starts_at:
            opens = local_time(event.starts_at - es.CHECKIN_OPENS, ctx.tz, now)
            return ctx.private(f"Check-in for {event_name(event)} opens an hour before: {opens}.")
        return ctx.private(f"{event_name(event)} is over; check-in has closed.")
    recent = es.wrong_codes(ctx.store, event, ctx.member, now - WRONG_CODE_WINDOW)
    if len(recent) >= MAX_WRONG_CODES:
        return ctx.private("Too many wrong codes in a row; try again in a few minutes.")
    if args["code"].strip().upper() != event.code:
        es.add_wrong_code(ctx.store, event, ctx.member, now, WRONG_CODE_WINDOW)
        return ctx.private(f"That is not the check-in code for {event_name(event)}. Ask the host.")
    if not es.check_in(ctx.store, event, ctx.member, now):
        return ctx.private(f"You're already checked in at {event_name(event)}.")
    if ctx.store.member_info(ctx.member)["tracking"]:  # attendance is activity too
        chat = ctx.store.chat(ctx.community, "events", f"event-{event.id}", event.title)
        attend = ACTIVITY_KINDS["attend"]
        ctx.store.add_activity(ctx.community, ctx.member, chat, now, attend, 0, None)
    return ctx.private(
        f"Checked in at {event_name(event)}. Welcome! /event match {event.id} shows who to meet here."
    )


# -- reminders and the digest ----------------------------------------------------------


async def send_due_reminders(core: Core) -> int:
    """Send each RSVP'd member the 24 h and 1 h reminders that are due, each at most once."""
    now = int(core.clock().timestamp())
    sent = 0
    for event, member in es.due_reminders(core.store, now):
        left = event.starts_at - now
        kind = "1h" if left <= HOUR else "24h"
        if not es.claim_reminder(core.store, event, member, kind, now):
            continue
        target = core.dm_target(member)
        if target is None:
            continue
        tz = core.timezone(event.community)
        where = f" at {snippet(event.place, MAX_PLACE)}" if event.place else ""
        text = (
            f"{event_name(event)} starts {time_until(left)}: {local_time(event.starts_at, tz, now)} "
            f"({tz.key}){where}."
        )
        reply = Reply(
            text, title="Event reminder", to=target, visibility=Visibility.DM,
            community=event.community, buttons=(Button("Can't go after all", f"ev:unrsvp:{event.id}"),),
        )  # fmt: skip
        sent += await core.send(reply)
    return sent


@Events.digest_section
async def upcoming_section(
    core: Core, community: int, start: datetime, end: datetime
) -> tuple[str, str] | None:
    """Digest field: events in the 14 days after the digest's end."""
    since = int(end.timestamp())
    found = es.upcoming(core.store, community, since, since + 14 * DAY, limit=6)
    if not found:
        return None
    tz = core.timezone(community)
    counts = es.rsvp_counts(core.store, [e.id for e in found])
    lines: list[str] = [f"• {event_line(e, tz, since, counts.get(e.id, 0))}" for e in found[:5]]
    if len(found) > 5:
        lines.append("• … and more: /events")
    return "Upcoming events", "\n".join(lines)
