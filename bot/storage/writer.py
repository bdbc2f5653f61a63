"""The activity writer: buffered rows reach SQLite in batches, never lost to one failure.

A batch leaves the queue only when its transaction commits. A database locked by another
process (SQLITE_BUSY) is retried with backoff by one background thread, so the event loop
never waits on another process's lock. A row SQLite refuses (an unencodable text, an integer
past 64 bits) is set aside in ``dead_letters`` with its error, and the rest of its batch is
written: ``convene store deadletters`` lists them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bot.storage import rollups, versions
from bot.storage.engine import PgConnection, bulk_insert

log = logging.getLogger("convene.store")

INSERT_ACTIVITY = (
    "INSERT INTO activity (community, member, chat, at, kind, length, text) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_LAST_SEEN = "UPDATE members SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?"
# PostgreSQL: one statement for a batch's members (arrays), not a round of one per member
_LAST_SEEN_ARRAYS = (
    "UPDATE members SET last_seen = greatest(coalesce(last_seen, 0), v.at) "
    "FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, at) WHERE members.id = v.id"
)
_DEAD = (
    "INSERT INTO dead_letters (at, kind, community, member, data, error) "
    "VALUES (?, 'activity', ?, ?, ?, ?)"
)
ACTIVITY_COLUMNS = ("community", "member", "chat", "at", "kind", "length", "text")
# Errors that belong to one row (its values), not to the database or the moment.
ROW_ERRORS = (
    UnicodeEncodeError,
    OverflowError,
    ValueError,
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    psycopg.DataError,  # PostgreSQL: a value that does not fit its column
    psycopg.IntegrityError,
)
# The writer's own table, versioned as component "dead_letters" in schema_version.
DEAD_LETTER_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,
            community INTEGER, member INTEGER, data TEXT NOT NULL, error TEXT NOT NULL)""",
    ]
]
PATIENT_TIMEOUT = 30.0  # the last write on close, opening, command-line tools
WRITER_BUSY_TIMEOUT = 0.01  # the writer holds the in-process write lock while it waits
MERGE_ROWS = 20_000  # batches waiting together are committed in one transaction up to this
FIRST_BACKOFF = 0.05
MAX_BACKOFF = 2.0


class StoreBusy(Exception):
    """Another process holds the database's write lock; the message says to try again."""

    def __init__(self) -> None:
        super().__init__(
            "The database is busy (another program is writing to it); please try again in a moment."
        )


def is_busy(exc: BaseException) -> bool:
    """Whether an sqlite3 error means "someone else holds the lock" (worth retrying)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction taken up front (BEGIN IMMEDIATE): lock errors come first.

    A transaction a stray statement already opened on `conn` is joined and committed.
    """
    try:
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise StoreBusy() from None
        raise
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.commit()
    except sqlite3.OperationalError as exc:
        conn.rollback()
        if is_busy(exc):
            raise StoreBusy() from None
        raise


@dataclass(slots=True)
class Batch:
    """Activity rows and the members' latest times, written in one transaction."""

    rows: list[tuple[Any, ...]]
    seen: dict[int, int] = field(default_factory=dict)
    version: int = -1  # the members counter the rows were buffered under (-1: unknown)

    @staticmethod
    def merge(batches: list[Batch]) -> Batch:
        """One batch holding the rows of `batches` (buffered under one members counter), in
        order: one transaction for them."""
        if len(batches) == 1:
            return batches[0]
        assert len({b.version for b in batches}) == 1, "batches of one members counter only"
        seen: dict[int, int] = {}
        for batch in batches:
            for member, at in batch.seen.items():
                if at > seen.get(member, 0):
                    seen[member] = at
        rows = list(itertools.chain.from_iterable(b.rows for b in batches))
        return Batch(rows, seen, batches[0].version)


def write_batch(conn: sqlite3.Connection, batch: Batch) -> int:
    """Commit a batch; rows SQLite refuses go to ``dead_letters``. Returns rows written.

    Raises:
        StoreBusy: the lock is held elsewhere; nothing was written, retry later.
        sqlite3.Error: the database itself failed (disk full, I/O); nothing was written.
    """
    try:
        with immediate(conn):
            versions.current_rows(conn, batch)  # members who left tracking meanwhile
            bulk_insert(conn, "activity", ACTIVITY_COLUMNS, batch.rows)  # COPY on PostgreSQL
            rollups.add(conn, batch.rows)  # counts per hour and member-day, same commit
            _mark_seen(conn, batch.seen)
        return len(batch.rows)
    except ROW_ERRORS:
        pass
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise StoreBusy() from None
        raise
    written = 0
    now = int(time.time())
    with immediate(conn):
        versions.current_rows(conn, batch)
        kept = []
        for row in batch.rows:
            try:
                with _one_row(conn):
                    conn.execute(INSERT_ACTIVITY, row)
                written += 1
                kept.append(row)
            except ROW_ERRORS as exc:
                conn.execute(_DEAD, (now, *_owner(row), _as_json(row), _describe(exc)))
        rollups.add(conn, kept)
        for member, at in batch.seen.items():
            with contextlib.suppress(*ROW_ERRORS), _one_row(conn):
                conn.execute(_LAST_SEEN, (at, member))
    if written < len(batch.rows):
        log.error(
            "set %s activity row(s) aside in dead_letters (see `convene store deadletters`)",
            len(batch.rows) - written,
        )
    return written


