"""Leader election over a PostgreSQL advisory lock: one leader, a successor when it dies."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from bot.scheduling.leader import Leader
from bot.storage.engine import Engine
from tests.pg import PgServer


def test_one_leader_and_a_successor(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    first, second, third = (Leader(Engine(url)) for _ in range(3))
    try:
        assert first.check()
        assert not second.check()
        assert not third.check()
        assert first.check()  # keeps the lead
        first.release()
        assert second.check() != third.check()  # exactly one of them takes over
    finally:
        for leader in (first, second, third):
            leader.release()


def test_a_leader_whose_connection_dies_loses_the_lead(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    first, second = Leader(Engine(url)), Leader(Engine(url))
    try:
        assert first.check()
        assert not second.check()
        with psycopg.connect(url, autocommit=True) as admin:  # what a killed process leaves
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted"
            )
        deadline = time.monotonic() + 30  # the server ends the backend asynchronously
        while not second.check() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.leading
        assert not first.check()  # it notices, and does not get the lock back
    finally:
        first.release()
        second.release()


def test_sqlite_process_always_leads(tmp_path: Path) -> None:
    assert Leader(Engine(tmp_path / "x.db")).check()
