"""The store: one SQLite file (WAL) or a PostgreSQL database, forward migrations.

The engine (`bot.storage.engine`) is chosen by ``[store] url``; the SQL here and in the
feature store modules is written once, in SQLite's dialect, and translated for PostgreSQL
in one place.

The hot path (activity rows) is buffered in memory and committed in batches by one writer
thread (`bot.storage.writer`), the only place activity is written: when the buffer fills, at
least once a second, before reads (which wait for it unless another process holds the lock)
and on close. Rows leave memory only when their transaction commits; a database locked by
another process is retried with backoff and never blocks the event loop. The loop's own
connection waits at most `LOOP_BUSY_TIMEOUT` for a lock; a feature write that cannot get it
raises `StoreBusy`, which the core turns into one sentence ("try again in a moment").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bot.storage import rollups, versions
from bot.storage.engine import Engine, PgConnection, StoreError
from bot.storage.migrations import CORE_MIGRATIONS
from bot.storage.writer import (
    DEAD_LETTER_MIGRATIONS,
    INSERT_ACTIVITY,
    PATIENT_TIMEOUT,
    WRITER_BUSY_TIMEOUT,
    Batch,
    Queue,
    StoreBusy,
    Writer,
    immediate,
)

__all__ = ["ACTIVITY_KINDS", "KIND_NAMES", "MemberRow", "Store", "StoreBusy", "StoreError"]

T = TypeVar("T")
log = logging.getLogger("convene.store")
ACTIVITY_KINDS = {"message": 0, "join": 1, "leave": 2, "reaction": 3, "attend": 4}
KIND_NAMES = {v: k for k, v in ACTIVITY_KINDS.items()}
LOOP_BUSY_TIMEOUT = 0.05  # seconds a write on the loop's connection waits for another process


@dataclass(slots=True)
class MemberRow:
    """The cached facts the hot path needs about a member."""

    id: int
    tracking: bool
    name: str
    handle: str = ""  # the platform handle last saved for this identity (see bot.scope)


class Store:
    """Repository over one SQLite file or PostgreSQL database. All SQL is parameterized.

    `target` is a SQLite path or a ``postgresql://`` URL.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        batch_size: int = 5000,
        busy_timeout: float = LOOP_BUSY_TIMEOUT,
    ) -> None:
        self.engine = Engine(target)
        self.path = self.engine.path
        self.batch_size = batch_size
        self.busy_timeout = busy_timeout
        self._buffer: list[tuple[Any, ...]] = []
        self._seen: dict[int, int] = {}
        self._queue = Queue()
        self._lock = threading.RLock()  # one writer at a time in this process
        self._buffer_lock = threading.Lock()  # appending to or sealing the buffer
        self.conn = _connect(self.engine)
        migrate(self.conn, "core", CORE_MIGRATIONS)
        migrate(self.conn, "rollups", rollups.ROLLUP_MIGRATIONS)  # bot/storage/rollups.py
        migrate(self.conn, "dead_letters", DEAD_LETTER_MIGRATIONS)
        migrate(self.conn, "versions", versions.MIGRATIONS)  # bot/storage/versions.py
        versions.ensure(self.conn)
        _set_busy_timeout(self.conn, busy_timeout)
        self._writer: Writer | None = None
        self._spaces: dict[tuple[str, str], int] = {}
        self._chats: dict[tuple[int, str, str], int] = {}
        self._members: dict[tuple[int, str, str], MemberRow] = {}
        self.last_flush = time.monotonic()
        # What other processes changed: the counters, read at most every `poll_seconds`.
        self.poll_seconds = versions.POLL_SECONDS
        self._versions = versions.read_all(self.conn)
        self._polled = time.monotonic()
        self._members_version = self._versions.get(versions.MEMBERS, 0)  # of `_members`
        self._buffer_version = self._members_version  # of the buffer's oldest row

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Let the writer make a last patient attempt to write what is buffered, then close.

        Never raises: rows that still cannot be written are counted in the log.
        """
        self.submit()
        if self._writer is not None:
            self._writer.stop()  # drains the queue, waiting up to PATIENT_TIMEOUT for a lock
            self._writer = None
        if self.pending:
            log.error(
                "closing %s: %s activity row(s) could not be written", self.path, self.pending
            )
        self.conn.close()
        self.engine.dispose()

    def submit(self) -> None:
        """Hand what is buffered to the writer thread; returns at once (the hot path)."""
        self._seal()
        if self._queue.batches:
            self._start_writer().wake()

    def flush(self, timeout: float = PATIENT_TIMEOUT) -> None:
        """Make everything buffered durable now: the writer commits it while this waits.

        Raises:
            StoreBusy: another process holds the lock (the rows stay queued for the writer).
        """
        self.last_flush = time.monotonic()
        if not self.settle(timeout):
            raise StoreBusy()

    def settle(self, timeout: float = PATIENT_TIMEOUT) -> bool:
        """Hand the buffer to the writer and wait until it is committed, or until a lock held
        by another process stops it. True if nothing is left to write."""
        self.submit()
        return self.wait_written(timeout)

    def wait_written(self, timeout: float) -> bool:
        """Wait (any thread) until submitted rows are committed; returns at once when another
        process holds the lock. True if nothing is left to write."""
        return self._queue.wait_settled(timeout)

    def _refresh(self) -> None:
        """Before a read: let the writer commit what is buffered; never wait for a lock."""
        if self._buffer or self._queue.batches:
            if self._queue.blocked:  # another process holds the lock: the writer retries
                self.submit()
            else:
                self.settle()

    def _seal(self) -> None:
        with self._buffer_lock:
            if not self._buffer and not self._seen:
                return
            batch = Batch(self._buffer, self._seen, self._buffer_version)
            self._buffer, self._seen = [], {}
        self._queue.put(batch)

    def _start_writer(self) -> Writer:
        if self._writer is None:
            self._writer = Writer(self._queue, self._writer_connection, self._lock)
            self._writer.start()
        return self._writer

    def _writer_connection(self) -> sqlite3.Connection | PgConnection:
        conn = _connect(self.engine, probe=False)
        _set_busy_timeout(conn, min(self.busy_timeout, WRITER_BUSY_TIMEOUT))
        return conn

    @property
    def pending(self) -> int:
        """Activity rows not yet committed (buffered or queued for the writer)."""
        return len(self._buffer) + self._queue.rows()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection | PgConnection]:
        """One atomic write: everything inside commits together or not at all.

        Raises:
            StoreBusy: another process holds the write lock longer than the loop may wait.
        """
        with self._lock:
            if self.conn.in_transaction:  # nested: part of the outer transaction
                yield self.conn
                return
            known_busy = self._queue.blocked  # then fail at once instead of waiting again
            if known_busy:
                _set_busy_timeout(self.conn, 0)
            try:
                with immediate(self.conn):
                    yield self.conn
                self._queue.blocked = False  # the lock was free after all
            except BaseException:
                self._forget_caches()  # ids created in a rolled-back transaction are gone
                raise
            finally:
                if known_busy:
                    _set_busy_timeout(self.conn, self.busy_timeout)

    def version(self, kind: str, *, fresh: bool = False) -> int:
        """The counter of a cached kind (`bot.storage.versions`), as read at most
        `poll_seconds` ago (`fresh`: now): a cache made under another number is stale."""
        now = time.monotonic()
        if fresh or now - self._polled >= self.poll_seconds:
            self._versions = versions.read_all(self.conn)
            self._polled = now
        return self._versions.get(kind, 0)

    def bump(self, conn: sqlite3.Connection | PgConnection, kind: str) -> None:
        """Announce a change of `kind` inside the transaction making it (first in it, see
        `versions.bump`); this process reads the counters again on its next look."""
        versions.bump(conn, kind)
        self._polled = -float("inf")

    def _forget_caches(self) -> None:
        self._spaces.clear()
        self._chats.clear()
        self._members.clear()

    async def read(self, query: Callable[..., T], *args: Any) -> T:
        """Run `query(conn, *args)` in a worker thread on a connection of its own.

        For reads that may scan many rows (stats over a busy community): WAL lets them run
        beside the loop's writes, and the writer commits the buffer first (unless another
        process holds the lock), waited for in that thread too, so they see everything.
        """
        self.submit()

        def run() -> T:
            self.wait_written(PATIENT_TIMEOUT)
            conn = self.engine.connect()
            try:
                return query(conn, *args)
            finally:
                conn.close()

        return await asyncio.to_thread(run)

    def reader(self) -> sqlite3.Connection | PgConnection:
        """A separate connection for heavy reads in a worker thread (WAL lets it run alongside)."""
        self._refresh()
        conn = self.engine.connect()
        conn.row_factory = sqlite3.Row
        return conn

    def tables(self) -> list[str]:
        """The names of the tables in the store."""
        return self.engine.tables(self.conn)

    def migrate(self, component: str, migrations: list[list[str]]) -> int:
        """Create or bring forward a feature's own tables (see `migrate`)."""
        with self._lock:
            _set_busy_timeout(self.conn, PATIENT_TIMEOUT)
            try:
                return migrate(self.conn, component, migrations)
            finally:
                _set_busy_timeout(self.conn, self.busy_timeout)

    # -- communities, chats, members -------------------------------------------------------

    def community(self, key: str, name: str) -> int:
        """The id of the community with this key, created on first use."""
        row = self.conn.execute("SELECT id FROM communities WHERE key = ?", (key,)).fetchone()
        if row:
            return int(row[0])
        with self.transaction() as c:  # another process may create it at the same moment
            c.execute(
                "INSERT OR IGNORE INTO communities (key, name, created_at) VALUES (?, ?, ?)",
                (key, name, int(time.time())),
            )
            row = c.execute("SELECT id FROM communities WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def link_space(self, platform: str, space: str, community: int) -> None:
        """Route a platform's group (guild, group chat) to a community."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO spaces (platform, space, community) VALUES (?, ?, ?) "
                "ON CONFLICT (platform, space) DO UPDATE SET community = excluded.community",
                (platform, space, community),
            )
        self._spaces[(platform, space)] = community

    def space_community(self, platform: str, space: str) -> int | None:
        key = (platform, space)
        found = self._spaces.get(key)
        if found is None:
            row = self.conn.execute(
                "SELECT community FROM spaces WHERE platform = ? AND space = ?", key
            ).fetchone()
            if row is None:
                return None
            found = self._spaces[key] = int(row[0])
        return found

    def spaces(self, community: int) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT platform, space FROM spaces WHERE community = ? ORDER BY platform, space",
            (community,),
        )
        return [(r[0], r[1]) for r in rows]

    def move_chat(self, platform: str, old: str, new: str) -> None:
        """A chat got a new id: its community link and its activity history follow it."""
        community = self.space_community(platform, old)
        with self.transaction() as c:
            if community is not None:
                c.execute(
                    "INSERT INTO spaces (platform, space, community) VALUES (?, ?, ?) "
                    "ON CONFLICT (platform, space) DO UPDATE SET community = excluded.community",
                    (platform, new, community),
                )
                c.execute("DELETE FROM spaces WHERE platform = ? AND space = ?", (platform, old))
            c.execute(
                "UPDATE OR IGNORE chats SET ref = ? WHERE platform = ? AND ref = ?",
                (new, platform, old),
            )
        self._spaces = {
            k: v for k, v in self._spaces.items() if k[0] != platform or k[1] not in (old, new)
        }
        self._chats = {
            k: v for k, v in self._chats.items() if k[1] != platform or k[2] not in (old, new)
        }

    def chat(self, community: int, platform: str, ref: str, title: str = "") -> int:
        """The id of a chat, created on first use."""
        key = (community, platform, ref)
        found = self._chats.get(key)
        if found is not None:
            return found
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO chats (community, platform, ref, title) VALUES (?, ?, ?, ?)",
                (community, platform, ref, title),
            )
            row = c.execute(
                "SELECT id FROM chats WHERE community = ? AND platform = ? AND ref = ?", key
            ).fetchone()
        self._chats[key] = int(row[0])
        return self._chats[key]

    def member(self, community: int, platform: str, user: str, name: str, at: int) -> MemberRow:
        """The member behind a platform identity, created (first seen now) on first use.

        A changed display name is saved, so names in stats and lookups stay current.
        """
        key = (community, platform, user)
        self._members_changed(self.version(versions.MEMBERS))
        found = self._members.get(key)
        if found is not None:
            if name and name != found.name:
                self._rename(found, name)
            return found
        row = self.conn.execute(
            "SELECT m.id, m.tracking, m.name, m.changed FROM identities i "
            "JOIN members m ON m.id = i.member "
            "WHERE i.community = ? AND i.platform = ? AND i.user = ?",
            key,
        ).fetchone()
        if row is None:
            with self.transaction() as c:
                cur = c.execute(
                    "INSERT INTO members (community, name, first_seen, joined_at) "
                    "VALUES (?, ?, ?, ?)",
                    (community, name, at, at),
                )
                member_id = int(cur.lastrowid or 0)
                # SQLite may hand out an erased member's id again: rows buffered for the
                # erased one (in any process) must not land on the new one
                versions.mark_changed(c, member_id)
                added = c.execute(
                    "INSERT OR IGNORE INTO identities (community, platform, user, member) "
                    "VALUES (?, ?, ?, ?)",
                    (community, platform, user, member_id),
                ).rowcount
                if not added:  # another process created this member a moment ago: use theirs
                    c.execute("DELETE FROM members WHERE id = ?", (member_id,))
                    row = c.execute(
                        "SELECT m.id, m.tracking, m.name, m.changed FROM identities i "
                        "JOIN members m ON m.id = i.member "
                        "WHERE i.community = ? AND i.platform = ? AND i.user = ?",
                        key,
                    ).fetchone()
            if added:
                row = (member_id, 1, name, 0)
            self._members_changed(self.version(versions.MEMBERS, fresh=True))
        elif int(row[3]) > self._members_version:  # changed after what this process knows
            self._members_changed(self.version(versions.MEMBERS, fresh=True))
        found = self._members[key] = MemberRow(int(row[0]), bool(row[1]), row[2])
        if name and name != found.name:
            self._rename(found, name)
        return found

    def _members_changed(self, fresh: int) -> None:
        """A new members counter (another process or this one changed a member): the cached
        rows go, and rows buffered so far form a batch of the older counter."""
        if fresh != self._members_version:
            self._seal()
            self._members.clear()
            self._members_version = fresh

    def _rename(self, member: MemberRow, name: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE members SET name = ? WHERE id = ?", (name, member.id))
        member.name = name

    def forget_cached(self, community: int, member: int) -> None:
        """Drop cached lookups for a member whose settings or existence changed."""
        for key in [k for k, v in self._members.items() if k[0] == community and v.id == member]:
            del self._members[key]

    def identities(self, member: int) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT platform, user FROM identities WHERE member = ? ORDER BY platform", (member,)
        )
        return [(r[0], r[1]) for r in rows]

    def communities_of(self, platform: str, user: str) -> list[int]:
        """Communities a platform user belongs to, most recently active first."""
        rows = self.conn.execute(
            "SELECT i.community FROM identities i JOIN members m ON m.id = i.member "
            "WHERE i.platform = ? AND i.user = ? ORDER BY m.last_seen DESC, m.id DESC",
            (platform, user),
        )
        return [int(r[0]) for r in rows]

    def member_info(self, member: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM members WHERE id = ?", (member,)).fetchone()
        if row is None:
            return None
        names = [d[0] for d in self.conn.execute("SELECT * FROM members LIMIT 0").description]
        return dict(zip(names, row, strict=True))

    def find_members(self, community: int, name: str) -> list[tuple[int, str]]:
        """Members whose name matches exactly (case-insensitive), else by prefix."""
        name = name.strip().lstrip("@")
        rows = self.conn.execute(
            "SELECT id, name FROM members WHERE community = ? AND lower(name) = lower(?)",
            (community, name),
        ).fetchall()
        if not rows:
            escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.conn.execute(
                "SELECT id, name FROM members WHERE community = ? AND name LIKE ? ESCAPE '\\' "
                "ORDER BY name LIMIT 10",
                (community, escaped + "%"),
            ).fetchall()
        return [(int(r[0]), r[1]) for r in rows]

    def member_names(self, community: int) -> list[str]:
        """Every member name of a community (to keep them out of topic words)."""
        rows = self.conn.execute("SELECT name FROM members WHERE community = ?", (community,))
        return [r[0] for r in rows]

    def community_ids(self) -> list[int]:
        return [int(r[0]) for r in self.conn.execute("SELECT id FROM communities ORDER BY id")]

    def community_named(self, name: str) -> int | None:
        """The community whose key or name is `name` (case-insensitive), else None."""
        wanted = name.strip().casefold()
        for cid, key, cname in self.conn.execute(
            "SELECT id, key, name FROM communities ORDER BY id"
        ):
            if wanted in (str(key).casefold(), str(cname).casefold()):
                return int(cid)
        return None

    def community_name(self, community: int) -> str:
        row = self.conn.execute("SELECT name FROM communities WHERE id = ?", (community,))
        found = row.fetchone()
        return found[0] if found else ""

    def set_member(self, member: int, **values: Any) -> None:
        """Update columns of a member row (names are checked against the table); every
        process drops its cached member rows (`bot.storage.versions`)."""
        columns = self.engine.columns(self.conn, "members")
        for column in values:
            if column not in columns:
                raise ValueError(f"members has no column {column!r}")
        if not values:
            return
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        with self.transaction() as c:
            self.bump(c, versions.MEMBERS)
            c.execute(f"UPDATE members SET {assignments} WHERE id = ?", (*values.values(), member))
            if "tracking" in values:
                versions.mark_changed(c, member)

    # -- activity --------------------------------------------------------------------------

    def add_activity(
        self,
        community: int,
        member: int,
        chat: int,
        at: int,
        kind: int,
        length: int,
        text: str | None,
    ) -> None:
        """Buffer one activity row; a full buffer goes to the writer thread."""
        with self._buffer_lock:
            if not self._buffer:
                self._buffer_version = self._members_version
            self._buffer.append((community, member, chat, at, kind, length, text))
            if at > self._seen.get(member, 0):
                self._seen[member] = at
            full = len(self._buffer) >= self.batch_size
        if full:
            self.submit()

    def write_activity(self, rows: list[tuple[Any, ...]]) -> None:
        """Write activity rows now, inside the caller's `transaction()` (imports: the rows
        and their markers commit together); same columns as `add_activity`."""
        assert self.conn.in_transaction, "write_activity belongs inside store.transaction()"
        self.conn.executemany(INSERT_ACTIVITY, rows)
        rollups.add(self.conn, rows)  # counts per hour and member-day, same commit

    def expire_text(self, community: int, before: int) -> int:
        """Delete stored message text older than `before`; counts stay.

        Runs on a connection of its own, so it may run in a worker thread (it can scan much).

        Raises:
            StoreBusy: another process holds the write lock.
        """
        self.settle()  # buffered rows first, so their text is expired too
        conn = _connect(self.engine, probe=False)
        _set_busy_timeout(conn, self.busy_timeout)
        try:
            with self._lock, immediate(conn):
                cur = conn.execute(
                    "UPDATE activity SET text = NULL "
                    "WHERE community = ? AND at < ? AND text IS NOT NULL",
                    (community, before),
                )
            return cur.rowcount
        finally:
            conn.close()

    # -- settings --------------------------------------------------------------------------

    def setting(self, community: int, key: str, default: Any = None) -> Any:
        row = self.conn.execute(
            "SELECT value FROM settings WHERE community = ? AND key = ?", (community, key)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, community: int, key: str, value: Any) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO settings (community, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (community, key) DO UPDATE SET value = excluded.value",
                (community, key, json.dumps(value)),
            )

    # -- embedding cache (models.embedder.VectorCache) --------------------------------------

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for these text hashes under one model."""
        found: dict[str, np.ndarray] = {}
        conn = self.engine.connect()
        try:
            if isinstance(conn, PgConnection):  # one array parameter: an index lookup per hash
                for h, blob in conn.pg.execute(
                    "SELECT hash, data FROM vectors WHERE model = %s AND hash = ANY(%s)",
                    (model_id, list(hashes)),
                ):
                    found[h] = np.frombuffer(blob, dtype=np.float32)
                return found
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                marks = ",".join("?" * len(part))
                for h, blob in conn.execute(
                    f"SELECT hash, data FROM vectors WHERE model = ? AND hash IN ({marks})",
                    (model_id, *part),
                ):
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        finally:
            conn.close()
        return found

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        """Cache vectors (float32) for text hashes under one model."""
        rows = [(model_id, h, np.asarray(v, np.float32).tobytes()) for h, v in vectors.items()]
        conn = self.engine.connect()
        try:
            with conn:
                conn.executemany(
                    "INSERT INTO vectors (model, hash, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (model, hash) DO UPDATE SET data = excluded.data",
                    rows,
                )
        finally:
            conn.close()

    def checkpoint(self) -> bool:
        """Move the WAL into the database file and truncate it (after an erasure, so erased
        bytes leave both files). False if a reader kept part of the WAL alive."""
        self.flush()
        if self.engine.postgres:
            return True  # no WAL file of ours: the server owns its files
        with self._lock:
            busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def delete_vectors(self, hashes: list[str]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM vectors WHERE hash = ?", [(h,) for h in hashes])

    # -- dead letters -----------------------------------------------------------------------

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """Rows that could not be written, newest first, with the error SQLite gave."""
        return self.rows("SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,))

    # -- generic member data (privacy contract helpers) ------------------------------------

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run a parameterized query and return dict rows."""
        self._refresh()
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        self._refresh()
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


def _connect(engine: Engine, *, probe: bool = True) -> sqlite3.Connection | PgConnection:
    """Open the store: a PostgreSQL connection, or the SQLite file in WAL mode (`probe`
    checks it is writable, waiting for a held lock)."""
    if engine.postgres:
        return engine.connect()
    path = engine.path
    if str(path) != ":memory:":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the folder for the database {path}: {exc.strerror}. "
                "Choose a writable path (--db or [bot] database)."
            ) from None
    try:
        conn = sqlite3.connect(
            path, check_same_thread=False, timeout=PATIENT_TIMEOUT, isolation_level=None
        )
        conn.isolation_level = ""  # "with conn:" opens and commits transactions
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")  # erased rows are zeroed, not left in free pages
        if probe:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        reason = str(exc)
        if "readonly" in reason or "unable to open" in reason or "read-only" in reason:
            raise StoreError(
                f"Cannot write the database {path}: {reason}. "
                "Choose a writable path (--db or [bot] database)."
            ) from None
        if "locked" in reason:
            raise StoreError(
                f"The database {path} stayed locked by another program for "
                f"{PATIENT_TIMEOUT:.0f} s; stop it or try again."
            ) from None
        raise StoreError(f"Cannot open the database {path}: {reason}.") from None
    return conn


def _set_busy_timeout(conn: sqlite3.Connection | PgConnection, seconds: float) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def migrate(
    conn: sqlite3.Connection | PgConnection, component: str, migrations: list[list[str]]
) -> int:
    """Bring one component's tables forward; refuse a database written by a newer Convene.

    Each feature owns its tables and its migration list, versioned separately in
    ``schema_version``, so features can grow their schema independently.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    row = conn.execute(
        "SELECT version FROM schema_version WHERE component = ?", (component,)
    ).fetchone()
    current = int(row[0]) if row else 0
    newest = len(migrations)
    if current > newest:
        raise StoreError(
            f"This database has {component} schema version {current}, but this Convene knows "
            f"only up to {newest}. It was written by a newer Convene: upgrade Convene to use it."
        )
    for version in range(current + 1, newest + 1):
        with conn:
            for statement in migrations[version - 1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (component, version) VALUES (?, ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (component, version),
            )
    return newest
