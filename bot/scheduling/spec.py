"""Schedule specs ("weekly mon 09:00", a cron line) turned into timezone-aware triggers.

A trigger fires at a *local* wall-clock time: 09:00 in Europe/Berlin stays 09:00 across
daylight-saving changes. `last_due` finds the most recent fire time in a window, which is
how the scheduler catches up after downtime without APScheduler's memory of past runs.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.commands import CommandError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ACCEPTED = (
    "Accepted schedules: daily HH:MM, weekly <mon-sun> HH:MM, biweekly <mon-sun> HH:MM, "
    "monthly <1-28|last> HH:MM, or a 5-field cron line (minute hour day month weekday), "
    "optionally followed by a timezone. Example: weekly mon 09:00 Europe/Berlin"
)
MIN_GAP = timedelta(hours=1)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ANCHOR = date(2024, 1, 1)  # a Monday: biweekly runs fall in even weeks counted from here


class BiweeklyTrigger(BaseTrigger):
    """A weekly cron trigger that fires only in even weeks since a fixed Monday.

    The fixed anchor keeps the same weeks after a restart (an interval trigger would drift
    by an hour across daylight-saving changes, and restart its count).
    """

    __slots__ = ("weekly",)

    def __init__(self, weekly: CronTrigger) -> None:
        self.weekly = weekly

    def get_next_fire_time(self, previous_fire_time: Any, now: datetime) -> datetime | None:
        candidate = self.weekly.get_next_fire_time(previous_fire_time, now)
        for _ in range(3):
            if candidate is None or ((candidate.date() - _ANCHOR).days // 7) % 2 == 0:
                return candidate
            candidate = self.weekly.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
        return candidate

    def __str__(self) -> str:
        return f"biweekly[{self.weekly}]"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def resolve_timezone(name: str) -> ZoneInfo:
    """The zone called `name` (case-insensitive), or a CommandError naming a close match."""
    found = _zones().get(name.strip().lower())
    if found is None:
        close = difflib.get_close_matches(name.lower(), list(_zones()), n=1, cutoff=0.7)
        hint = f" Did you mean {_zones()[close[0]]}?" if close else ""
        raise CommandError(
            f"Unknown timezone {name!r}.{hint} Use a name from the tz database, "
            "e.g. Europe/Berlin, America/New_York or UTC."
        )
    return ZoneInfo(found)


def looks_like_timezone(token: str) -> bool:
    """Whether the last word of a spec is meant as a timezone (not part of the schedule)."""
    return "/" in token or token.lower() in _zones() or token.upper() in ("UTC", "GMT")


def split_timezone(text: str) -> tuple[str, str | None]:
    """Split "weekly mon 09:00 Europe/Berlin" into the spec and the timezone (if given)."""
    words = text.split()
    if len(words) > 1 and looks_like_timezone(words[-1]) and not _TIME.match(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return text.strip(), None


def _bad(problem: str) -> CommandError:
    return CommandError(f"{problem} {ACCEPTED}")


def _clock(token: str) -> tuple[int, int]:
    m = _TIME.match(token)
    if not m:
        raise _bad(f"{token!r} is not a time like 09:00.")
    return int(m.group(1)), int(m.group(2))


def _weekday(token: str) -> str:
    day = token.lower()[:3]
    if day not in WEEKDAYS:
        raise _bad(f"{token!r} is not a weekday (mon, tue, … sun).")
    return day


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron: 0 (or 7) = Sunday


def cron_weekdays(field: str) -> str:
    """A cron weekday field in standard numbers (0 or 7 Sunday, 1 Monday … 6 Saturday) as
    the weekday names APScheduler 3 reads unambiguously (its own numbers start at Monday).

    Lists, ranges (``1-5``, ``fri-sun``) and steps (``*/2``, ``1-5/2``) are expanded.

    Raises:
        CommandError: a weekday is not 0-7 or mon-sun.
    """
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = _cron_number(step_text, 1, 7, "step") if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first = _cron_day(low)
            last = _cron_day(high) if high else (6 if step_text else first)
            if last < first:  # a range through Sunday: fri-mon, 6-0
                last += 7
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[d] for d in sorted(days, key=lambda d: (d - 1) % 7))


def _cron_day(token: str) -> int:
    name = token[:3].lower()
    if name in _CRON_DAYS:
        return _CRON_DAYS.index(name)
    return _cron_number(token, 0, 7, "weekday")


def _cron_number(token: str, low: int, high: int, what: str) -> int:
    if not (token.isascii() and token.isdigit()) or not low <= int(token) <= high:
        raise _bad(
            f"{token!r} is not a cron {what} ({low}-{high}; weekdays: 0 or 7 is Sunday, "
            "1 is Monday)."
        )
    return int(token)


def parse_spec(spec: str, tz: ZoneInfo | str = "UTC") -> BaseTrigger:
    """A trigger for a schedule spec in a timezone.

    Raises:
        CommandError: the spec or the timezone is not understood; says what is accepted.
    """
    zone = tz if isinstance(tz, ZoneInfo) else resolve_timezone(tz)
    words = spec.lower().split()
    if not words:
        raise _bad("The schedule is empty.")
    kind = words[0]
    trigger: BaseTrigger
    if kind == "daily" and len(words) == 2:
        hour, minute = _clock(words[1])
        trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
    elif kind in ("weekly", "biweekly") and len(words) == 3:
        day = _weekday(words[1])
        hour, minute = _clock(words[2])
        weekly = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zone)
        trigger = weekly if kind == "weekly" else BiweeklyTrigger(weekly)
    elif kind == "monthly" and len(words) == 3:
        day_of_month = words[1]
        if day_of_month != "last" and not (day_of_month.isdigit() and 1 <= int(day_of_month) <= 28):
            raise _bad(f"{words[1]!r} is not a day of the month (1-28 or last).")
        hour, minute = _clock(words[2])
        trigger = CronTrigger(day=day_of_month, hour=hour, minute=minute, timezone=zone)
    elif len(words) == 5 and kind not in ("daily", "weekly", "biweekly", "monthly"):
        minute, hour, day, month = words[:4]
        weekdays = cron_weekdays(words[4])
        try:
            trigger = CronTrigger(
                minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays, timezone=zone
            )
        except ValueError as exc:
            raise _bad(f"That cron line is not valid ({exc}).") from None
    else:
        raise _bad(f"I don't understand the schedule {spec!r}.")
    _check_gap(trigger, zone)
    return trigger


def _check_gap(trigger: BaseTrigger, zone: ZoneInfo) -> None:
    start = datetime(2026, 1, 5, tzinfo=zone)
    first = trigger.get_next_fire_time(None, start)
    second = first and trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    if first is None:
        raise _bad("That schedule never fires.")
    if second is not None and second - first < MIN_GAP:
        raise _bad("That schedule fires more than once an hour; digests need at least an hour.")


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after `after`."""
    return trigger.get_next_fire_time(None, after + timedelta(seconds=1))


def last_due(trigger: BaseTrigger, now: datetime, window: timedelta) -> datetime | None:
    """The latest fire time in (now - window, now], or None."""
    fire = trigger.get_next_fire_time(None, now - window + timedelta(seconds=1))
    found = None
    for _ in range(10_000):
        if fire is None or fire > now:
            break
        found = fire
        fire = next_fire(trigger, fire)
    return found


def period_days(trigger: BaseTrigger, due: datetime) -> int:
    """Whole days since the previous fire before `due` (1 to 31): the period a digest covers."""
    previous = last_due(trigger, due - timedelta(seconds=1), timedelta(days=32))
    if previous is None:
        return 31
    return min(31, max(1, round((due - previous).total_seconds() / 86400)))
