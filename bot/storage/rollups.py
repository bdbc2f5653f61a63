"""Activity rollups: counts per community-hour and per member-day, kept on every write.

`/stats`, `/leaderboard`, `/activity` and the digest read these instead of the activity log,
so a question about 30 days costs 30 days of rows, not every message ever stored.

- `activity_hours(community, hour, kind, n)`: messages (and other kinds) per UTC hour; local
  days in any whole-hour timezone are sums of hours.
- `member_days(community, day, member, kind, n)`: per member and UTC day.

`add` runs inside the store's flush transaction: the batch is aggregated in Python and
appended as a few rows (no unique key, so a merge of two members just moves rows). Every
`COMPACT_AFTER` appended rows, the hours and days written since are compacted to one row
per key, so the tables stay about one row per key whatever order history arrives in. Reads that
start or end inside an hour or a day take that edge from the activity log itself (an index
range of at most a day), so every answer is exact.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import floordiv
from typing import Any

from bot.storage.engine import bulk_insert

HOUR = 3600
DAY = 86400

ROLLUP_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE activity_hours (
            community INTEGER NOT NULL, hour INTEGER NOT NULL, kind INTEGER NOT NULL,
            n INTEGER NOT NULL)""",
        "CREATE INDEX activity_hours_at ON activity_hours (community, hour)",
        """CREATE TABLE member_days (
            community INTEGER NOT NULL, day INTEGER NOT NULL, member INTEGER NOT NULL,
            kind INTEGER NOT NULL, n INTEGER NOT NULL)""",
        "CREATE INDEX member_days_at ON member_days (community, day)",
        "CREATE INDEX member_days_member ON member_days (member)",
        # a database from before the rollups: count what is already stored
        "INSERT INTO activity_hours SELECT community, at / 3600, kind, count(*) FROM activity "
        "GROUP BY 1, 2, 3",
        "INSERT INTO member_days SELECT community, at / 86400, member, kind, count(*) "
        "FROM activity GROUP BY 1, 2, 3, 4",
    ]
]
_HOUR_COLUMNS = ("community", "hour", "kind", "n")
_DAY_COLUMNS = ("community", "day", "member", "kind", "n")
COMPACT_AFTER = 20_000  # appended rollup rows before their keys are compacted
_pending: dict[int, tuple[set[tuple[int, int]], set[tuple[int, int]], list[int]]] = {}


def add(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Count a batch of activity rows (community, member, chat, at, kind, ...) into the
    rollups; call inside the transaction that inserts them.

    The counting runs in C (`Counter` over zipped columns: a batch is thousands of rows) and
    the counts are appended by the engine's bulk path (``COPY`` on PostgreSQL).
    """
    if not rows:
        return
    communities, members, _chats, ats, kinds, *_ = zip(*rows, strict=True)
    hours = Counter(zip(communities, map(floordiv, ats, repeat(HOUR)), kinds, strict=True))
    days = Counter(zip(communities, map(floordiv, ats, repeat(DAY)), members, kinds, strict=True))
    bulk_insert(conn, "activity_hours", _HOUR_COLUMNS, [(*k, n) for k, n in hours.items()])
    bulk_insert(conn, "member_days", _DAY_COLUMNS, [(*k, n) for k, n in days.items()])
    touched_hours, touched_days, count = _pending.setdefault(id(conn), (set(), set(), [0]))
    touched_hours.update((k[0], k[1]) for k in hours)
    touched_days.update((k[0], k[1]) for k in days)
    count[0] += len(hours) + len(days)
    if count[0] >= COMPACT_AFTER:
        compact(conn)


def compact(conn: sqlite3.Connection) -> None:
    """One row per key in the hours and days written since the last compaction."""
    touched_hours, touched_days, count = _pending.pop(id(conn), (set(), set(), [0]))
    del count
    for table, key, unit, buckets in (
        ("activity_hours", "community, hour, kind", "hour", touched_hours),
        ("member_days", "community, day, member, kind", "day", touched_days),
    ):
        by_community: dict[int, list[int]] = {}
        for community, bucket in buckets:
            by_community.setdefault(community, []).append(bucket)
        for community, units in by_community.items():
            for i in range(0, len(units), 500):
                _compact(conn, table, key, unit, community, units[i : i + 500])


def compact_all(conn: sqlite3.Connection) -> None:
    """Compact every key (e.g. after bulk changes made outside `add`)."""
    _pending.pop(id(conn), None)
    for table, key, unit in (
        ("activity_hours", "community, hour, kind", "hour"),
        ("member_days", "community, day, member, kind", "day"),
    ):
        pairs = conn.execute(f"SELECT DISTINCT community, {unit} FROM {table}").fetchall()
        by_community: dict[int, list[int]] = {}
        for community, bucket in pairs:
            by_community.setdefault(int(community), []).append(int(bucket))
        for community, units in by_community.items():
            for i in range(0, len(units), 500):
                _compact(conn, table, key, unit, community, units[i : i + 500])


def _compact(
    conn: sqlite3.Connection, table: str, key: str, unit: str, community: int, units: list[int]
) -> None:
    """Fold the rows of one community's `units` into one row per key (identifiers are
    constants of this module, never input).

    The rows are deleted with ``RETURNING`` and their sums written back, so exactly the rows
    taken out are counted back in, on either engine: a row another process adds meanwhile is
    not one of them and stays as it is. Keys whose sum is zero are gone.
    """
    marks = ",".join("?" * len(units))
    gone = conn.execute(
        f"DELETE FROM {table} WHERE community = ? AND {unit} IN ({marks}) RETURNING {key}, n",
        (community, *units),
    ).fetchall()
    sums: Counter[tuple[int, ...]] = Counter()
    for *k, n in gone:
        sums[tuple(k)] += n
    columns = (*key.split(", "), "n")
    bulk_insert(conn, table, columns, [(*k, int(n)) for k, n in sums.items() if n])


def remove_member(conn: sqlite3.Connection, community: int, member: int) -> None:
    """Take a member's activity out of the rollups (before their activity rows are deleted)."""
    conn.execute(
        "INSERT INTO activity_hours SELECT community, at / 3600, kind, -count(*) FROM activity "
        "WHERE community = ? AND member = ? GROUP BY 1, 2, 3",
        (community, member),
    )
    conn.execute("DELETE FROM member_days WHERE community = ? AND member = ?", (community, member))


