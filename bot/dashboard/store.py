"""The dashboard's own tables: its signing secret, login links, sessions, admin status, rollups.

This module is the only code that reads or writes them.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.storage import versions

if TYPE_CHECKING:
    from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    # 1: the signing secret, links, sessions, admin status, and the rollups
    [
        """CREATE TABLE dashboard_secret (
            id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)""",
        """CREATE TABLE dashboard_links (
            nonce TEXT PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, used_at INTEGER)""",
        """CREATE TABLE dashboard_sessions (
            digest TEXT PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
            csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)""",
        # Admin status as last seen on the platforms: a session ends when it turns 0.
        """CREATE TABLE dashboard_admins (
            community INTEGER NOT NULL, member INTEGER NOT NULL, admin INTEGER NOT NULL,
            seen_at INTEGER NOT NULL, PRIMARY KEY (community, member))""",
        # Daily rollups of the activity table, brought forward from a watermark (rollup.py).
        """CREATE TABLE dash_day_chat (
            community INTEGER NOT NULL, day INTEGER NOT NULL, chat INTEGER NOT NULL,
            messages INTEGER NOT NULL, PRIMARY KEY (community, day, chat)) WITHOUT ROWID""",
        """CREATE TABLE dash_day_member (
            community INTEGER NOT NULL, day INTEGER NOT NULL, member INTEGER NOT NULL,
            messages INTEGER NOT NULL, PRIMARY KEY (community, day, member)) WITHOUT ROWID""",
        "CREATE INDEX dash_day_member_member ON dash_day_member (member, day)",
        # Weeks run Monday to Sunday: week = (day + 3) // 7 (day 0, 1970-01-01, a Thursday).
        """CREATE TABLE dash_member_week (
            community INTEGER NOT NULL, week INTEGER NOT NULL, member INTEGER NOT NULL,
            PRIMARY KEY (community, week, member)) WITHOUT ROWID""",
        """CREATE TABLE dash_member_month (
            community INTEGER NOT NULL, month TEXT NOT NULL, member INTEGER NOT NULL,
            PRIMARY KEY (community, month, member)) WITHOUT ROWID""",
        """CREATE TABLE dash_rollup_state (
            id INTEGER PRIMARY KEY CHECK (id = 1), last_id INTEGER NOT NULL)""",
    ],
    # 2: active days per member and week (the engagement levels' unit); the rollups are
    # folded again from the start so every week's count comes from its day rows.
    [
        "DROP TABLE dash_member_week",
        """CREATE TABLE dash_member_week (
            community INTEGER NOT NULL, week INTEGER NOT NULL, member INTEGER NOT NULL,
            days INTEGER NOT NULL, PRIMARY KEY (community, week, member)) WITHOUT ROWID""",
        "DELETE FROM dash_day_chat",
        "DELETE FROM dash_day_member",
        "DELETE FROM dash_member_month",
        "DELETE FROM dash_rollup_state",
    ],
]

MEMBER_COLUMNS = [
    ("dashboard_links", "member"),
    ("dashboard_sessions", "member"),
    ("dashboard_admins", "member"),
    ("dash_day_member", "member"),
    ("dash_member_week", "member"),
    ("dash_member_month", "member"),
]


def secret(store: Store) -> bytes:
    """The signing key, created on first use and kept in the database."""
    row = store.conn.execute("SELECT key FROM dashboard_secret WHERE id = 1").fetchone()
    if row is None:
        with store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO dashboard_secret (id, key) VALUES (1, ?)",
                (secrets.token_bytes(32),),
            )
        row = store.conn.execute("SELECT key FROM dashboard_secret WHERE id = 1").fetchone()
    return bytes(row[0])


def add_link(store: Store, nonce: str, community: int, member: int, expires_at: int) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO dashboard_links (nonce, community, member, expires_at) VALUES (?, ?, ?, ?)",
            (nonce, community, member, expires_at),
        )


def use_link(store: Store, nonce: str, community: int, member: int, now: int) -> bool:
    """Mark a link used; False if it does not exist, expired, or was used before."""
    with store.transaction() as conn:
        cur = conn.execute(
            "UPDATE dashboard_links SET used_at = ? WHERE nonce = ? AND community = ? "
            "AND member = ? AND used_at IS NULL AND expires_at > ?",
            (now, nonce, community, member, now),
        )
        conn.execute("DELETE FROM dashboard_links WHERE expires_at < ?", (now - 86400,))
    return cur.rowcount == 1


def add_session(
    store: Store,
    digest: str,
    community: int,
    member: int,
    csrf: str,
    now: int,
    expires_at: int,
) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?", (now,))
        conn.execute(
            "INSERT INTO dashboard_sessions (digest, community, member, csrf, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (digest, community, member, csrf, now, expires_at),
        )


def session(store: Store, digest: str, now: int) -> tuple[int, int, str] | None:
    """(community, member, csrf) of a live session."""
    row = store.conn.execute(
        "SELECT community, member, csrf FROM dashboard_sessions WHERE digest = ? AND expires_at > ?",
        (digest, now),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def end_session(store: Store, digest: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM dashboard_sessions WHERE digest = ?", (digest,))


def set_admin(store: Store, community: int, member: int, admin: bool, at: int) -> None:
    """Record an admin flag; every process reloads its copy (`bot.storage.versions`)."""
    with store.transaction() as conn:
        store.bump(conn, versions.ADMINS)
        conn.execute(
            "INSERT INTO dashboard_admins (community, member, admin, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (community, member) DO UPDATE SET admin = excluded.admin, "
            "seen_at = excluded.seen_at",
            (community, member, int(admin), at),
        )
        if not admin:
            conn.execute(
                "DELETE FROM dashboard_sessions WHERE community = ? AND member = ?",
                (community, member),
            )


def is_admin(store: Store, community: int, member: int) -> bool:
    row = store.conn.execute(
        "SELECT admin FROM dashboard_admins WHERE community = ? AND member = ?",
        (community, member),
    ).fetchone()
    return bool(row and row[0])


def admins(store: Store) -> dict[tuple[int, int], bool]:
    """Every recorded (community, member) → admin flag (the listener's cache)."""
    rows = store.conn.execute("SELECT community, member, admin FROM dashboard_admins")
    return {(int(c), int(m)): bool(a) for c, m, a in rows}


def delete_member(store: Store, community: int, member: int) -> None:
    """Erase a member from every dashboard table (their part of /forget)."""
    with store.transaction() as conn:
        for table, column in MEMBER_COLUMNS:
            conn.execute(
                f"DELETE FROM {table} WHERE community = ? AND {column} = ?", (community, member)
            )
