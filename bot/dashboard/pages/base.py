"""What every page is made of: a date range, tables (which the CSV repeats), notes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from bot.dashboard.rollup import DAY

EPOCH = date(1970, 1, 1)
DEFAULT_DAYS = 56  # a range given only one end covers this many days
DEFAULT_WEEKS = 8
MAX_DAYS = 3 * 366
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NotFound(Exception):
    """The id asked for is not one of this community's."""


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive local dates, and the UTC offset that makes them timestamps."""

    first: date
    last: date
    offset: int
    text_from: int = 0  # no message text is kept before this time (the retention)

    @property
    def d0(self) -> int:
        return (self.first - EPOCH).days

    @property
    def d1(self) -> int:
        return (self.last - EPOCH).days

    @property
    def t0(self) -> int:
        return self.d0 * DAY - self.offset

    @property
    def t1(self) -> int:
        return (self.d1 + 1) * DAY - self.offset

    @property
    def days(self) -> int:
        return self.d1 - self.d0 + 1

    @property
    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def day_label(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


def parse_range(args: Mapping[str, str], today: date, offset: int) -> tuple[Range, str]:
    """The page's date range from `from` and `to` (YYYY-MM-DD), and a problem sentence if any."""
    # By default the eight weeks (Monday to Sunday) before this one, and this week so far.
    default = Range(today - timedelta(days=today.weekday() + 7 * DEFAULT_WEEKS), today, offset)
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    if not raw_from and not raw_to:
        return default, ""
    try:
        last = _date(raw_to) if raw_to else today
        first = _date(raw_from) if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        return default, "Dates are written YYYY-MM-DD, e.g. 2026-11-01; showing the last 8 weeks."
    if first > last:
        return default, "The range starts after it ends; showing the last 8 weeks."
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        return Range(first, last, offset), "A range covers at most three years; shortened."
    return Range(first, last, offset), ""


def _date(text: str) -> date:
    if not _DATE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


@dataclass
class Table:
    """A table as the page shows it and its CSV repeats it."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    links: dict[int, str] = field(default_factory=dict)  # row index → href of its first cell


@dataclass
class Page:
    slug: str
    title: str
    rng: Range
    charts: list[Markup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: list[tuple[str, str]] = field(default_factory=list)  # headline figures
    report: str = ""  # preformatted text (the re-ranker's report)
    links: list[tuple[str, str]] = field(default_factory=list)
    behind: int = 0  # activity rows not folded into the rollups yet

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise NotFound(name)


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def when(at: int, rng: Range) -> str:
    return datetime.fromtimestamp(at + rng.offset, UTC).strftime("%Y-%m-%d %H:%M")
