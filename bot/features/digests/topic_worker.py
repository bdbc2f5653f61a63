"""Background embedding of chat messages, so a digest finds their vectors already cached.

The message listener only queues (community, text); a background task batches the queue and
encodes it through `core.embedder.aencode` (a worker thread, cached in the store's `vectors`
table by text hash), so the event loop never waits for the model.

Busy communities are sampled per day with a *bottom-k sketch*: of a day's distinct texts we
keep the `DAILY_SAMPLE` with the smallest CRC-32. The digest picks its sample with the same
rule (`bottom_k`), so it finds the worker's vectors in the cache; the worker encodes about
k·(1 + ln(m/k)) texts for m distinct texts a day, which keeps the cost bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import sqlite3
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.storage import versions
from bot.text import MAX_INPUT, clean
from models.embedder import text_hash

if TYPE_CHECKING:
    from bot.core import Core
    from models.topics.extract import TopicReport

log = logging.getLogger("convene.topics")
DAILY_SAMPLE = 400  # distinct texts per community and UTC day used for topics
QUEUE_LIMIT = 20_000  # texts waiting for the model; beyond this new ones are dropped
BATCH = 128
DAY = 86400
REFRESH = 600  # seconds between background topic refreshes of one community
BUSY = 500  # messages since the last refresh that make a community worth a refresh
STALE = 1800  # a background report older than this (or for another end) is not used


@dataclass(frozen=True, slots=True)
class CachedReport:
    """A topic report the background worker made for the period ending at `end`."""

    end: int
    made: float  # time.time() when it was made
    report: TopicReport | None
    notes: tuple[str, ...]


def priority(text: str) -> int:
    """The sampling key of a text: stable across processes, cheap (CRC-32)."""
    return zlib.crc32(text.encode("utf-8"))


def bottom_k(texts: Iterable[str], k: int = DAILY_SAMPLE) -> list[str]:
    """The k distinct texts with the smallest `priority` (all of them if fewer)."""
    distinct = {priority(t): t for t in texts}
    return [distinct[p] for p in heapq.nsmallest(k, distinct)]


@dataclass
class DailySample:
    """Per UTC day, the sampled distinct texts of a community's messages."""

    by_day: dict[int, list[str]]
    stored: int  # messages with text in the range
    sampled_days: int  # days that had more distinct texts than the cap
    cap: int


