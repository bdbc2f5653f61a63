"""What keeping several processes' caches current costs the ingest hot path, on each engine.

Pushes the same message events through `Core.handle` into a fresh store twice per round:
once as shipped (the members counter read at most every `POLL_SECONDS` on the loop, and once
per batch inside the writer's transaction, `FOR SHARE` on PostgreSQL) and once with both
checks switched off (the baseline: what a single process would need). Rounds alternate which
side runs first, the best of each is kept, and the ratio checked / baseline is printed for
SQLite and PostgreSQL (`--postgresql URL`, else a throwaway server when initdb/pg_ctl exist).
Run:
    .venv/bin/python bench/freshness.py [--events N] [--rounds R] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import make_events, through_core

from bot.chat_event import ChatEvent
from bot.storage import store as store_module
from bot.storage import versions, writer


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """Both checks off: the counters are never polled, batches are never re-checked."""
    polled, current = versions.POLL_SECONDS, writer.versions.current_rows
    store_module.versions.POLL_SECONDS = math.inf
    writer.versions.current_rows = lambda conn, batch: None  # type: ignore[assignment]
    try:
        yield
    finally:
        store_module.versions.POLL_SECONDS = polled
        writer.versions.current_rows = current  # type: ignore[assignment]


def compare(
    name: str, target: Callable[[int], str | Path], events: list[ChatEvent], rounds: int
) -> None:
    checked, plain = math.inf, math.inf
    for i in range(rounds):  # the order alternates, so neither side always runs first
        for side in (0, 1) if i % 2 == 0 else (1, 0):
            if side == 0:
                checked = min(checked, asyncio.run(through_core(target(2 * i), events)))
            else:
                with unchecked():
                    plain = min(plain, asyncio.run(through_core(target(2 * i + 1), events)))
    n = len(events)
    print(f"{name}, with the cross-process checks: {n / checked:,.0f} events/s ({checked:.2f} s)")
    print(f"{name}, checks off (baseline): {n / plain:,.0f} events/s ({plain:.2f} s)")
    print(f"ratio checked / baseline ({name}): {plain / checked:.2f} (1.00: free)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgresql", metavar="URL", help="a PostgreSQL server's database")
    args = parser.parse_args()
    events = make_events(args.events)
    print(f"events: {len(events):,} messages from 500 members, best of {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        compare("SQLite", lambda i: Path(tmp) / f"run{i}.db", events, args.rounds)
    from tests.pg import SKIPPED, databases

    with databases(args.postgresql) as database:
        if database is None:
            print(SKIPPED)
            return
        compare("PostgreSQL", lambda i: database(), events, args.rounds)


if __name__ == "__main__":
    main()
