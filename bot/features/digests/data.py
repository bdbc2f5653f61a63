"""The numbers and texts behind a digest, read in a worker thread on a separate connection.

Everything here is plain SQL over `activity` and `members` (indexed by community and time),
so it runs through `Store.reader()` inside `asyncio.to_thread` and never touches the loop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.features.digests.topic_worker import DAILY_SAMPLE, DAY, daily_sample
from bot.storage import rollups

TOPIC_PERIODS = 4  # the current period and three before it, for rising and fading topics
HISTORY_PERIODS = 4  # periods of daily counts the chart shows
FORECAST_DAYS = 366  # days of daily counts the forecast backtests its methods on
MIN_HISTORY_DAYS = 14
TOP = 5


@dataclass(frozen=True, slots=True)
class Window:
    """The period a digest covers, as UTC timestamps, and its local day numbers."""

    start: int
    end: int
    days: int
    offset: int  # seconds added to a UTC timestamp to get the community's local day

    @property
    def previous(self) -> Window:
        return Window(self.start - self.days * DAY, self.start, self.days, self.offset)

    def local_day(self, ts: int) -> int:
        return (ts + self.offset) // DAY


@dataclass(frozen=True, slots=True)
class Change:
    """A count this period and the one before."""

    now: int
    before: int


@dataclass
class DigestData:
    """What the SQL side of a digest found."""

    messages: Change
    active: Change
    new: Change
    top: list[tuple[str, int]]  # named members only, by messages
    newcomers: list[tuple[int, str]]  # (member id, name) of named new members
    daily: list[tuple[date, int]]  # messages per local day, oldest first, ending with the period
    history: list[int] = field(default_factory=list)  # daily counts for the forecast (a year)
    answered: list[tuple[str, int]] = field(default_factory=list)  # by messages others answered
    topic_texts: list[str] = field(default_factory=list)
    topic_periods: list[int] = field(default_factory=list)  # 0 = oldest, highest = current
    sampled_days: int = 0  # days whose texts were sampled down to DAILY_SAMPLE
    stored_texts: int = 0  # texts available in the topic window before sampling
    sample_cap: int = DAILY_SAMPLE


def window_for(local_end: datetime, days: int) -> Window:
    """The `days` local days ending at `local_end` (aware, in the community's timezone).

    Wall-clock arithmetic: a week across a daylight-saving change is 167 or 169 hours.
    """
    offset = local_end.utcoffset()
    start = int((local_end - timedelta(days=days)).timestamp())
    seconds = int(offset.total_seconds()) if offset else 0
    return Window(start, int(local_end.timestamp()), days, seconds)


def _count(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0] or 0) if row else 0


def _messages(conn: sqlite3.Connection, community: int, w: Window) -> int:
    return rollups.total(conn, community, w.start, w.end)


def _active(conn: sqlite3.Connection, community: int, w: Window) -> int:
    return len(rollups.member_counts(conn, community, w.start, w.end, kind=None))


def _new(conn: sqlite3.Connection, community: int, w: Window) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM members WHERE community = ? AND joined_at >= ? AND joined_at < ?",
        (community, w.start, w.end),
    )


def _top(conn: sqlite3.Connection, community: int, w: Window) -> list[tuple[str, int, int]]:
    """(name, named, messages) of the period's most active members, most first."""
    counts = rollups.member_counts(conn, community, w.start, w.end)
    best = sorted(counts.items(), key=lambda mn: (-mn[1], mn[0]))[: TOP * 8]
    if not best:
        return []
    marks = ",".join("?" * len(best))
    names = {
        int(r[0]): (r[1], int(r[2]))
        for r in conn.execute(
            f"SELECT id, name, named FROM members WHERE id IN ({marks})",
            [m for m, _ in best],
        )
    }
    rows = [(names[m][0], names[m][1], n) for m, n in best if m in names]
    return sorted(rows, key=lambda r: (-r[2], r[0]))[: TOP * 4]


ANSWER_SECONDS = 600  # another member writing within this time counts as an answer
SUBSTANTIVE = 25  # characters a message needs to count ("lol", "+1" never do)


def _answered(conn: sqlite3.Connection, community: int, w: Window) -> list[tuple[str, int]]:
    """Named members by their substantive messages that another member answered (wrote in
    the same chat within ten minutes after), most first: contribution, not volume."""
    rows = conn.execute(
        "SELECT member, count(*) FROM (SELECT member, at, length, "
        "lead(member) OVER w AS next_member, lead(at) OVER w AS next_at FROM activity "
        "WHERE community = ? AND kind = 0 AND at >= ? AND at < ? "
        "WINDOW w AS (PARTITION BY chat ORDER BY at)) AS answered "
        "WHERE next_member != member AND next_at - at <= ? AND length >= ? GROUP BY member",
        (community, w.start, w.end, ANSWER_SECONDS, SUBSTANTIVE),
    )
    scores = {int(m): int(n) for m, n in rows}
    best = sorted(scores.items(), key=lambda mn: (-mn[1], mn[0]))[: TOP * 4]
    if not best:
        return []
    marks = ",".join("?" * len(best))
    names = {
        int(r[0]): r[1]
        for r in conn.execute(
            f"SELECT id, name FROM members WHERE id IN ({marks}) AND named = 1",
            [m for m, _ in best],
        )
    }
    return [(names[m], n) for m, n in best if m in names][:TOP]


def daily_series(
    conn: sqlite3.Connection, community: int, w: Window, days: int | None = None
) -> list[tuple[date, int]]:
    """Messages per complete local day before the window's end, zero-filled, oldest first
    (`days` of them; by default the chart's span), starting no earlier than the first message."""
    if days is None:
        days = max(MIN_HISTORY_DAYS, HISTORY_PERIODS * w.days)
    else:
        first_hour = conn.execute(
            "SELECT min(hour) FROM activity_hours WHERE community = ? AND kind = 0", (community,)
        ).fetchone()[0]
        if first_hour is not None:
            span = w.local_day(w.end) - w.local_day(int(first_hour) * 3600)
            days = max(MIN_HISTORY_DAYS, min(days, span))
    last = w.local_day(w.end) - 1  # a day still in progress would drag the trend down
    first = last - days + 1
    counts = rollups.hourly_local_days(
        conn, community, first * DAY - w.offset, (last + 1) * DAY - w.offset, w.offset
    )
    epoch = date(1970, 1, 1)
    return [(epoch + timedelta(days=d), counts.get(d, 0)) for d in range(first, first + days)]


def collect(
    conn: sqlite3.Connection,
    community: int,
    w: Window,
    *,
    with_texts: bool = True,
    admins: frozenset[str] = frozenset(),
) -> DigestData:
    """Read a digest's numbers (and the topic window's sampled texts); closes `conn`.

    Meant for a worker thread with a connection from `Store.reader()`.
    """
    try:
        prev = w.previous
        top_rows = _top(conn, community, w)
        # Newcomers: joined in the period and wrote or reacted since (an organizer who only
        # ran commands, or a bot, has no activity of its own); admins are left out by name.
        newcomers = [
            r
            for r in conn.execute(
                "SELECT id, name FROM members m WHERE community = ? AND joined_at >= ? "
                "AND joined_at < ? AND named = 1 AND tracking = 1 AND EXISTS (SELECT 1 FROM "
                "activity a WHERE a.member = m.id AND a.kind IN (0, 3) AND a.at >= ?) "
                "ORDER BY joined_at, id LIMIT 20",
                (community, w.start, w.end, w.start),
            ).fetchall()
            if r[1].casefold() not in admins
        ][:10]
        data = DigestData(
            messages=Change(_messages(conn, community, w), _messages(conn, community, prev)),
            active=Change(_active(conn, community, w), _active(conn, community, prev)),
            new=Change(_new(conn, community, w), _new(conn, community, prev)),
            top=[(r[0], int(r[2])) for r in top_rows if r[1]][:TOP],
            answered=_answered(conn, community, w),
            newcomers=[(int(r[0]), r[1]) for r in newcomers],
            daily=daily_series(conn, community, w),
            history=[c for _, c in daily_series(conn, community, w, FORECAST_DAYS)],
        )
        if with_texts:
            _topic_sample(conn, community, w, data)
        return data
    finally:
        conn.close()


def _topic_sample(conn: sqlite3.Connection, community: int, w: Window, data: DigestData) -> None:
    """The topic window's texts: per UTC day, the sample the background worker embedded."""
    sample = daily_sample(conn, community, w.end - TOPIC_PERIODS * w.days * DAY, w.end)
    data.stored_texts, data.sampled_days, data.sample_cap = (
        sample.stored, sample.sampled_days, sample.cap,
    )  # fmt: skip
    for day, picked in sorted(sample.by_day.items()):
        # A sampled day belongs to the period holding most of it (UTC day vs local period).
        middle = day * DAY + DAY // 2
        age = max(0, w.end - 1 - middle) // (w.days * DAY)
        period = TOPIC_PERIODS - 1 - min(TOPIC_PERIODS - 1, age)
        data.topic_texts.extend(picked)
        data.topic_periods.extend([int(period)] * len(picked))
