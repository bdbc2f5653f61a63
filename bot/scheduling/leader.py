"""Which process runs the schedule when several share one PostgreSQL store.

The leader holds a PostgreSQL session advisory lock (``pg_try_advisory_lock``) on a
connection of its own. When the leader dies its connection closes and the server releases
the lock; the next follower to ask takes it, within one check interval. The leader runs the
catch-up sweep, the scheduled jobs and the periodic loops (reminders, follow-ups); the run
ledger's unique claim still decides each run, so even two processes that both believe
they lead (a network split) cannot post one run twice.

On SQLite there is one process per file: it always leads.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import psycopg
from sqlalchemy.engine import make_url

from bot.storage.engine import Engine

log = logging.getLogger("convene.leader")
LOCK_KEY = 0x636F6E76656E65  # "convene" in ASCII: one lock per database
CHECK_SECONDS = 15.0  # how often a follower asks; a dead leader is replaced within this


class Leader:
    """This process's claim to run the schedule; `check` refreshes it (blocking, quick)."""

    def __init__(self, engine: Engine, *, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self.leading = not engine.postgres
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()

    def check(self) -> bool:
        """Keep or try to take the lead; True while this process leads."""
        if not self.engine.postgres:
            return True
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self.leading = False
                    self._conn = psycopg.connect(_libpq_url(self.engine), autocommit=True)
                if self.leading:
                    self._conn.execute("SELECT 1")
                else:
                    row = self._conn.execute(
                        "SELECT pg_try_advisory_lock(%s)", (self.key,)
                    ).fetchone()
                    self.leading = bool(row and row[0])
                    if self.leading:
                        log.info("this process now runs the schedule")
            except psycopg.Error as exc:
                if self.leading:
                    log.warning("lost the schedule lead: %s", exc)
                self.leading = False
                self._close()
            return self.leading

    def release(self) -> None:
        """Give up the lead: unlock at once (closing alone releases it a moment later)."""
        with self._lock:
            if self.leading and self._conn is not None and not self._conn.closed:
                with contextlib.suppress(psycopg.Error):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            self.leading = not self.engine.postgres
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def _libpq_url(engine: Engine) -> str:
    return make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
