"""Dashboard benchmark: every page over HTTP at 3M stored messages, beside a bare count(*).

Builds a community with N messages (default 3,000,000) from 3,000 members over a year in 12
channels (text kept for the last 30 days, as the default retention does), profiles, intro
requests and outcomes, events with RSVPs; folds the rollups once (timed); then opens every
page through the real server and prints the median time of each next to a bare
`SELECT count(*)` over the same activity rows (the page's date range). Run:
    .venv/bin/python bench/dashboard.py [--messages N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bot.config import Config
from bot.core import Core
from bot.dashboard.rollup import refresh
from bot.features import dashboard
from bot.storage.store import Store

DAY = 86400
END = datetime(2026, 11, 30, 12, tzinfo=UTC)
WORDS = [
    "seed",
    "round",
    "pricing",
    "hiring",
    "engineers",
    "investors",
    "pitch",
    "deck",
    "demo",
    "day",
    "churn",
    "retention",
    "growth",
    "marketing",
    "sales",
    "pipeline",
    "customers",
    "onboarding",
    "roadmap",
    "fundraising",
    "valuation",
    "mentor",
    "intro",
    "product",
    "launch",
    "feedback",
    "metrics",
    "mrr",
    "burn",
    "runway",
    "cofounder",
    "equity",
    "legal",
    "compliance",
]
ROLES = ("founder", "investor", "mentor", "partner", "talent")
RANGES = {"8 weeks": "", "1 year": "?from=2025-12-01&to=2026-11-30"}


def build(path: Path, messages: int, members: int = 3000) -> tuple[int, float]:
    """Fill a fresh store; returns the community id and the seconds the rollups took."""
    rng = random.Random(7)
    store = Store(path)
    core = Core(Config(database=path), store)
    community = store.community("bench", "Bench Community")
    chats = [
        store.chat(community, "telegram" if i % 3 else "discord", f"c{i}", f"channel-{i}")
        for i in range(12)
    ]
    end = int(END.timestamp())
    start = end - 365 * DAY
    ids = []
    with store.transaction() as c:
        for i in range(members):
            joined = start + rng.randrange(365 * DAY)
            cur = c.execute(
                "INSERT INTO members (community, name, first_seen, joined_at, named) "
                "VALUES (?, ?, ?, ?, ?)",
                (community, f"Member {i}", joined, joined, int(i % 20 != 0)),
            )
            ids.append(int(cur.lastrowid or 0))
        c.executemany(
            "INSERT INTO profiles (community, member, roles, updated_at) VALUES (?, ?, ?, ?)",
            [(community, m, json.dumps([ROLES[i % 5]]), start) for i, m in enumerate(ids)],
        )
    weights = [1 / (i + 1) ** 0.8 for i in range(members)]  # a few members write most
    keep_text = end - 30 * DAY
    batch: list[tuple[object, ...]] = []
    conn = sqlite3.connect(path)
    for n in range(messages):
        at = start + int(365 * DAY * (n / messages)) + rng.randrange(3600)
        who = (
            ids[rng.choices(range(members), weights)[0]]
            if n % 64 == 0
            else ids[int(rng.paretovariate(1.2) * 7) % members]
        )
        text = " ".join(rng.choices(WORDS, k=6)) if at >= keep_text else None
        batch.append((community, who, chats[n % 12], at, 0, 40, text))
        if len(batch) == 100_000:
            with conn:
                conn.executemany(
                    "INSERT INTO activity (community, member, chat, at, kind, length, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            batch.clear()
    with conn:
        conn.executemany(
            "INSERT INTO activity (community, member, chat, at, kind, length, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        for i in range(5000):
            a, b = rng.sample(ids, 2)
            at = start + rng.randrange(365 * DAY)
            status = rng.choice(("pending", "accepted", "accepted", "declined"))
            conn.execute(
                "INSERT INTO intro_requests (community, from_member, to_member, status, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (community, a, b, status, at),
            )
            if status == "accepted":
                conn.execute(
                    "INSERT INTO match_outcomes (community, member, other_member, ref, met, useful, "
                    "fit_ab, fit_ba, sector_overlap, stage_fit, activity, created_at, answered_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0.5, ?, ?)",
                    (community, a, b, f"intro:{i}", rng.random() < 0.7, rng.random() < 0.5,
                     rng.random(), rng.random(), at, at + 7 * DAY),
                )  # fmt: skip
        for e in range(50):
            starts = start + e * 7 * DAY
            cur = conn.execute(
                "INSERT INTO events (community, title, starts_at, code, created_at) VALUES (?, ?, ?, ?, ?)",
                (community, f"Event {e}", starts, f"C{e:04d}", starts - 7 * DAY),
            )
            for m in rng.sample(ids, 60):
                conn.execute(
                    "INSERT INTO event_rsvps (event, community, member, at) VALUES (?, ?, ?, ?)",
                    (cur.lastrowid, community, m, starts - DAY),
                )
    conn.execute("ANALYZE")
    t = time.perf_counter()
    refresh(conn)
    rolled = time.perf_counter() - t
    conn.close()
    asyncio.run(core.close())
    return community, rolled


def bare_count(path: Path, community: int, t0: int, t1: int) -> float:
    conn = sqlite3.connect(path)
    try:
        t = time.perf_counter()
        conn.execute(
            "SELECT count(*) FROM activity WHERE community = ? AND at >= ? AND at < ?",
            (community, t0, t1),
        ).fetchone()
        return time.perf_counter() - t
    finally:
        conn.close()


async def measure(path: Path, community: int, runs: int) -> None:
    core = Core(Config(database=path), Store(path), clock=lambda: END)
    server = await dashboard.serve(core, port=0)
    base = server.base
    pages = ("activity", "engagement", "topics", "matching", "events", "digests")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(server.link(community, 0)) as r:
            assert r.status == 200
        print(
            f"{'page':<12}{'range':<10}{'median ms':>10}{'max ms':>9}{'count(*) ms':>13}{'ratio':>8}"
        )
        worst = 0.0
        for label, query in RANGES.items():
            days = 365 if query else 56
            t1 = int(END.timestamp())
            t0 = t1 - days * DAY
            bare = min(bare_count(path, community, t0, t1) for _ in range(3))
            for slug in pages:
                async with http.get(f"{base}/c/{community}/{slug}{query}") as r:
                    await r.read()  # warm: the file's pages in the OS cache, imports done
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    async with http.get(f"{base}/c/{community}/{slug}{query}") as r:
                        await r.read()
                        assert r.status == 200, (slug, r.status)
                    times.append(time.perf_counter() - t)
                med = statistics.median(times)
                worst = max(worst, max(times))
                print(f"{slug:<12}{label:<10}{med * 1000:>10.0f}{max(times) * 1000:>9.0f}"
                      f"{bare * 1000:>13.0f}{med / bare:>8.1f}")  # fmt: skip
        print(f"slowest page load: {worst * 1000:.0f} ms (target < 500 ms)")
    await core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        if not path.exists():
            t = time.perf_counter()
            community, rolled = build(path, args.messages)
            print(f"built {args.messages:,} messages in {time.perf_counter() - t:.0f} s; "
                  f"first rollup of all of them took {rolled:.1f} s (later ones fold only new rows)")  # fmt: skip
        else:
            community = 1
        asyncio.run(measure(path, community, args.runs))


if __name__ == "__main__":
    main()
