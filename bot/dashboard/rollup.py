"""Daily rollups of the activity table for the dashboard, brought forward from a watermark.

Until the insight issue's rollups maintained on write land, the dashboard keeps its own:
messages per (community, local day, chat) and per (community, local day, member). A refresh
aggregates only the activity rows added since the last one (`id` above the watermark), in
one write transaction, so two refreshes never count a row twice. A member's rows leave
with their data (`bot.dashboard.store.delete_member`); channel totals are counts and stay.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = 86400


def utc_offset(timezone: str, at: datetime | None = None) -> int:
    """Seconds to add to a UTC timestamp to get local time in `timezone` (now, or at `at`)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    offset = (at or datetime.now(UTC)).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def community_offset(conn: sqlite3.Connection, community: int, default_tz: str = "UTC") -> int:
    row = conn.execute(
        "SELECT value FROM settings WHERE community = ? AND key = 'timezone'", (community,)
    ).fetchone()
    return utc_offset(json.loads(row[0]) if row else default_tz)


def refresh(conn: sqlite3.Connection, default_tz: str = "UTC") -> int:
    """Fold the activity rows added since the last refresh into the rollups; returns how many."""
    last, top = _watermarks(conn)
    if last == top:
        return 0  # nothing new: no write lock taken
    conn.execute("BEGIN IMMEDIATE")
    try:
        last, top = _watermarks(conn)  # again, under the lock: another refresh may have run
        if top <= last:
            if top < last:  # the newest rows were deleted: new ids start lower again
                conn.execute("UPDATE dash_rollup_state SET last_id = ? WHERE id = 1", (top,))
            conn.execute("COMMIT")
            return 0
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS dash_offsets (community INTEGER, offset INTEGER)"
        )
        conn.execute("DELETE FROM dash_offsets")
        communities = [int(r[0]) for r in conn.execute("SELECT id FROM communities")]
        conn.executemany(
            "INSERT INTO dash_offsets VALUES (?, ?)",
            [(c, community_offset(conn, c, default_tz)) for c in communities],
        )
        source = (
            "FROM activity a JOIN dash_offsets o ON o.community = a.community "
            "WHERE a.id > ? AND a.id <= ? AND a.kind = 0 "
        )
        conn.execute(
            "INSERT INTO dash_day_chat (community, day, chat, messages) "
            "SELECT a.community, (a.at + o.offset) / 86400, a.chat, count(*) "
            + source
            + "GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET messages = messages + excluded.messages",
            (last, top),
        )
        conn.execute(
            "INSERT INTO dash_day_member (community, day, member, messages) "
            "SELECT a.community, (a.at + o.offset) / 86400, a.member, count(*) "
            + source
            + "GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET messages = messages + excluded.messages",
            (last, top),
        )
        conn.execute(
            "INSERT INTO dash_rollup_state (id, last_id) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id",
            (top,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return top - last


def _watermarks(conn: sqlite3.Connection) -> tuple[int, int]:
    """(last activity id folded in, newest activity id)."""
    row = conn.execute("SELECT last_id FROM dash_rollup_state WHERE id = 1").fetchone()
    top = conn.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0]
    return (int(row[0]) if row else 0), int(top)
