"""Every read the dashboard's pages make, as small functions over a reader connection.

Activity counts come from the daily rollups (`rollup.py`); when the insight issue's rollups
and period summaries land, only this module changes. Days are the community's local day
numbers (`(unix time + offset) // 86400`); ranges are inclusive. Optional features' tables
may be missing: their queries then return nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.engine import PgConnection

DAY = 86400
ROLE_ORDER = ("founder", "investor", "mentor", "partner", "talent")


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    joined_at: int
    tracking: bool
    named: bool

    @property
    def shown(self) -> bool:
        """Whether the member may appear by name (else only in counts)."""
        return self.tracking and self.named


def has_table(conn: sqlite3.Connection | PgConnection, name: str) -> bool:
    if isinstance(conn, PgConnection):
        return name in conn.engine.tables(conn)
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def database(conn: sqlite3.Connection | PgConnection) -> str:
    """Which database a connection reads (a key for caches of derived data)."""
    if isinstance(conn, PgConnection):
        return conn.engine.url
    return str(conn.execute("PRAGMA database_list").fetchone()[2])


def community(conn: sqlite3.Connection, community: int) -> tuple[str, str] | None:
    """(name, key) of a community."""
    row = conn.execute("SELECT name, key FROM communities WHERE id = ?", (community,)).fetchone()
    return None if row is None else (row[0], row[1])


# -- activity --------------------------------------------------------------------------------


def messages_by_day(conn: sqlite3.Connection, c: int, d0: int, d1: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT day, sum(messages) FROM dash_day_chat WHERE community = ? AND day BETWEEN ? AND ? "
        "GROUP BY day",
        (c, d0, d1),
    )
    return {int(d): int(n) for d, n in rows}


def active_by_day(conn: sqlite3.Connection, c: int, d0: int, d1: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT day, count(*) FROM dash_day_member WHERE community = ? AND day BETWEEN ? AND ? "
        "GROUP BY day",
        (c, d0, d1),
    )
    return {int(d): int(n) for d, n in rows}


def week_of(day: int) -> int:
    """The Monday-to-Sunday week a local day number falls in."""
    return (day + 3) // 7


def week_start(week: int) -> int:
    """The local day number of a week's Monday."""
    return week * 7 - 3


def active_by_week(conn: sqlite3.Connection, c: int, d0: int, d1: int) -> dict[int, int]:
    """Distinct active members per week (Monday to Sunday) of the weeks touching [d0, d1]."""
    rows = conn.execute(
        "SELECT week, count(*) FROM dash_member_week WHERE community = ? AND week BETWEEN ? AND ? "
        "GROUP BY week",
        (c, week_of(d0), week_of(d1)),
    )
    return {int(w): int(n) for w, n in rows}


def active_members(conn: sqlite3.Connection, c: int, d0: int, d1: int) -> int:
    row = conn.execute(
        "SELECT count(DISTINCT member) FROM dash_day_member "
        "WHERE community = ? AND day BETWEEN ? AND ?",
        (c, d0, d1),
    ).fetchone()
    return int(row[0])


def new_by_day(conn: sqlite3.Connection, c: int, d0: int, d1: int, offset: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT (joined_at + ?) / 86400 AS d, count(*) FROM members WHERE community = ? "
        "AND joined_at >= ? AND joined_at < ? GROUP BY d",
        (offset, c, d0 * DAY - offset, (d1 + 1) * DAY - offset),
    )
    return {int(d): int(n) for d, n in rows}


def by_chat(conn: sqlite3.Connection, c: int, d0: int, d1: int) -> list[tuple[str, str, int]]:
    """(channel, platform, messages), busiest first."""
    rows = conn.execute(
        "SELECT coalesce(nullif(ch.title, ''), ch.ref), ch.platform, sum(r.messages) AS n "
        "FROM dash_day_chat r JOIN chats ch ON ch.id = r.chat "
        "WHERE r.community = ? AND r.day BETWEEN ? AND ? GROUP BY ch.id ORDER BY n DESC, 1",
        (c, d0, d1),
    )
    return [(str(t), str(p), int(n)) for t, p, n in rows]


