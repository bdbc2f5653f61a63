"""Community events in the store: events, RSVPs, check-ins, reminders sent, and the member's
part of the privacy contract. Every query is scoped by community.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.store import Store

HOUR = 3600
DAY = 24 * HOUR
CHECKIN_OPENS = HOUR  # check-in opens this long before the start...
CHECKIN_CLOSES = 6 * HOUR  # ...and closes this long after it
_CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, title TEXT NOT NULL,
            starts_at INTEGER NOT NULL, place TEXT, code TEXT NOT NULL,
            creator_member INTEGER, created_at INTEGER NOT NULL, cancelled_at INTEGER)""",
        "CREATE INDEX events_upcoming ON events (community, starts_at)",
        """CREATE TABLE event_rsvps (
            event INTEGER NOT NULL, community INTEGER NOT NULL, member INTEGER NOT NULL,
            at INTEGER NOT NULL, PRIMARY KEY (event, member))""",
        """CREATE TABLE event_checkins (
            event INTEGER NOT NULL, community INTEGER NOT NULL, member INTEGER NOT NULL,
            at INTEGER NOT NULL, PRIMARY KEY (event, member))""",
        """CREATE TABLE event_reminders_sent (
            event INTEGER NOT NULL, community INTEGER NOT NULL, member INTEGER NOT NULL,
            kind TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (event, member, kind))""",
    ],
    # 2: wrong check-in codes, counted in the store so every process throttles them together
    [
        """CREATE TABLE event_wrong_codes (
            event INTEGER NOT NULL, community INTEGER NOT NULL, member INTEGER NOT NULL,
            at INTEGER NOT NULL)""",
        "CREATE INDEX event_wrong_codes_member ON event_wrong_codes (event, member, at)",
    ],
]
MEMBER_TABLES = ("event_rsvps", "event_checkins", "event_reminders_sent", "event_wrong_codes")


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a community; times are UTC timestamps."""

    id: int
    community: int
    title: str
    starts_at: int
    place: str | None
    code: str
    creator: int | None
    cancelled: bool

    def checkin_open(self, now: int) -> bool:
        return self.starts_at - CHECKIN_OPENS <= now <= self.starts_at + CHECKIN_CLOSES


def _event(row: dict[str, Any]) -> Event:
    return Event(
        int(row["id"]), int(row["community"]), row["title"], int(row["starts_at"]),
        row["place"], row["code"], row["creator_member"], row["cancelled_at"] is not None,
    )  # fmt: skip


def new_code() -> str:
    """A short check-in code that is easy to read out at the door."""
    return "".join(secrets.choice(_CODE_LETTERS) for _ in range(6))


def create_event(
    store: Store, community: int, title: str, starts_at: int, creator: int, now: int
) -> Event:
    """Store a new event with a fresh check-in code."""
    code = new_code()
    with store.transaction() as c:
        cur = c.execute(
            "INSERT INTO events (community, title, starts_at, code, creator_member, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (community, title, starts_at, code, creator, now),
        )
    return Event(int(cur.lastrowid or 0), community, title, starts_at, None, code, creator, False)


def get_event(store: Store, community: int, event_id: int) -> Event | None:
    """The community's event with this number, or None."""
    rows = store.rows("SELECT * FROM events WHERE community = ? AND id = ?", (community, event_id))
    return _event(rows[0]) if rows else None


def upcoming(store: Store, community: int, start: int, end: int, limit: int = 10) -> list[Event]:
    """Events that are not cancelled and start in [start, end), soonest first."""
    rows = store.rows(
        "SELECT * FROM events WHERE community = ? AND cancelled_at IS NULL "
        "AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id LIMIT ?",
        (community, start, end, limit),
    )
    return [_event(r) for r in rows]


def set_place(store: Store, event: Event, place: str) -> None:
    """Set where the event happens (an address or a link)."""
    with store.transaction() as c:
        c.execute("UPDATE events SET place = ? WHERE id = ?", (place, event.id))


def cancel_event(store: Store, event: Event, now: int) -> None:
    """Mark the event cancelled; its RSVPs stay for the record but get no reminders."""
    with store.transaction() as c:
        c.execute("UPDATE events SET cancelled_at = ? WHERE id = ?", (now, event.id))


def _insert(store: Store, table: str, event: Event, member: int, now: int) -> bool:
    with store.transaction() as c:
        cur = c.execute(
            f"INSERT OR IGNORE INTO {table} (event, community, member, at) VALUES (?, ?, ?, ?)",
            (event.id, event.community, member, now),
        )
    return cur.rowcount > 0


def add_rsvp(store: Store, event: Event, member: int, now: int) -> bool:
    """RSVP a member; False if they already had."""
    return _insert(store, "event_rsvps", event, member, now)


def remove_rsvp(store: Store, event: Event, member: int) -> bool:
    """Withdraw a member's RSVP; False if there was none."""
    with store.transaction() as c:
        cur = c.execute(
            "DELETE FROM event_rsvps WHERE event = ? AND member = ?", (event.id, member)
        )
    return cur.rowcount > 0


def check_in(store: Store, event: Event, member: int, now: int) -> bool:
    """Record that a member attended; False if they were already checked in."""
    return _insert(store, "event_checkins", event, member, now)