def _mark_seen(conn: sqlite3.Connection | PgConnection, seen: dict[int, int]) -> None:
    """Move the members' last_seen forward (in member order: two processes lock the rows in
    the same order, so they never deadlock on PostgreSQL)."""
    pairs = sorted(seen.items())
    if isinstance(conn, PgConnection):
        if pairs:
            conn.pg.execute(_LAST_SEEN_ARRAYS, ([m for m, _ in pairs], [at for _, at in pairs]))
        return
    conn.executemany(_LAST_SEEN, [(at, m) for m, at in pairs])


@contextlib.contextmanager
def _one_row(conn: sqlite3.Connection | PgConnection) -> Iterator[None]:
    """A statement that may fail alone: on PostgreSQL a failed statement would abort the
    whole transaction, so it runs inside a savepoint; SQLite needs none."""
    if not isinstance(conn, PgConnection):
        yield
        return
    conn.execute("SAVEPOINT one_row")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO SAVEPOINT one_row")
        raise
    conn.execute("RELEASE SAVEPOINT one_row")


def _owner(row: tuple[Any, ...]) -> tuple[int | None, int | None]:
    def fits(v: Any) -> int | None:
        return v if isinstance(v, int) and -(2**63) <= v < 2**63 else None

    return fits(row[0]), fits(row[1])


def _as_json(row: tuple[Any, ...]) -> str:
    names = ("community", "member", "chat", "at", "kind", "length", "text")
    return json.dumps(dict(zip(names, row, strict=False)), ensure_ascii=True, default=repr)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".encode("ascii", "backslashreplace").decode()


class Queue:
    """Sealed batches waiting to commit, shared by the loop thread and the writer thread."""

    def __init__(self) -> None:
        self.batches: deque[Batch] = deque()
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.blocked = False  # the last write attempt found the lock held by another process

    def put(self, batch: Batch) -> None:
        with self.lock:
            self.batches.append(batch)

    def rows(self) -> int:
        with self.lock:
            return sum(len(b.rows) for b in self.batches)

    def commit_all(self, conn: sqlite3.Connection, write: threading.RLock) -> int:
        """Commit queued batches in order on `conn`; a batch leaves only once committed.

        A writer that fell behind (a burst) commits the batches waiting together, up to
        `MERGE_ROWS` rows buffered under one members counter (`bot.storage.versions`) in one
        transaction: fewer commits, the same rows in the same order.
        """
        written = 0
        with write:
            while True:
                with self.lock:
                    if not self.batches:
                        self.idle.notify_all()
                        return written
                    taken = [self.batches[0]]
                    rows = len(taken[0].rows)
                    for batch in itertools.islice(self.batches, 1, None):
                        rows += len(batch.rows)
                        if rows > MERGE_ROWS or batch.version != taken[0].version:
                            break  # (rows of another counter are checked on their own)
                        taken.append(batch)
                try:
                    written += write_batch(conn, Batch.merge(taken))
                except StoreBusy:
                    with self.lock:
                        self.blocked = True
                        self.idle.notify_all()  # waiters stop waiting for a held lock
                    raise
                self.blocked = False
                with self.lock:
                    for _ in taken:
                        self.batches.popleft()

    def wait_empty(self, timeout: float) -> bool:
        """Wait until every batch is committed; False on timeout."""
        with self.lock:
            return self.idle.wait_for(lambda: not self.batches, timeout)

    def wait_settled(self, timeout: float) -> bool:
        """Wait until every batch is committed or a lock held elsewhere stops the writer."""
        with self.lock:
            self.idle.wait_for(lambda: not self.batches or self.blocked, timeout)
            return not self.batches


class Writer(threading.Thread):
    """The background thread that commits queued batches, retrying with backoff."""

    def __init__(
        self, queue: Queue, connect: Callable[[], sqlite3.Connection], write: threading.RLock
    ) -> None:
        super().__init__(name="convene-writer", daemon=True)
        self.queue = queue
        self.connect = connect
        self.write = write
        self.failures = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self.join()

    def run(self) -> None:
        conn = self.connect()
        backoff = 0.0
        try:
            while not self._stopping.is_set():
                self._wake.wait(backoff or None)
                self._wake.clear()
                if self._stopping.is_set():
                    break
                backoff = self._attempt(conn, backoff)
            self._last_attempt(conn)
        finally:
            conn.close()

    def _last_attempt(self, conn: sqlite3.Connection) -> None:
        """On stop: one patient try (waiting up to `PATIENT_TIMEOUT` for a lock)."""
        if not self.queue.batches:
            return
        conn.execute(f"PRAGMA busy_timeout = {int(PATIENT_TIMEOUT * 1000)}")
        try:
            self.queue.commit_all(conn, self.write)
        except Exception as exc:
            log.error("the last write before closing failed: %s", exc)

    def _attempt(self, conn: sqlite3.Connection, backoff: float) -> float:
        """One try at committing everything queued; returns the wait before the next."""
        try:
            self.queue.commit_all(conn, self.write)
        except StoreBusy:
            reason = "the database is locked by another process"
        except Exception as exc:  # the loop never dies: log, keep the rows, try again
            reason = f"{type(exc).__name__}: {exc}"
        else:
            if self.failures:
                log.warning("activity writes recovered after %s failed attempt(s)", self.failures)
            self.failures = 0
            return 0.0
        self.failures += 1
        if self.failures == 1 or self.failures % 50 == 0:
            log.warning(
                "could not write %s buffered activity row(s) (%s); retrying (attempt %s)",
                self.queue.rows(),
                reason,
                self.failures,
            )
        return min(MAX_BACKOFF, max(FIRST_BACKOFF, backoff * 2))