def _edges(start: int, end: int, unit: int) -> tuple[int, int]:
    """The whole units inside [start, end): (first, last + 1), as unit numbers."""
    first = -(-start // unit)
    last = end // unit
    return first, max(first, last)


def hourly_local_days(
    conn: sqlite3.Connection, community: int, start: int, end: int, offset: int, kind: int = 0
) -> dict[int, int]:
    """Rows of `kind` per local day number in [start, end) (offset: seconds east of UTC)."""
    first, last = _edges(start, end, HOUR)
    counts: Counter[int] = Counter()
    rows = conn.execute(
        "SELECT (hour * 3600 + ?) / 86400 AS day, sum(n) FROM activity_hours "
        "WHERE community = ? AND kind = ? AND hour >= ? AND hour < ? GROUP BY day",
        (offset, community, kind, first, last),
    )
    for day, n in rows:
        counts[int(day)] += int(n)
    for lo, hi in _raw_spans(start, end, first * HOUR, last * HOUR):
        for day, n in conn.execute(
            "SELECT (at + ?) / 86400 AS day, count(*) FROM activity WHERE community = ? "
            "AND kind = ? AND at >= ? AND at < ? GROUP BY day",
            (offset, community, kind, lo, hi),
        ):
            counts[int(day)] += int(n)
    return {d: n for d, n in counts.items() if n}


def total(conn: sqlite3.Connection, community: int, start: int, end: int, kind: int = 0) -> int:
    """Rows of `kind` in [start, end)."""
    return sum(hourly_local_days(conn, community, start, end, 0, kind).values())


def member_counts(
    conn: sqlite3.Connection, community: int, start: int, end: int, kind: int | None = 0
) -> Counter[int]:
    """Rows of `kind` (None: any kind) per member in [start, end)."""
    first, last = _edges(start, end, DAY)
    counts: Counter[int] = Counter()
    where = "" if kind is None else " AND kind = ?"
    extra: tuple[int, ...] = () if kind is None else (kind,)
    rows = conn.execute(
        "SELECT member, sum(n) FROM member_days WHERE community = ? AND day >= ? AND day < ?"
        f"{where} GROUP BY member",
        (community, first, last, *extra),
    )
    for member, n in rows:
        counts[int(member)] += int(n)
    for lo, hi in _raw_spans(start, end, first * DAY, last * DAY):
        for member, n in conn.execute(
            f"SELECT member, count(*) FROM activity WHERE community = ? AND at >= ? AND at < ?"
            f"{where} GROUP BY member",
            (community, lo, hi, *extra),
        ):
            counts[int(member)] += int(n)
    return Counter({m: n for m, n in counts.items() if n > 0})


def _raw_spans(start: int, end: int, whole_start: int, whole_end: int) -> Iterable[tuple[int, int]]:
    """The parts of [start, end) outside the whole units [whole_start, whole_end)."""
    if whole_start >= whole_end:
        yield start, end
        return
    if start < whole_start:
        yield start, whole_start
    if whole_end < end:
        yield whole_end, end