def cohorts(
    conn: sqlite3.Connection, c: int, d0: int, d1: int, offset: int
) -> dict[str, dict[str, int]]:
    """Newcomers by month joined → {"size": n, month: members active that month, …}."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    start, end = d0 * DAY - offset, (d1 + 1) * DAY - offset
    sizes = conn.execute(  # by local day; the months are named here (no shared date function)
        "SELECT (joined_at + ?) / 86400 AS d, count(*) FROM members "
        "WHERE community = ? AND joined_at >= ? AND joined_at < ? GROUP BY d",
        (offset, c, start, end),
    )
    for day, n in sizes:
        size = result[month_of(day)]
        size["size"] = size.get("size", 0) + int(n)
    active = conn.execute(
        "SELECT (m.joined_at + ?) / 86400 AS d, r.month, count(*) "
        "FROM members m JOIN dash_member_month r ON r.member = m.id AND r.community = m.community "
        "WHERE m.community = ? AND m.joined_at >= ? AND m.joined_at < ? GROUP BY d, r.month",
        (offset, c, start, end),
    )
    for day, month, n in active:
        cohort = result[month_of(day)]
        cohort[month] = cohort.get(month, 0) + int(n)
    return dict(result)


def month_of(day: int) -> str:
    """'2026-11' for a local day number."""
    return datetime.fromtimestamp(int(day) * DAY, UTC).strftime("%Y-%m")


def members(conn: sqlite3.Connection, c: int) -> list[Member]:
    rows = conn.execute(
        "SELECT id, name, joined_at, tracking, named FROM members WHERE community = ?", (c,)
    )
    return [Member(int(i), n, int(j), bool(t), bool(nm)) for i, n, j, t, nm in rows]


def member_weeks(
    conn: sqlite3.Connection, c: int, w0: int, w1: int, per: int
) -> dict[int, dict[int, int]]:
    """member → {window number: active days}, windows of `per` weeks counted from week `w0`."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    rows = conn.execute(
        "SELECT member, (week - ?) / ? AS w, sum(days) FROM dash_member_week "
        "WHERE community = ? AND week BETWEEN ? AND ? GROUP BY member, w",
        (w0, per, c, w0, w1),
    )
    for member, w, n in rows:
        result[int(member)][int(w)] = int(n)
    return dict(result)


# -- profiles and matching -------------------------------------------------------------------


def roles(conn: sqlite3.Connection, c: int) -> dict[int, str]:
    """Each member's main role (founder before investor before mentor…), from profiles."""
    if not has_table(conn, "profiles"):
        return {}
    found = {}
    for member, text in conn.execute(
        "SELECT member, roles FROM profiles WHERE community = ?", (c,)
    ):
        own = set(json.loads(text or "[]"))
        main = next((r for r in ROLE_ORDER if r in own), next(iter(sorted(own)), None))
        if main:
            found[int(member)] = main
    return found


def requests_received(
    conn: sqlite3.Connection, c: int, t0: int, t1: int
) -> dict[int, tuple[int, int]]:
    """member → (intro requests received, answered) in [t0, t1)."""
    if not has_table(conn, "intro_requests"):
        return {}
    rows = conn.execute(
        "SELECT to_member, count(*), sum(CASE WHEN status = 'pending' THEN 0 ELSE 1 END) "
        "FROM intro_requests "
        "WHERE community = ? AND created_at >= ? AND created_at < ? GROUP BY to_member",
        (c, t0, t1),
    )
    return {int(m): (int(n), int(a or 0)) for m, n, a in rows}


def intro_requests(
    conn: sqlite3.Connection, c: int, t0: int, t1: int
) -> list[tuple[int, int, str]]:
    """(from, to, status) of intro requests made in [t0, t1)."""
    if not has_table(conn, "intro_requests"):
        return []
    rows = conn.execute(
        "SELECT from_member, to_member, status FROM intro_requests "
        "WHERE community = ? AND created_at >= ? AND created_at < ?",
        (c, t0, t1),
    )
    return [(int(a), int(b), str(s)) for a, b, s in rows]


def proposed_pairs(
    conn: sqlite3.Connection, c: int, t0: int, t1: int
) -> list[tuple[int, int, str]]:
    """(a, b, ref) of pairs proposed by rounds or suggestions in [t0, t1) (match history)."""
    if not has_table(conn, "match_history"):
        return []
    rows = conn.execute(
        "SELECT member_a, member_b, ref FROM match_history "
        "WHERE community = ? AND at >= ? AND at < ?",
        (c, t0, t1),
    )
    return [(int(a), int(b), str(r)) for a, b, r in rows]


def outcome_pairs(
    conn: sqlite3.Connection, c: int, t0: int, t1: int
) -> list[tuple[int, int, bool, bool]]:
    """(member, other, met, useful) of follow-up answers for pairs made in [t0, t1)."""
    if not has_table(conn, "match_outcomes"):
        return []
    rows = conn.execute(
        "SELECT member, other_member, coalesce(met, 0), coalesce(useful, 0) FROM match_outcomes "
        "WHERE community = ? AND created_at >= ? AND created_at < ? AND answered_at IS NOT NULL",
        (c, t0, t1),
    )
    return [(int(a), int(b), bool(m), bool(u)) for a, b, m, u in rows]


def rounds(conn: sqlite3.Connection, c: int, t0: int, t1: int) -> list[tuple[int, int, int]]:
    """(at, participants, groups) of intro rounds held in [t0, t1)."""
    if not has_table(conn, "rounds"):
        return []
    rows = conn.execute(
        "SELECT at, participants, groups_made FROM rounds WHERE community = ? AND at >= ? "
        "AND at < ? ORDER BY at",
        (c, t0, t1),
    )
    return [(int(a), int(p), int(g)) for a, p, g in rows]


