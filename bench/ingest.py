"""Ingest benchmark: message events through the core vs a bare bulk insert, on each engine.

Prints events/s for 200,000 message events pushed through `Core.handle` (routing, member
lookup, privacy check, batching, the writer thread, the rollups) into a fresh store, next to
a bare bulk insert of the same rows in one transaction, and the ratio, for SQLite (bare: one
`sqlite3.executemany`) and for PostgreSQL (bare: one psycopg ``COPY``). Each engine runs
`--runs` times (each run: a fresh store, then the bare insert into a fresh table, so a
ratio compares two figures of the same moment) and the median ratio is the figure: on a
shared machine one run may meet another program's burst. The events and the bare rows are
made before the clocks start and frozen out of the garbage collector's view (`gc.freeze`). PostgreSQL runs on
`--postgresql URL`, else on a throwaway local server (initdb + pg_ctl) when installed. Run:
    .venv/bin/python bench/ingest.py [--events N] [--runs 3] [--postgresql URL] [--real DIR]

`--real DIR` replaces the made-up messages with a real public chat (the #qtox IRC channel,
35,584 messages from 258 people; see bench/realchat.py for where it comes from): real
lengths, Unicode, links and code pastes, replayed in order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def real_events(folder: str) -> list[ChatEvent]:
    """The #qtox channel's messages as chat events, in the order they were written."""
    from realchat import data_dir, load

    return [
        ChatEvent("bench", "space-1", "qtox", m.author, m.author, text=m.text, at=m.at)
        for m in load("qtox", data_dir(folder))
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


def bare_rows(events: list[ChatEvent]) -> list[tuple[int, int, int, int, int, int, str]]:
    """The activity rows of the events, made before the clock starts."""
    chats: dict[str, int] = {}
    members: dict[str, int] = {}
    return [
        (1, members.setdefault(e.user, len(members) + 1), chats.setdefault(e.chat, len(chats) + 1),
         int(e.at.timestamp()), 0, len(e.text), e.text)
        for e in events
    ]  # fmt: skip


def bare_executemany(path: Path, rows: list[tuple[Any, ...]]) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    migrate(conn, "core", CORE_MIGRATIONS)
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


def bare_copy(url: str, rows: list[tuple[Any, ...]]) -> float:
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


def empty_store(conn: psycopg.Connection[Any]) -> None:
    """Drop the bare table and every row of the store (its schema stays)."""
    conn.execute("DROP TABLE bare_activity")
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name != 'schema_version'"
        )
    ]
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def in_turn(run: int, core: Callable[[], float], bare: Callable[[], float]) -> tuple[float, float]:
    """Both timings of one run, the bare one first in every other run (so neither always
    meets what the other left behind, such as PostgreSQL's autovacuum)."""
    if run % 2:
        bare_s = bare()
        return core(), bare_s
    return core(), bare()


@dataclass
class Run:
    core_s: float
    bare_s: float

    @property
    def ratio(self) -> float:
        return self.bare_s / self.core_s


def report(engine: str, bare: str, n: int, runs: list[Run]) -> None:
    for i, run in enumerate(runs, 1):
        print(
            f"{engine} run {i}: through Core.handle {n / run.core_s:,.0f} events/s "
            f"({run.core_s:.2f} s); {bare} {n / run.bare_s:,.0f} rows/s ({run.bare_s:.2f} s); "
            f"ratio {run.ratio:.2f}"
        )
    mid = sorted(runs, key=lambda r: r.ratio)[len(runs) // 2]
    core_s = statistics.median(r.core_s for r in runs)
    bare_s = statistics.median(r.bare_s for r in runs)
    print(f"through Core.handle into {engine}: {n / core_s:,.0f} events/s (median {core_s:.2f} s)")
    print(f"{bare}, one transaction: {n / bare_s:,.0f} rows/s (median {bare_s:.2f} s)")
    print(
        f"ratio core / bare ({engine}): {mid.ratio:.2f} (median of {len(runs)}; aim: at least 0.3)"
    )


def sqlite_runs(events: list[ChatEvent], rows: list[tuple[Any, ...]], runs: int) -> None:
    found: list[Run] = []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            core_s, bare_s = in_turn(
                i,
                lambda: asyncio.run(through_core(Path(tmp) / "core.db", events)),
                lambda: bare_executemany(Path(tmp) / "bare.db", rows),
            )
            with contextlib.closing(sqlite3.connect(Path(tmp) / "core.db")) as conn:
                stored = conn.execute("SELECT count(*) FROM activity").fetchone()[0]
        assert stored == len(events) + 1, f"expected {len(events) + 1} rows, found {stored}"
        found.append(Run(core_s, bare_s))
    report("SQLite", "bare sqlite3.executemany", len(events), found)


def postgresql_runs(
    url: str | None, events: list[ChatEvent], rows: list[tuple[Any, ...]], runs: int
) -> None:
    from tests.pg import SKIPPED, databases

    found: list[Run] = []
    with databases(url) as database:
        if database is None:
            print(SKIPPED)
            return
        for i in range(runs):
            target = database()
            Store(target).close()  # the schema, for whichever goes first
            core_s, bare_s = in_turn(
                i,
                functools.partial(asyncio.run, through_core(target, events)),
                functools.partial(bare_copy, target, rows),
            )
            with psycopg.connect(target) as conn:
                stored = conn.execute("SELECT count(*) FROM activity").fetchone()[0]
                if url is not None:  # the caller's database: empty again for the next run
                    empty_store(conn)
            assert stored == len(events) + 1, f"expected {len(events) + 1} rows, found {stored}"
            found.append(Run(core_s, bare_s))
    report("PostgreSQL", "bare psycopg COPY", len(events), found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per engine (median shown)")
    parser.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--real", metavar="DIR", help="replay the real #qtox chat from DIR")
    args = parser.parse_args()
    events = real_events(args.real) if args.real else make_events(args.events)
    rows = bare_rows(events)
    # The inputs are made before any clock starts and kept out of the garbage collector's
    # view: a bot never holds 200,000 events at once, and a full collection walking them
    # would be charged to whichever side allocates (the core). What the core and the bare
    # insert allocate is collected as usual.
    gc.freeze()
    people = len({e.user for e in events})
    chats = len({e.chat for e in events})
    source = "the real #qtox chat" if args.real else "made-up messages"
    print(f"events: {len(events):,} messages ({source}) from {people} members in {chats} chat(s), "
          f"{args.runs} run(s)")  # fmt: skip
    sqlite_runs(events, rows, args.runs)
    postgresql_runs(args.postgresql, events, rows, args.runs)


if __name__ == "__main__":
    main()
