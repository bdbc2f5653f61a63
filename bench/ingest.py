"""Ingest benchmark: message events through the core vs a bare bulk insert, on each engine.

Prints events/s for 200,000 message events pushed through `Core.handle` (routing, member
lookup, privacy check, batching, the writer thread) into a fresh store, next to a bare bulk
insert of the same rows in one transaction, and the ratio, for SQLite (bare: one
`sqlite3.executemany`) and for PostgreSQL (bare: one psycopg ``COPY``). PostgreSQL runs on
`--postgresql URL`, else on a throwaway local server (initdb + pg_ctl) when installed. Run:
    .venv/bin/python bench/ingest.py [--events N] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from bot.chat_event import ChatEvent
from bot.config import Config
from bot.core import Core
from bot.storage.migrations import CORE_MIGRATIONS
from bot.storage.store import Store, migrate

WORDS = [
    "we",
    "raised",
    "a",
    "seed",
    "round",
    "and",
    "are",
    "hiring",
    "engineers",
    "who",
    "love",
    "fintech",
    "and",
    "climate",
]


def make_events(n: int, seed: int = 1) -> list[ChatEvent]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    users = [f"u{i}" for i in range(500)]
    chats = ["general", "fundraising", "hiring", "product"]
    return [
        ChatEvent(
            "bench", "space-1", rng.choice(chats), (u := rng.choice(users)), u,
            text=" ".join(rng.choices(WORDS, k=rng.randint(3, 14))),
            at=start + timedelta(seconds=i * 3),
        )
        for i in range(n)
    ]  # fmt: skip


async def through_core(target: str | Path, events: list[ChatEvent]) -> float:
    config = Config(store_url=target) if isinstance(target, str) else Config(database=target)
    core = Core(config, Store(target), clock=lambda: events[-1].at)
    await core.handle(events[0])  # creates the community; not timed
    t0 = time.perf_counter()
    for event in events:
        await core.handle(event)
    core.store.flush()
    elapsed = time.perf_counter() - t0
    await core.close()
    return elapsed


def bare_executemany(path: Path, events: list[ChatEvent]) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    migrate(conn, "core", CORE_MIGRATIONS)
    rows = [
        (1, hash(e.user) % 500, 1, int(e.at.timestamp()), 0, len(e.text), e.text) for e in events
    ]
    t0 = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO activity (community, member, chat, at, kind, length, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def bare_copy(url: str, events: list[ChatEvent]) -> float:
    rows = [
        (1, hash(e.user) % 500, 1, int(e.at.timestamp()), 0, len(e.text), e.text) for e in events
    ]
    columns = "community, member, chat, at, kind, length, text"
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE bare_activity (LIKE activity INCLUDING ALL)")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bare_activity ({columns}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        conn.commit()
        return time.perf_counter() - t0


def postgresql(url: str | None, events: list[ChatEvent]) -> None:
    server = None
    if url is None:
        from tests.pg import find_binaries, start_server

        if find_binaries() is None:
            print("PostgreSQL: skipped (no --postgresql URL and no initdb/pg_ctl installed)")
            return
        server = start_server()
        url = server.new_database()
    try:
        core_s = asyncio.run(through_core(url, events))
        bare_s = bare_copy(url, events)
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT count(*) FROM activity").fetchone()[0]
    finally:
        if server is not None:
            server.stop()
    n = len(events)
    assert rows == n + 1, f"expected {n + 1} rows (with the warm-up), found {rows}"
    print(f"through Core.handle into PostgreSQL: {n / core_s:,.0f} events/s ({core_s:.2f} s)")
    print(f"bare psycopg COPY, one transaction: {n / bare_s:,.0f} rows/s ({bare_s:.2f} s)")
    print(f"ratio core / bare (PostgreSQL): {bare_s / core_s:.2f} (aim: at least 0.3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    events = make_events(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        core_s = asyncio.run(through_core(Path(tmp) / "core.db", events))
        bare_s = bare_executemany(Path(tmp) / "bare.db", events)
        rows = (
            sqlite3.connect(Path(tmp) / "core.db")
            .execute("SELECT count(*) FROM activity")
            .fetchone()[0]
        )
    n = len(events)
    assert rows == n + 1, f"expected {n + 1} rows (with the warm-up), found {rows}"
    print(f"events: {n:,} messages from 500 members in 4 chats")
    print(f"through Core.handle into SQLite: {n / core_s:,.0f} events/s ({core_s:.2f} s)")
    print(f"bare sqlite3.executemany, one transaction: {n / bare_s:,.0f} rows/s ({bare_s:.2f} s)")
    print(f"ratio core / bare (SQLite): {bare_s / core_s:.2f} (aim: at least 0.3)")
    postgresql(args.postgresql, events)


if __name__ == "__main__":
    main()