def daily_sample(
    conn: sqlite3.Connection, community: int, start: int, end: int, *, close: bool = False
) -> DailySample:
    """The bottom-k sample of each UTC day's texts in [start, end) (run in a worker thread)."""
    cap = DAILY_SAMPLE
    days: dict[int, list[str]] = defaultdict(list)
    stored = 0
    try:
        rows = conn.execute(
            "SELECT at, text FROM activity WHERE community = ? AND kind = 0 AND at >= ? "
            "AND at < ? AND text IS NOT NULL AND text != ''",
            (community, start, end),
        )
        for at, text in rows:
            days[at // DAY].append(text)
            stored += 1
    finally:
        if close:
            conn.close()
    by_day, sampled = {}, 0
    for day, texts in days.items():
        by_day[day] = bottom_k(texts, cap)
        sampled += len(by_day[day]) < len(set(texts))
    return DailySample(by_day, stored, sampled, cap)


class _DaySketch:
    """The k smallest priorities seen so far in one (community, day)."""

    __slots__ = ("heap", "seen")

    def __init__(self) -> None:
        self.heap: list[int] = []  # negated priorities: heap[0] is minus the largest kept
        self.seen: set[int] = set()

    def offer(self, key: int, k: int) -> bool:
        if key in self.seen:
            return False
        if len(self.heap) < k:
            heapq.heappush(self.heap, -key)
        elif key < -self.heap[0]:
            self.seen.discard(-heapq.heappushpop(self.heap, -key))
        else:
            return False
        self.seen.add(key)
        return True


class TopicWorker:
    """Queues message texts cheaply and embeds them in batches in the background."""

    def __init__(self, core: Core, *, daily_sample: int = DAILY_SAMPLE, idle: float = 2.0):
        self.core = core
        self.daily_sample = daily_sample
        self.idle = idle
        self.queue: deque[str] = deque()
        self.dropped = 0
        self.encoded = 0
        self._days: dict[tuple[int, int], _DaySketch] = {}
        self._wake = asyncio.Event()
        self.reports: dict[tuple[int, int], CachedReport] = {}
        self.arrived: dict[int, int] = {}  # messages per community since its last refresh
        self._refreshed: dict[int, float] = {}
        self.refresh: Callable[[int], Awaitable[object]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._members = core.store.version(versions.MEMBERS)  # the queue was filled under it

    def _current(self, version: int) -> bool:
        """Drop the queue and the reports when a member's choices changed in any process
        (an erasure or opt-out elsewhere cannot call `drop` here); False if they were."""
        if version == self._members:
            return True
        self.queue.clear()
        self.reports.clear()
        self._members = version
        return False

    def offer(self, community: int, at: int, text: str) -> bool:
        """Queue a text if it belongs to its day's sample; cheap, never blocks."""
        if self.core.embedder is None or not text.strip():
            return False
        self._current(self.core.store.version(versions.MEMBERS))
        day = at // DAY
        sketch = self._days.get((community, day))
        if sketch is None:
            self._forget_old_days(day)
            sketch = self._days[(community, day)] = _DaySketch()
        self.arrived[community] = self.arrived.get(community, 0) + 1
        if not sketch.offer(priority(text), self.daily_sample):
            return False
        if len(self.queue) >= QUEUE_LIMIT:
            self.dropped += 1
            return False
        self.queue.append(text)
        if len(self.queue) >= BATCH:
            self._wake.set()
        return True

    def drop(self, texts: list[str]) -> None:
        """Remove these texts (as stored, or as they arrived) from the queue (an erasure)."""
        gone = set(texts)
        kept = [t for t in self.queue if t not in gone and clean(t)[:MAX_INPUT] not in gone]
        self.queue.clear()
        self.queue.extend(kept)

    def _forget_old_days(self, today: int) -> None:
        for key in [k for k in self._days if k[1] < today - 1]:
            del self._days[key]

    async def backfill(self, community: int, days: int = 28) -> int:
        """Queue the sampled texts of the last `days` days that have no cached vector yet.

        Covers history that never passed the listener (imports, the demo, a restart).
        """
        embedder = self.core.embedder
        if embedder is None or embedder.cache is None:
            return 0
        end = int(self.core.clock().timestamp()) + 1
        store, start = self.core.store, end - days * DAY
        sample = await asyncio.to_thread(  # the reader flushes the buffer first: off the loop
            lambda: daily_sample(store.reader(), community, start, end, close=True)
        )
        texts = [t for day in sorted(sample.by_day, reverse=True) for t in sample.by_day[day]]
        hashes = [text_hash(t) for t in texts]
        cached = await asyncio.to_thread(embedder.cache.get_many, embedder.model_id, hashes)
        queued = set(self.queue)
        missing = [
            t for t, h in zip(texts, hashes, strict=True) if h not in cached and t not in queued
        ]
        room = max(0, QUEUE_LIMIT - len(self.queue))
        self.queue.extend(missing[:room])
        self._wake.set()
        return min(room, len(missing))

    async def drain(self, progress: Callable[[int], object] | None = None) -> int:
        """Encode everything queued now; returns how many texts were sent to the embedder.

        `progress` is called with the size of each batch done (e.g. a progress bar's update).
        """
        done = 0
        store = self.core.store
        while self.queue and self.core.embedder is not None:
            if not self._current(store.version(versions.MEMBERS, fresh=True)):
                break
            batch = [self.queue.popleft() for _ in range(min(BATCH, len(self.queue)))]
            try:
                await self.core.embedder.aencode(batch)
            except Exception:
                log.exception("background embedding failed for %s texts", len(batch))
                continue
            if not self._current(store.version(versions.MEMBERS, fresh=True)):
                # a member's texts may have been erased elsewhere while these were encoded
                store.delete_vectors([text_hash(t) for t in batch])
                break
            done += len(batch)
            if progress is not None:
                progress(len(batch))
        self.encoded += done
        return done

    async def run(self) -> None:
        """The background loop: wake on a full batch or after `idle` seconds; after new
        messages, refresh each busy community's topic report at most every `REFRESH` s."""
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
            # arrives as its timeout fires, and stop() then waits forever (seen on exit).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.idle):
                    await self._wake.wait()
            self._wake.clear()
            await self.drain()
            await self._refresh_due()

    async def _refresh_due(self) -> None:
        if self.refresh is None:
            return
        now = time.monotonic()
        for community in sorted(self.arrived):
            if (
                self.arrived[community] < BUSY
                or now - self._refreshed.get(community, -REFRESH) < REFRESH
            ):
                continue  # quiet: the digest works its topics out fast enough on demand
            del self.arrived[community]
            self._refreshed[community] = now
            try:
                await self.refresh(community)
            except Exception:
                log.exception("topic refresh failed for community %s", community)

    def cached_report(self, community: int, days: int, end: int) -> CachedReport | None:
        """The background report for this period, if it is recent enough to stand in."""
        found = self.reports.get((community, days))
        if found is None or abs(found.end - end) > STALE or time.time() - found.made > STALE:
            return None
        return found

    async def backfill_all(self) -> None:
        """Backfill every community, then keep running the background loop."""
        for community in self.core.store.community_ids():
            try:
                await self.backfill(community)
            except Exception:
                log.exception("topic backfill failed for community %s", community)
        await self.run()

    def start(self) -> None:
        """Start the background loop, beginning with a backfill of recent history."""
        if self._task is None and self.core.embedder is not None:
            self._task = asyncio.create_task(self.backfill_all(), name="convene-topics")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
