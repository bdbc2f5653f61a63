"""Reads over the core's activity log (the `activity` table the hot path writes).

Features ask here instead of writing SQL over the core's tables: `/stats`, `/leaderboard`
and `/activity`, the re-ranker's activity levels, a member's export and erasure. Functions
that take a connection run in a worker thread through `Store.read`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from bot.storage import rollups
from bot.storage.store import ACTIVITY_KINDS, KIND_NAMES, Store

DAY = 86400


def daily_counts(
    conn: sqlite3.Connection,
    community: int,
    start: int,
    end: int,
    offset: int,
    member: int | None = None,
) -> dict[int, int]:
    """Messages per local day number in [start, end) (`offset`: seconds east of UTC).

    The community's counts come from the hourly rollup (O(hours), bot/storage/rollups.py);
    one member's from their own rows (`+community` keeps SQLite on the member index).
    """
    if member is None:
        return rollups.hourly_local_days(conn, community, start, end, offset)
    sql = (
        "SELECT (at + ?) / 86400 AS day, count(*) FROM activity "
        "WHERE member = ? AND at >= ? AND at < ? AND +community = ? AND kind = 0"
    )
    rows = conn.execute(sql + " GROUP BY day", (offset, member, start, end, community))
    return {int(day): int(n) for day, n in rows}


def _names(conn: sqlite3.Connection, members: list[int]) -> dict[int, tuple[str, int]]:
    marks = ",".join("?" * len(members))
    rows = conn.execute(f"SELECT id, name, named FROM members WHERE id IN ({marks})", members)
    return {int(i): (name, int(named)) for i, name, named in rows}


def ranking(
    conn: sqlite3.Connection, community: int, since: int, until: int
) -> list[tuple[int, int]]:
    """(member, messages) in [since, until), most first (ties by member id)."""
    counts = rollups.member_counts(conn, community, since, until)
    return sorted(counts.items(), key=lambda mn: (-mn[1], mn[0]))


def top_members(
    conn: sqlite3.Connection, community: int, since: int, until: int = 2**62
) -> list[tuple[str, int, int]]:
    """(name, named, messages) of the ten most active members in [since, until)."""
    ranked = ranking(conn, community, since, until)
    names = _names(conn, [m for m, _ in ranked])
    rows = [(names[m][0], names[m][1], n) for m, n in ranked if m in names]
    rows.sort(key=lambda r: (-r[2], r[0]))
    return rows[:10]


def member_stats(
    conn: sqlite3.Connection, community: int, member: int, now: int, offset: int
) -> tuple[dict[int, int], list[int], int]:
    """A member's messages per day, the 30-day ranking of members, events attended."""
    days = daily_counts(conn, community, 0, now + 1, offset, member)
    ranked = [m for m, _ in ranking(conn, community, now - 30 * DAY, now + 1)]
    attended = conn.execute(
        "SELECT count(*) FROM activity WHERE member = ? AND +community = ? AND kind = ?",
        (member, community, ACTIVITY_KINDS["attend"]),
    ).fetchone()[0]
    return days, ranked, int(attended)


def active_members(conn: sqlite3.Connection, community: int, start: int, end: int) -> int:
    """Members with any activity in [start, end)."""
    return len(rollups.member_counts(conn, community, start, end, kind=None))


def community_activity(
    conn: sqlite3.Connection, community: int, start: int, now: int, offset: int
) -> tuple[dict[int, int], int, int, int, int]:
    """Messages per local day since `start`, active and new members, this and last week."""
    counts = daily_counts(conn, community, start, now + 1, offset)
    active = active_members(conn, community, start, now + 1)
    new = conn.execute(
        "SELECT count(*) FROM members WHERE community = ? AND joined_at >= ? AND joined_at <= ?",
        (community, start, now),
    ).fetchone()[0]
    # Weeks are half-open (now - 7 days, now]: a message exactly a week old is last week's.
    week = 7 * DAY
    this_week = rollups.total(conn, community, now - week + 1, now + 1)
    last_week = rollups.total(conn, community, now - 2 * week + 1, now - week + 1)
    return counts, int(active), int(new), this_week, last_week


def messages_per_member(store: Store, community: int, since: int) -> dict[int, int]:
    """Each member's messages since `since` (members without any are absent)."""
    conn = store.reader()
    try:
        return dict(rollups.member_counts(conn, community, since, 2**62))
    finally:
        conn.close()


def export_activity_rows(store: Store, community: int, member: int) -> list[dict[str, Any]]:
    """A member's activity rows with their chats, for `/export` (ISO times, kind names)."""
    rows = store.rows(
        "SELECT a.at, a.kind, a.length, a.text, c.platform, c.ref AS chat FROM activity a "
        "JOIN chats c ON c.id = a.chat WHERE a.community = ? AND a.member = ? ORDER BY a.at, a.id",
        (community, member),
    )
    for row in rows:
        row["kind"] = KIND_NAMES[row["kind"]]
        row["at"] = datetime.fromtimestamp(row["at"], UTC).isoformat()
    return rows


def delete_member_activity(store: Store, community: int, member: int) -> None:
    """Delete a member's activity rows and set-aside rows (after writing what is buffered,
    so none survive)."""
    store.flush()
    with store.transaction() as c:
        rollups.remove_member(c, community, member)
        c.execute("DELETE FROM activity WHERE community = ? AND member = ?", (community, member))
        c.execute(  # rows the writer set aside hold the member's text too
            "DELETE FROM dead_letters WHERE community = ? AND member = ?", (community, member)
        )


def member_texts(store: Store, community: int, member: int) -> list[str]:
    """The distinct message texts a member has stored in a community (for `Feature.erase_texts`)."""
    rows = store.rows(
        "SELECT DISTINCT text FROM activity WHERE community = ? AND member = ? "
        "AND text IS NOT NULL",
        (community, member),
    )
    return [r["text"] for r in rows]