# -- topics ----------------------------------------------------------------------------------


def text_sample(
    conn: sqlite3.Connection, c: int, t0: int, t1: int, cap: int, expected: int
) -> list[tuple[int, int, str]]:
    """(at, member, text) of at most about `cap` stored messages spread evenly over [t0, t1).

    `expected` is how many messages the range holds (from the rollups). The insight issue's
    period summaries replace this; until then topics are read from a bounded sample (every
    k-th message id), so the page costs about the same on any community.
    """
    step = max(1, -(-expected // cap))
    rows = conn.execute(
        "SELECT at, member, text FROM activity WHERE community = ? AND at >= ? AND at < ? "
        "AND id % ? = 0 AND kind = 0 AND text IS NOT NULL",
        (c, t0, t1, step),
    )
    return [(int(a), int(m), str(t)) for a, m, t in rows]


def member_words(conn: sqlite3.Connection, c: int) -> list[str]:
    """Every member name of the community (their words never name a topic)."""
    return [r[0] for r in conn.execute("SELECT name FROM members WHERE community = ?", (c,))]


# -- events ----------------------------------------------------------------------------------


def events(conn: sqlite3.Connection, c: int, t0: int, t1: int) -> list[dict[str, Any]]:
    """Events starting in [t0, t1) with their RSVP and check-in counts."""
    if not has_table(conn, "events"):
        return []
    rows = conn.execute(
        "SELECT e.id, e.title, e.starts_at, e.place, e.cancelled_at, "
        "(SELECT count(*) FROM event_rsvps r WHERE r.event = e.id), "
        "(SELECT count(*) FROM event_checkins k WHERE k.event = e.id), "
        "(SELECT count(*) FROM event_rsvps r WHERE r.event = e.id AND NOT EXISTS "
        " (SELECT 1 FROM event_checkins k WHERE k.event = e.id AND k.member = r.member)) "
        "FROM events e WHERE e.community = ? AND e.starts_at >= ? AND e.starts_at < ? "
        "ORDER BY e.starts_at",
        (c, t0, t1),
    )
    keys = ("id", "title", "starts_at", "place", "cancelled_at", "rsvps", "checkins", "no_shows")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def event(conn: sqlite3.Connection, c: int, event_id: int) -> dict[str, Any] | None:
    """One event of this community (None for an event of another community)."""
    if not has_table(conn, "events"):
        return None
    found = [e for e in events(conn, c, 0, 2**62) if e["id"] == event_id]
    return found[0] if found else None


def event_people(conn: sqlite3.Connection, event_id: int) -> tuple[set[int], set[int]]:
    """(members who said they'd come, members who checked in)."""
    rsvps = {
        int(r[0])
        for r in conn.execute("SELECT member FROM event_rsvps WHERE event = ?", (event_id,))
    }
    came = {
        int(r[0])
        for r in conn.execute("SELECT member FROM event_checkins WHERE event = ?", (event_id,))
    }
    return rsvps, came


def pairs_made(conn: sqlite3.Connection, c: int, since: int) -> list[tuple[int, int, int]]:
    """(low, high, when) of pairs introduced (accepted intro) or paired by a round since `since`."""
    found: list[tuple[int, int, int]] = []
    if has_table(conn, "intro_requests"):
        for a, b, at in conn.execute(
            "SELECT from_member, to_member, coalesce(decided_at, created_at) FROM intro_requests "
            "WHERE community = ? AND status = 'accepted' AND coalesce(decided_at, created_at) >= ?",
            (c, since),
        ):
            found.append((min(a, b), max(a, b), int(at)))
    if has_table(conn, "match_history"):
        for a, b, at in conn.execute(
            "SELECT member_a, member_b, at FROM match_history WHERE community = ? AND at >= ?",
            (c, since),
        ):
            found.append((min(a, b), max(a, b), int(at)))
    return found


# -- digests ---------------------------------------------------------------------------------


def digest_runs(
    conn: sqlite3.Connection, c: int, t0: int, t1: int
) -> list[tuple[str, str, str, int, int | None]]:
    """(period, status, target, claimed at, finished at) of scheduled digests, newest first."""
    if not has_table(conn, "scheduled_runs"):
        return []
    rows = conn.execute(
        "SELECT period, status, target, claimed_at, finished_at FROM scheduled_runs "
        "WHERE community = ? AND kind = 'digest' AND claimed_at >= ? AND claimed_at < ? "
        "ORDER BY claimed_at DESC",
        (c, t0, t1),
    )
    return [(str(p), str(s), str(t), int(a), f) for p, s, t, a, f in rows]
