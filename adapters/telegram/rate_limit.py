"""Flood control through PTB's own hook: a `telegram.ext.BaseRateLimiter` for Telegram's limits.

Telegram allows about 30 messages a second overall, 20 a minute into one group and about
one a second into one private chat; past that it answers 429 with ``retry_after``.

PTB's `AIORateLimiter` knows the overall and the per-group limits but not the per-private-chat
one, and one chat's 429 pauses every chat; it also needs the extra `aiolimiter` package. So
this subclass keeps our own sliding windows (overall, per group, per private chat), holds
only the chat Telegram named, and retries a 429 after its ``retry_after`` until a bounded
deadline. As PTB's contract asks, it handles no other error (5xx and network errors are
retried by the sender, `adapters.telegram.send`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("convene.telegram")
# Bot API methods that post a message; only these count against the message limits.
POSTS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "sendPoll",
    }
)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's public `retry_after` in seconds (a timedelta once PTB_TIMEDELTA is on)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatRateLimiter(BaseRateLimiter[None]):
    """Sliding-window limits overall, per group chat and per private chat; 429s retried.

    Args:
        per_second: posts a second, all chats together.
        group_per_minute: posts a minute into one group (negative chat id).
        private_per_second: posts a second into one private chat.
        retry_deadline: how long a 429'd call may keep waiting and retrying, in seconds.
        clock: a monotonic clock (tests may pass their own).
    """

    def __init__(
        self,
        *,
        per_second: int = 25,
        group_per_minute: int = 20,
        private_per_second: int = 1,
        retry_deadline: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.private_per_second = private_per_second
        self.retry_deadline = retry_deadline
        self.clock = clock
        self._all: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._held: dict[int, float] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        self._chats.clear()
        self._held.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a free slot (posts only), call, and retry after each 429 until the deadline."""
        chat = _chat_id(data)
        deadline = self.clock() + self.retry_deadline
        while True:
            if chat is not None and endpoint in POSTS:
                await self.wait(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                if self.clock() + seconds > deadline:
                    raise
                log.warning(
                    "Telegram flood control on %s %s: waiting %.0f s", endpoint, chat, seconds
                )
                if chat is not None and endpoint in POSTS:
                    self.hold(chat, seconds)  # `wait` honours it before the next try
                else:
                    await asyncio.sleep(seconds)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked to wait: nothing goes to this chat for `seconds`."""
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), self.clock() + seconds)

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before the next post to `chat_id` may go (0 = now)."""
        now = self.clock()
        wait = max(0.0, self._held.get(chat_id, 0.0) - now)
        while self._all and now - self._all[0] >= 1.0:
            self._all.popleft()
        if len(self._all) >= self.per_second:
            wait = max(wait, self._all[0] + 1.0 - now)
        limit, span = (
            (self.group_per_minute, 60.0) if chat_id < 0 else (self.private_per_second, 1.0)
        )
        sent = self._chats.get(chat_id)
        if sent:
            while sent and now - sent[0] >= span:
                sent.popleft()
            if len(sent) >= limit:
                wait = max(wait, sent[0] + span - now)
        return wait

    def count(self, chat_id: int) -> None:
        """Record one post to `chat_id` now."""
        now = self.clock()
        self._all.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)
        if len(self._chats) > 10_000:
            self._chats.pop(next(iter(self._chats)))

    async def wait(self, chat_id: int) -> None:
        """Sleep until a post to `chat_id` is within the limits, then count it."""
        for _ in range(10_000):  # bounded: every pass waits for a window to open
            pause = self.delay(chat_id)
            if pause <= 0:
                break
            await asyncio.sleep(pause)
        self.count(chat_id)


def _chat_id(data: dict[str, Any]) -> int | None:
    """The numeric chat a call goes to (``@channel`` names are not paced per chat)."""
    value = data.get("chat_id")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None
