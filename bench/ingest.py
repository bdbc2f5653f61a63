"""Ingest benchmark: message events through the core into SQLite vs a bare executemany.

Prints events/s for 200,000 message events pushed through `Core.handle` (routing, member
lookup, privacy check, batching) into a fresh SQLite file, next to plain
`sqlite3.executemany` of the same rows in one transaction, and the ratio. Run:
    .venv/bin/python bench/ingest.py [--events N]
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


async def through_core(path: Path, events: list[ChatEvent]) -> float:
    config = Config(database=path)
    core = Core(config, Store(path), clock=lambda: events[-1].at)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
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
    print(f"ratio core / bare: {bare_s / core_s:.2f} (aim: at least 0.3)")


if __name__ == "__main__":
    main()
