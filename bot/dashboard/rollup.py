"""Daily rollups of the activity table for the dashboard, brought forward from a watermark.

Until the insight issue's rollups maintained on write land, the dashboard keeps its own:
messages per (community, local day, chat); which members were active per local day and
month; and on how many days of each week (Monday to Sunday) each member was active. A refresh folds the activity rows added since the last
one (`id` above the watermark) in short transactions of `CHUNK` rows, each moving the
watermark with its counts, so no row is ever counted twice and the bot's writes never wait
long. A member's rows leave with their data (`bot.dashboard.store.delete_member`); channel
totals are counts and stay.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.dashboard.queries import month_of

DAY = 86400
CHUNK = 20_000
_FOLD = (
    # (table, the columns it gets from each activity row `a` joined to its offset `o`)
    (
        "INSERT INTO dash_day_chat (community, day, chat, messages) "
        "SELECT a.community, (a.at + o.shift) / 86400, a.chat, count(*) {src} GROUP BY 1, 2, 3 "
        "ON CONFLICT (community, day, chat) DO UPDATE "
        "SET messages = dash_day_chat.messages + excluded.messages"
    ),
    (
        "INSERT INTO dash_day_member (community, day, member, messages) "
        "SELECT a.community, (a.at + o.shift) / 86400, a.member, count(*) {src} GROUP BY 1, 2, 3 "
        "ON CONFLICT (community, day, member) DO UPDATE "
        "SET messages = dash_day_member.messages + excluded.messages"
    ),
    "DELETE FROM dash_touched",
    (
        "INSERT OR IGNORE INTO dash_touched (community, week, member) "
        "SELECT DISTINCT a.community, ((a.at + o.shift) / 86400 + 3) / 7, a.member {src}"
    ),
    # Active days per member and week, recounted from the day rows for the weeks touched.
    (
        "INSERT INTO dash_member_week (community, week, member, days) "
        "SELECT t.community, t.week, t.member, (SELECT count(*) FROM dash_day_member d "
        "WHERE d.member = t.member AND d.community = t.community "
        "AND d.day BETWEEN t.week * 7 - 3 AND t.week * 7 + 3) FROM dash_touched t WHERE true "
        "ON CONFLICT (community, week, member) DO UPDATE SET days = excluded.days"
    ),
)
# Months are named in Python ('2026-11'): the two engines share no date function.
_DAYS = "SELECT DISTINCT a.community, (a.at + o.shift) / 86400, a.member {src}"
_SOURCE = (
    "FROM activity a JOIN dash_offsets o ON o.community = a.community "
    "WHERE a.id > ? AND a.id <= ? AND a.kind = 0"
)
_MONTH = "INSERT OR IGNORE INTO dash_member_month (community, month, member) VALUES (?, ?, ?)"


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


def backlog(conn: sqlite3.Connection) -> int:
    """Activity ids not folded in yet (an upper bound on rows: ids can have gaps)."""
    last, top = _watermarks(conn)
    return max(0, top - last)


def refresh(conn: sqlite3.Connection, default_tz: str = "UTC", max_rows: int | None = None) -> int:
    """Fold activity rows added since the last refresh (at most about `max_rows` ids);
    returns how many ids were folded."""
    folded = 0
    conn.execute("PRAGMA busy_timeout = 30000")
    while max_rows is None or folded < max_rows:
        last, top = _watermarks(conn)
        if last == top:
            break  # nothing new: no write lock taken
        step = CHUNK if max_rows is None else min(CHUNK, max_rows - folded)
        done = _fold(conn, default_tz, step)
        if done == 0:
            break
        folded += done
    return folded


def _fold(conn: sqlite3.Connection, default_tz: str, step: int) -> int:
    """One transaction: fold ids (last, last + step] and move the watermark past them."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # PostgreSQL: lock the watermark's row until the commit, so two readers never fold
        # the same ids (on SQLite, BEGIN IMMEDIATE already holds the write lock)
        conn.execute("INSERT OR IGNORE INTO dash_rollup_state (id, last_id) VALUES (1, 0)")
        conn.execute("UPDATE dash_rollup_state SET last_id = last_id WHERE id = 1")
        last, top = _watermarks(conn)  # again, under the lock: another refresh may have run
        if top < last:  # the newest rows were deleted: new ids start lower again
            _set_watermark(conn, top)
            conn.execute("COMMIT")
            return 0
        upto = min(top, last + step)
        if upto > last:
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS dash_offsets (community INTEGER NOT NULL, "
                "shift INTEGER NOT NULL)"
            )
            conn.execute("DELETE FROM dash_offsets")
            conn.executemany(
                "INSERT INTO dash_offsets VALUES (?, ?)",
                [
                    (int(c), community_offset(conn, int(c), default_tz))
                    for (c,) in conn.execute("SELECT id FROM communities").fetchall()
                ],
            )
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS dash_touched (community INTEGER, week INTEGER, "
                "member INTEGER, PRIMARY KEY (community, week, member))"
            )
            for sql in _FOLD:
                params = (last, upto) if "{src}" in sql else ()
                conn.execute(sql.format(src=_SOURCE), params)
            days = conn.execute(_DAYS.format(src=_SOURCE), (last, upto)).fetchall()
            conn.executemany(_MONTH, sorted({(c, month_of(d), m) for c, d, m in days}))
            _set_watermark(conn, upto)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return upto - last


def _set_watermark(conn: sqlite3.Connection, last_id: int) -> None:
    conn.execute(
        "INSERT INTO dash_rollup_state (id, last_id) VALUES (1, ?) "
        "ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id",
        (last_id,),
    )


def _watermarks(conn: sqlite3.Connection) -> tuple[int, int]:
    """(last activity id folded in, newest activity id)."""
    row = conn.execute("SELECT last_id FROM dash_rollup_state WHERE id = 1").fetchone()
    top = conn.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0]
    return (int(row[0]) if row else 0), int(top)
