"""Version counters: how one process learns that another changed what it keeps in memory.

Several bot processes may share one store (a PostgreSQL database, or one SQLite file). A
process caches a few things it reads on every event: the member behind an identity and
their tracking choice (`Store.member`), the dashboard's admin flags, each community's
matcher. Each cached kind has a counter row in ``versions``, bumped in the same transaction
as the change it announces; a process reads the counters at most every `POLL_SECONDS` (one
indexed read of a few rows) and drops a cache whose counter moved.

A counter in a table works the same on both engines, needs no listening connection, and
cannot miss a change: it commits with it (PostgreSQL's LISTEN/NOTIFY would need a
connection of its own per process and a re-read after every reconnect anyway).

Activity rows buffered from a stale member cache are checked once more when they commit
(`current_rows`): when the members counter moved since the rows were buffered, rows of
members who are gone or no longer tracked are dropped, inside the writing transaction. On
PostgreSQL the writer holds the counter row ``FOR SHARE`` while it writes, so a change
(which bumps the counter first) waits for the batch and then erases its rows, or the batch
waits for the change and leaves those rows out; on SQLite the write lock orders them.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from bot.storage.engine import PgConnection

if TYPE_CHECKING:
    from bot.storage.writer import Batch

POLL_SECONDS = 0.25  # longest a process goes on using a cache another process made stale
MEMBERS = "members"  # members' tracking, matching and naming choices, erasures, links
PROFILES = "profiles"  # matching profiles (saved, hidden, deleted)
ADMINS = "staff"  # the dashboard's admin flags (a name no test member has)
KINDS = (MEMBERS, PROFILES, ADMINS)
# The core's table, versioned as component "versions" in schema_version.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        # the members counter at each member's last tracking change (`mark_changed`)
        "ALTER TABLE members ADD COLUMN changed INTEGER NOT NULL DEFAULT 0",
    ]
]
Conn = sqlite3.Connection | PgConnection


def ensure(conn: Conn) -> None:
    """Make every counter row exist (on opening the store), so the writer can lock it."""
    with conn:
        conn.executemany(
            "INSERT OR IGNORE INTO versions (name, version) VALUES (?, 0)",
            [(kind,) for kind in KINDS],
        )


MARK_CHANGED = "UPDATE members SET changed = (SELECT version FROM versions WHERE name = 'members')"


def bump(conn: Conn, kind: str) -> None:
    """Announce a change of `kind`, inside the transaction that makes it.

    Call it first in that transaction: on PostgreSQL the counter row is the first lock
    taken, so a change and a writer holding the row never wait for each other in a cycle.
    """
    conn.execute(
        "INSERT INTO versions (name, version) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET version = versions.version + 1",
        (kind,),
    )


def read_all(conn: Conn) -> dict[str, int]:
    """Every counter, by kind."""
    return {str(k): int(v) for k, v in conn.execute("SELECT name, version FROM versions")}


def read(conn: Conn, kind: str) -> int:
    row = conn.execute("SELECT version FROM versions WHERE name = ?", (kind,)).fetchone()
    return int(row[0]) if row else 0


def mark_changed(conn: Conn, member: int) -> None:
    """After `bump`: the member's tracking changed now, so rows buffered for them under an
    older counter are left out (`current_rows`), even if they opt in again at once."""
    conn.execute(MARK_CHANGED + " WHERE id = ?", (member,))


def current_rows(conn: Conn, batch: Batch) -> None:
    """Inside the writer's transaction: drop rows of members whose tracking changed since
    the batch was buffered (erased, opted out, linked, even opted in again) or who are not
    tracked. Costs one read of one row unless the members counter moved."""
    if isinstance(conn, PgConnection):
        row = conn.execute(
            "SELECT version FROM versions WHERE name = ? FOR SHARE", (MEMBERS,)
        ).fetchone()
        now = int(row[0]) if row else 0
    else:
        now = read(conn, MEMBERS)
    if now == batch.version:
        return
    members = sorted(m for m in {r[1] for r in batch.rows} | set(batch.seen) if _fits(m))
    gone = set(members) - _tracked(conn, members, batch.version)  # unfit ids: dead letters
    if gone:
        batch.rows = [r for r in batch.rows if r[1] not in gone]
        batch.seen = {m: at for m, at in batch.seen.items() if m not in gone}
    batch.version = now


def _fits(value: Any) -> bool:
    return isinstance(value, int) and -(2**63) <= value < 2**63


def _tracked(conn: Conn, members: list[int], since: int) -> set[int]:
    """The members among `members` who are tracked and whose tracking did not change after
    counter `since` (-1: a batch of unknown age, tracking alone decides)."""
    found: set[int] = set()
    for start in range(0, len(members), 500):
        part = members[start : start + 500]
        marks = ",".join("?" * len(part))
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT id FROM members WHERE tracking = 1 AND (changed <= ? OR ? < 0) "
                f"AND id IN ({marks})",
                (since, since, *part),
            )
        )
    return found
