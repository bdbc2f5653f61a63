"""The intro rounds' tables: who takes part, and the rounds held. The only code touching them."""

from __future__ import annotations

from typing import Any

from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE round_members (
            community INTEGER NOT NULL, member INTEGER NOT NULL, joined_at INTEGER NOT NULL,
            PRIMARY KEY (community, member))""",
        """CREATE TABLE rounds (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, at INTEGER NOT NULL,
            participants INTEGER NOT NULL, groups_made INTEGER NOT NULL)""",
    ]
]


def participants(store: Store, community: int) -> list[int]:
    """The members who joined the community's intro rounds, by id."""
    rows = store.rows(
        "SELECT member FROM round_members WHERE community = ? ORDER BY member", (community,)
    )
    return [int(r["member"]) for r in rows]


def join_rounds(store: Store, community: int, member: int, at: int) -> None:
    """Opt a member in to intro rounds (idempotent)."""
    with store.transaction() as c:
        c.execute(
            "INSERT OR IGNORE INTO round_members (community, member, joined_at) VALUES (?, ?, ?)",
            (community, member, at),
        )


def leave_rounds(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        c.execute(
            "DELETE FROM round_members WHERE community = ? AND member = ?", (community, member)
        )


def record_round(store: Store, community: int, at: int, participants: int, groups: int) -> int:
    """Record a round held; returns its id."""
    with store.transaction() as c:
        cur = c.execute(
            "INSERT INTO rounds (community, at, participants, groups_made) VALUES (?, ?, ?, ?)",
            (community, at, participants, groups),
        )
    return int(cur.lastrowid or 0)


def rounds_held(store: Store, community: int | None) -> int:
    """How many rounds were held (in every community if None)."""
    if community is None:
        return int(store.scalar("SELECT count(*) FROM rounds") or 0)
    return int(store.scalar("SELECT count(*) FROM rounds WHERE community = ?", (community,)) or 0)


def export_rounds(store: Store, community: int, member: int) -> dict[str, Any]:
    rows = store.rows(
        "SELECT joined_at FROM round_members WHERE community = ? AND member = ?",
        (community, member),
    )
    return {
        "intro_rounds": {"joined": bool(rows), "joined_at": rows[0]["joined_at"] if rows else None}
    }


def delete_rounds(store: Store, community: int, member: int) -> None:
    leave_rounds(store, community, member)
