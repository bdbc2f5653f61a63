"""Flood control for the Telegram adapter: pace sends under Telegram's limits, obey RetryAfter.

Telegram allows about 30 messages a second overall, 20 a minute into one group and about
one a second into one private chat; past that it answers 429 with ``retry_after``. The
`Pacer` keeps sends under those limits (a digest to many groups is spread out, not dropped)
and `send_paced` waits out a RetryAfter and tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import RetryAfter

log = logging.getLogger("convene.telegram")
T = TypeVar("T")


class Pacer:
    """Sliding-window limits: overall, per group chat and per private chat."""

    def __init__(
        self,
        *,
        per_second: int = 25,
        group_per_minute: int = 20,
        private_per_second: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.private_per_second = private_per_second
        self.clock = clock
        self._all: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._held: dict[int, float] = {}

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked to wait: nothing goes to this chat for `seconds`."""
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), self.clock() + seconds)

    def _window(self, chat_id: int) -> tuple[int, float]:
        if chat_id < 0:
            return self.group_per_minute, 60.0
        return self.private_per_second, 1.0

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before the next send to `chat_id` may go (0 = now)."""
        now = self.clock()
        wait = max(0.0, self._held.get(chat_id, 0.0) - now)
        while self._all and now - self._all[0] >= 1.0:
            self._all.popleft()
        if len(self._all) >= self.per_second:
            wait = max(wait, self._all[0] + 1.0 - now)
        limit, span = self._window(chat_id)
        sent = self._chats.get(chat_id)
        if sent:
            while sent and now - sent[0] >= span:
                sent.popleft()
            if len(sent) >= limit:
                wait = max(wait, sent[0] + span - now)
        return wait

    async def wait(self, chat_id: int) -> None:
        """Sleep until a send to `chat_id` is within the limits, then count it."""
        for _ in range(10_000):  # bounded: every pass waits for a window to open
            pause = self.delay(chat_id)
            if pause <= 0:
                break
            await asyncio.sleep(pause)
        now = self.clock()
        self._all.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)
        if len(self._chats) > 10_000:
            self._chats.pop(next(iter(self._chats)))


def retry_seconds(exc: RetryAfter) -> float:
    """`RetryAfter` as seconds, without touching PTB's deprecated int-valued attribute."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return 1.0


async def send_paced(
    pacer: Pacer, chat_id: int, call: Callable[[], Awaitable[T]], *, attempts: int = 4
) -> T:
    """Run one Bot API call within the limits, retrying after each RetryAfter."""
    for attempt in range(1, attempts + 1):
        await pacer.wait(chat_id)
        try:
            return await call()
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if attempt == attempts:
                raise
            log.warning("Telegram flood control on chat %s: waiting %.0f s", chat_id, seconds)
            pacer.hold(chat_id, seconds)
    raise AssertionError("unreachable")
