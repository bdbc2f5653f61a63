"""Benchmark: build a weekly digest over 1,000,000 stored messages whose embeddings are cached.

Usage:
    .venv/bin/python bench/digest.py [--rows 3000000] [--keep] [--postgresql URL]

Runs on SQLite, then on PostgreSQL (`--postgresql URL` of an empty database, else a throwaway
local server when initdb/pg_ctl are installed). Writes the rows straight into the store
through the real schema, with each engine's bulk path, and counts their rollups: the demo
community's 8 weeks of chat (bot/demo/community.py at 1,500 messages a day: tens of thousands of
distinct texts, planted rising topics) repeated with jittered times and spread over 2,000
members until there are `--rows` messages. Every distinct text's vector is cached beforehand (FakeEmbedder, so no model time is
measured; the digest only reads vectors), then the digest is built as the scheduler would.

Printed for each engine: setup figures, the activity commands' reads beside a plain
`SELECT count(*)`, the digest build time with its SQL, topic and chart parts, and the ratio to
a baseline measured in the same run on the same engine: a bare `SELECT day, count(*) ...
GROUP BY day` over all rows (the least a digest without rollups must read).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Config
from bot.core import Core
from bot.demo.community import generate
from bot.features.digests.build import build_digest
from bot.features.digests.data import collect, window_for
from bot.features.digests.feature import Digests, latest_digest
from bot.storage.activity import community_activity, member_stats, top_members
from bot.storage.engine import Engine, PgConnection
from bot.storage.store import Store
from bot.storage.writer import ACTIVITY_COLUMNS, INSERT_ACTIVITY
from tests.fake_embedder import FakeEmbedder

END = datetime(2026, 11, 30, 8, tzinfo=UTC)  # a Monday morning, when a weekly digest fires
MEMBERS = 2000


def fill(db: str | Path, rows: int, seed: int = 7) -> tuple[Core, list[str]]:
    """A core over a fresh database holding `rows` messages; returns it and the distinct texts."""
    demo = generate(seed, end=END, messages_per_day=1500)
    store = Store(db)
    config = Config(store_url=db) if isinstance(db, str) else Config(database=db)
    core = Core(config, store, clock=lambda: END, embedder=FakeEmbedder(cache=store))
    community = store.community("bench", "Bench Community")
    chat = store.chat(community, "fake", "general")
    start = int(END.timestamp()) - 56 * 86400
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO members (id, community, name, first_seen, joined_at) VALUES (?, ?, ?, ?, ?)",
            [(m, community, f"Member {m}", start, start) for m in range(1, MEMBERS + 1)],
        )
    rng = random.Random(seed)
    base = [(int(m.at.timestamp()), m.text) for m in demo.messages]
    batch: list[tuple[object, ...]] = []
    for i in range(rows):
        at, text = base[i % len(base)]
        at = min(int(END.timestamp()) - 1, at + rng.randrange(-1800, 1800))
        batch.append((community, rng.randrange(1, MEMBERS + 1), chat, at, 0, len(text), text))
        if len(batch) == 100_000:
            _insert(store, batch)
            batch = []
    _insert(store, batch)
    with store.transaction() as c:  # the rollups as the writer leaves them once compacted
        for sql in ROLLUPS:
            c.execute(sql)
    if store.engine.postgres:
        store.conn.execute("ANALYZE")  # fresh tables: give the planner its statistics
    return core, sorted({t for _, t in base})


ROLLUPS = (
    "INSERT INTO activity_hours SELECT community, at / 3600, kind, count(*) FROM activity "
    "GROUP BY 1, 2, 3",
    "INSERT INTO member_days SELECT community, at / 86400, member, kind, count(*) "
    "FROM activity GROUP BY 1, 2, 3, 4",
)


def _insert(store: Store, batch: list[tuple[object, ...]]) -> None:
    """The rows through each engine's bulk path (executemany on SQLite, COPY on PostgreSQL)."""
    with store.transaction() as c:
        if isinstance(c, PgConnection):
            c.copy_rows("activity", ACTIVITY_COLUMNS, batch)
        else:
            c.executemany(INSERT_ACTIVITY, batch)