def going(store: Store, event_id: int) -> list[int]:
    """Members who RSVP'd, in the order they did."""
    rows = store.rows(
        "SELECT member FROM event_rsvps WHERE event = ? ORDER BY at, member", (event_id,)
    )
    return [int(r["member"]) for r in rows]


def checked_in(store: Store, event_id: int) -> list[int]:
    """Members who checked in, in the order they did."""
    rows = store.rows("SELECT member FROM event_checkins WHERE event = ? ORDER BY at", (event_id,))
    return [int(r["member"]) for r in rows]


def attendees(store: Store, event_id: int) -> set[int]:
    """Everyone who RSVP'd or checked in."""
    return set(going(store, event_id)) | set(checked_in(store, event_id))


def rsvp_counts(store: Store, event_ids: list[int]) -> dict[int, int]:
    """RSVPs per event id (events without any are left out)."""
    if not event_ids:
        return {}
    marks = ",".join("?" * len(event_ids))
    rows = store.rows(
        f"SELECT event, count(*) AS n FROM event_rsvps WHERE event IN ({marks}) GROUP BY event",
        tuple(event_ids),
    )
    return {int(r["event"]): int(r["n"]) for r in rows}


def wrong_codes(store: Store, event: Event, member: int, since: int) -> list[int]:
    """When the member typed a wrong check-in code for the event since `since`, oldest first."""
    rows = store.rows(
        "SELECT at FROM event_wrong_codes WHERE event = ? AND member = ? AND at > ? ORDER BY at",
        (event.id, member, since),
    )
    return [int(r["at"]) for r in rows]


def add_wrong_code(store: Store, event: Event, member: int, now: int, window: int) -> None:
    """Count one wrong check-in code (codes older than `window` are dropped on the way)."""
    with store.transaction() as c:
        c.execute("DELETE FROM event_wrong_codes WHERE at <= ?", (now - window,))
        c.execute(
            "INSERT INTO event_wrong_codes (event, community, member, at) VALUES (?, ?, ?, ?)",
            (event.id, event.community, member, now),
        )


def due_reminders(store: Store, now: int) -> list[tuple[Event, int]]:
    """(event, member) for every RSVP to an event that is live and starts within a day."""
    rows = store.rows(
        "SELECT e.*, r.member AS rsvp_member FROM events e JOIN event_rsvps r ON r.event = e.id "
        "WHERE e.cancelled_at IS NULL AND e.starts_at > ? AND e.starts_at <= ? "
        "ORDER BY e.starts_at, r.at",
        (now, now + DAY),
    )
    return [(_event(r), int(r["rsvp_member"])) for r in rows]


def claim_reminder(store: Store, event: Event, member: int, kind: str, now: int) -> bool:
    """Mark a reminder as sent before sending it: True only the first time (at most once)."""
    with store.transaction() as c:
        cur = c.execute(
            "INSERT OR IGNORE INTO event_reminders_sent (event, community, member, kind, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (event.id, event.community, member, kind, now),
        )
    return cur.rowcount > 0


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def export_events(store: Store, community: int, member: int) -> dict[str, Any]:
    """The member's RSVPs, check-ins and the events they created."""
    out: dict[str, Any] = {}
    for key, table in (("event_rsvps", "event_rsvps"), ("event_checkins", "event_checkins")):
        rows = store.rows(
            f"SELECT e.id AS event, e.title, e.starts_at, x.at FROM {table} x "
            "JOIN events e ON e.id = x.event WHERE x.community = ? AND x.member = ? ORDER BY x.at",
            (community, member),
        )
        out[key] = [{**r, "starts_at": _iso(r["starts_at"]), "at": _iso(r["at"])} for r in rows]
    created = store.rows(
        "SELECT id AS event, title, starts_at, place, created_at, cancelled_at FROM events "
        "WHERE community = ? AND creator_member = ? ORDER BY created_at",
        (community, member),
    )
    out["events_created"] = [
        {**r, "starts_at": _iso(r["starts_at"]), "created_at": _iso(r["created_at"]),
         "cancelled_at": _iso(r["cancelled_at"]) if r["cancelled_at"] else None}
        for r in created
    ]  # fmt: skip
    out["event_wrong_codes"] = [
        {**r, "at": _iso(r["at"])}
        for r in store.rows(
            "SELECT event, at FROM event_wrong_codes WHERE community = ? AND member = ? "
            "ORDER BY at",
            (community, member),
        )
    ]
    out["event_reminders_sent"] = [
        {**r, "at": _iso(r["at"])}
        for r in store.rows(
            "SELECT event, kind, at FROM event_reminders_sent WHERE community = ? AND member = ? "
            "ORDER BY at",
            (community, member),
        )
    ]
    return out


def delete_events(store: Store, community: int, member: int) -> None:
    """Drop the member's RSVPs, check-ins and reminders; their events stay, unattributed."""
    with store.transaction() as c:
        for table in MEMBER_TABLES:
            c.execute(
                f"DELETE FROM {table} WHERE community = ? AND member = ?", (community, member)
            )
        c.execute(
            "UPDATE events SET creator_member = NULL WHERE community = ? AND creator_member = ?",
            (community, member),
        )
