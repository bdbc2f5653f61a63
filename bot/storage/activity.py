"""Reads over the core's activity log (the `activity` table the hot path writes).

Features ask here instead of writing SQL over the core's tables: `/stats`, `/leaderboard`
and `/activity`, the re-ranker's activity levels, a member's export and erasure. Functions
that take a connection run in a worker thread through `Store.read`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

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
    """Messages per local day number in [start, end) (`offset`: seconds east of UTC)."""
    sql = (
        "SELECT (at + ?) / 86400 AS day, count(*) FROM activity "
        "WHERE community = ? AND kind = 0 AND at >= ? AND at < ?"
    )
    params: list[Any] = [offset, community, start, end]
    if member is not None:
        sql += " AND member = ?"
        params.append(member)
    return {int(day): int(n) for day, n in conn.execute(sql + " GROUP BY day", params)}


def top_members(conn: sqlite3.Connection, community: int, since: int) -> list[tuple[str, int, int]]:
    """(name, named, messages) of the ten most active members since `since`."""
    return conn.execute(
        "SELECT m.name, m.named, count(*) AS n FROM activity a "
        "JOIN members m ON m.id = a.member WHERE a.community = ? AND a.kind = 0 AND a.at >= ? "
        "GROUP BY m.id ORDER BY n DESC, m.name LIMIT 10",
        (community, since),
    ).fetchall()


def member_stats(
    conn: sqlite3.Connection, community: int, member: int, now: int, offset: int
) -> tuple[dict[int, int], list[int], int]:
    """A member's messages per day, the 30-day ranking of members, events attended."""
    days = daily_counts(conn, community, 0, now + 1, offset, member)
    ranking = [
        int(m)
        for m, _ in conn.execute(
            "SELECT member, count(*) AS n FROM activity WHERE community = ? AND kind = 0 "
            "AND at >= ? GROUP BY member ORDER BY n DESC",
            (community, now - 30 * DAY),
        )
    ]
    attended = conn.execute(
        "SELECT count(*) FROM activity WHERE community = ? AND member = ? AND kind = ?",
        (community, member, ACTIVITY_KINDS["attend"]),
    ).fetchone()[0]
    return days, ranking, int(attended)


def community_activity(
    conn: sqlite3.Connection, community: int, start: int, now: int, offset: int
) -> tuple[dict[int, int], int, int, int, int]:
    """Messages per local day since `start`, active and new members, this and last week."""
    counts = daily_counts(conn, community, start, now + 1, offset)
    active = conn.execute(
        "SELECT count(DISTINCT member) FROM activity WHERE community = ? AND at >= ?",
        (community, start),
    ).fetchone()[0]
    new = conn.execute(
        "SELECT count(*) FROM members WHERE community = ? AND joined_at >= ?", (community, start)
    ).fetchone()[0]
    # Weeks are half-open (now - 7 days, now]: a message exactly a week old is last week's.
    week = 7 * DAY
    this_week = sum(daily_counts(conn, community, now - week + 1, now + 1, 0).values())
    last_week = sum(daily_counts(conn, community, now - 2 * week + 1, now - week + 1, 0).values())
    return counts, int(active), int(new), this_week, last_week


def messages_per_member(store: Store, community: int, since: int) -> dict[int, int]:
    """Each member's messages since `since` (members without any are absent)."""
    rows = store.rows(
        "SELECT member, count(*) AS n FROM activity WHERE community = ? AND kind = 0 AND at >= ? "
        "GROUP BY member",
        (community, since),
    )
    return {int(r["member"]): int(r["n"]) for r in rows}


def export_activity_rows(store: Store, community: int, member: int) -> list[dict[str, Any]]:
    """A member's activity rows with their chats, for `/export` (ISO times, kind names)."""
    rows = store.rows(
        "SELECT a.at, a.kind, a.length, a.text, c.platform, c.ref AS chat FROM activity a "
        "JOIN chats c ON c.id = a.chat WHERE a.community = ? AND a.member = ? ORDER BY a.at",
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
