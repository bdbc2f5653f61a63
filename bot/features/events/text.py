"""How events read: local times, one-line summaries, and parsing what admins type."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import CommandError, parse_id
from bot.features.digests.build import snippet
from bot.features.events.store import HOUR, Event
from bot.text import plural

MAX_TITLE = 100
EXAMPLE = "/event create 2026-12-03T18:30 Demo night"
_WHEN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T@](\d{1,2}):(\d{2}))?$", re.IGNORECASE)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


# -- formatting ------------------------------------------------------------------------


def local_time(ts: int, tz: ZoneInfo, now: int | None = None) -> str:
    """'Thu 03 Dec, 18:30' (with the year when it is not the current one)."""
    at = datetime.fromtimestamp(ts, tz)
    same_year = now is None or datetime.fromtimestamp(now, tz).year == at.year
    return at.strftime("%a %d %b, %H:%M" if same_year else "%a %d %b %Y, %H:%M")


def event_name(event: Event) -> str:
    """'#3 Demo night'."""
    return f"#{event.id} {snippet(event.title, MAX_TITLE)}"


def event_line(event: Event, tz: ZoneInfo, now: int, count: int) -> str:
    """One line of /events: name, local time, place and how many are going."""
    place = f" · {snippet(event.place, 60)}" if event.place else ""
    return f"{event_name(event)} — {local_time(event.starts_at, tz, now)}{place} · {count} going"


def time_until(seconds: int) -> str:
    """'in about 3 hours', 'in 20 minutes'."""
    if seconds >= 90 * 60:
        return f"in about {plural(round(seconds / HOUR), 'hour')}"
    if seconds >= 50 * 60:
        return "in about an hour"
    return f"in {plural(max(1, round(seconds / 60)), 'minute')}"


# -- parsing ---------------------------------------------------------------------------


def parse_when(raw: str, details: str | None, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """The start time from `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD@HH:MM` (or a date, then HH:MM as
    the next word), in the community's timezone; returns it with what is left of `details`.
    """
    hint = f"Write the time as 2026-12-03T18:30 (or 2026-12-03@18:30), in {tz.key} time."
    found = _WHEN.match(raw.strip())
    if found is None:
        raise CommandError(
            f"I couldn't read {raw!r} as a date and time. {hint}\nExample: {EXAMPLE}"
        )
    year, month, day, hour, minute = found.groups()
    if hour is None:
        first, _, rest = (details or "").partition(" ")
        clock = _TIME.match(first)
        if clock is None:
            raise CommandError(f"What time on {raw}? {hint}\nExample: {EXAMPLE}")
        hour, minute = clock.groups()
        details = rest.strip() or None
    try:
        at = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=tz)
    except ValueError:
        raise CommandError(f"{raw!r} is not a real date and time. {hint}") from None
    return at, details


def parse_event_id(raw: str | None, action: str) -> int:
    """The event number from '3' or '#3', or an error that shows how to give it."""
    number = parse_id((raw or "").lstrip("#"))
    if number is None:
        shown = raw if raw is None or len(raw) <= 24 else raw[:20] + "…"
        got = f" ({shown!r} is not one)" if raw else ""
        raise CommandError(
            f"Which event? Give its number from /events{got}, e.g. /event {action} 3."
        )
    return number