def timed(fn: Callable[[], object], runs: int = 3) -> float:
    """Best wall time of `runs` calls, in seconds."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def reads(db: str | Path) -> dict[str, float]:
    """Wall times of the activity commands' reads and of a plain count over the same rows."""
    now = int(END.timestamp())
    engine = Engine(db)
    conn = engine.connect()
    out = {
        "/stats": timed(lambda: member_stats(conn, 1, 17, now, 0)),
        "/leaderboard 30": timed(lambda: top_members(conn, 1, now - 30 * 86400)),
        "/activity 30": timed(lambda: community_activity(conn, 1, now - 30 * 86400, now, 0)),
        "SELECT count(*)": timed(
            lambda: conn.execute("SELECT count(*) FROM activity WHERE community = 1").fetchone()
        ),
    }
    conn.close()
    engine.dispose()
    return out


def baseline(db: str | Path) -> float:
    engine = Engine(db)
    conn = engine.connect()
    started = time.perf_counter()
    conn.execute(
        "SELECT at / 86400 AS day, count(*) FROM activity WHERE community = 1 AND kind = 0 "
        "GROUP BY day"
    ).fetchall()
    elapsed = time.perf_counter() - started
    conn.close()
    engine.dispose()
    return elapsed


async def run(db: str | Path, rows: int) -> None:
    print(f"-- {'PostgreSQL' if isinstance(db, str) else 'SQLite'}")
    started = time.perf_counter()
    core, texts = fill(db, rows)
    print(f"setup: {rows:,} messages, {len(texts):,} distinct texts, {MEMBERS:,} members "
          f"written in {time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    assert core.embedder is not None
    await core.embedder.aencode(texts)
    print(f"setup: cached {len(texts):,} vectors in {time.perf_counter() - started:.1f} s")

    base = min(baseline(db) for _ in range(3))
    times = reads(db)
    count = times.pop("SELECT count(*)")
    for name, seconds in times.items():
        print(f"read: {name:<16} {seconds * 1000:8.1f} ms (aim: under 100 ms); "
              f"{seconds / count:.3f}x a plain SELECT count(*) over the rows ({count * 1000:.0f} ms)")  # fmt: skip
    encoded = core.embedder.encoded_texts
    started = time.perf_counter()
    cold = await build_digest(core, 1, END, 7)
    cold_time = time.perf_counter() - started
    started = time.perf_counter()
    await core.feature(Digests).refresh_topics(1)
    refresh = time.perf_counter() - started
    started = time.perf_counter()
    digest = await latest_digest(core, 1, end=END)  # what /digest preview runs
    total = time.perf_counter() - started
    assert digest.topics is not None, "no topics"
    assert digest.topics is not cold.topics, "the background report was not used"
    assert core.embedder.encoded_texts == encoded, "the digest had to encode texts"
    print(f"digest: cold build (topics worked out on the spot) {cold_time:.2f} s; background "
          f"topic refresh {refresh:.2f} s (every 10 min at most, off the command path)")  # fmt: skip
    window = window_for(END, 7)
    started = time.perf_counter()
    data = await asyncio.to_thread(collect, core.store.reader(), 1, window)
    sql = time.perf_counter() - started
    topics = digest.topics
    print(f"digest: /digest preview built in {total:.2f} s (aim: under 2 s; {total / count:.2f}x "
          f"the plain count); a cold digest's SQL and sampling "
          f"{sql:.2f} s for {len(data.topic_texts):,} sampled texts of {data.stored_texts:,}")  # fmt: skip
    if topics is not None:
        print(f"digest: {len(topics.topics)} topics, {len(topics.rising)} rising, "
              f"{len(topics.fading)} fading, {topics.unassigned_share:.1%} unassigned")  # fmt: skip
    print(f"digest: chart {len(digest.chart or b''):,} bytes; fields: "
          + "; ".join(f"{k}: {v}" for k, v in digest.reply.fields[:3]))  # fmt: skip
    print(f"baseline: GROUP BY day over all rows {base:.2f} s; digest / baseline = "
          f"{total / base:.1f}x")  # fmt: skip
    await core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temp SQLite database")
    parser.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="convene-bench-digest-"))
    try:
        asyncio.run(run(folder / "bench.db", args.rows))
    finally:
        if args.keep:
            print(f"kept {folder / 'bench.db'}")
        else:
            shutil.rmtree(folder)
    from tests.pg import SKIPPED, databases

    with databases(args.postgresql) as database:
        if database is None:
            print(f"-- {SKIPPED}")
            return
        asyncio.run(run(database(), args.rows))


if __name__ == "__main__":
    main()
