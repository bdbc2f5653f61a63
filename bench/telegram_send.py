"""Telegram send benchmark: replies through the adapter vs raw python-telegram-bot calls.

Both run against the loopback Bot API of the tests (tests/fakes/telegram_server.py) in the
same run. Prints, for N replies to N different groups:

- throughput: replies/s through `TelegramAdapter.deliver` (PTB's rate-limiter hook with
  the limits opened wide, HTML rendering, the retrying sender) next to a bare
  ``bot.send_message`` loop, and the ratio;
- under faults (every 10th sendMessage answers 500, every 25th 502): the share of replies
  delivered by the adapter next to the same raw loop, which has no retries.

Run:
    .venv/bin/python bench/telegram_send.py [--replies N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ.setdefault("NO_PROXY", "127.0.0.1")

from telegram import Bot
from telegram.error import TelegramError

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from bot.config import Config
from bot.core import Core
from bot.replies import Reply, Target
from bot.storage.store import Store
from tests.fakes.telegram_server import FakeBotAPI

GROUPS = [-1007000000 - i for i in range(1000)]


def inject_faults(fake: FakeBotAPI) -> None:
    """Every 10th call answers 500 and every 25th 502 (counted over the run's calls)."""
    seen = {"n": 0}

    def nth(every: int) -> Callable[[dict], bool]:
        def when(_: dict) -> bool:
            return seen["n"] % every == 0

        return when

    def count(_: dict) -> bool:
        seen["n"] += 1
        return False

    fake.fail("sendMessage", 500, times=10**9, when=count)  # never matches: only counts
    fake.fail("sendMessage", 502, times=10**9, when=nth(25))
    fake.fail("sendMessage", 500, times=10**9, when=nth(10))


async def raw(fake: FakeBotAPI, replies: int) -> tuple[float, int]:
    sent = 0
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        started = time.perf_counter()
        for i in range(replies):
            try:
                await bot.send_message(GROUPS[i % len(GROUPS)], f"Weekly digest {i}")
                sent += 1
            except TelegramError:
                pass
        return time.perf_counter() - started, sent


async def adapter(fake: FakeBotAPI, replies: int, folder: Path) -> tuple[float, int]:
    store = Store(folder / "bench.db")
    core = Core(Config(database=folder / "bench.db"), store, [])
    limiter = ChatRateLimiter(per_second=10**6, group_per_minute=10**6, private_per_second=10**6)
    bot = TelegramAdapter(
        core, fake.token, base_url=fake.base_url, rate_limiter=limiter, send_backoff=0.001
    )
    await bot.start()
    try:
        started = time.perf_counter()
        sent = 0
        for i in range(replies):
            target = Target("telegram", chat=str(GROUPS[i % len(GROUPS)]))
            sent += await bot.deliver(Reply(f"Weekly digest {i}", to=target))
        return time.perf_counter() - started, sent
    finally:
        await bot.stop()
        await core.close()


async def main(replies: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("a", "b"):
            (folder / name).mkdir()
        async with FakeBotAPI() as fake:
            raw_s, _ = await raw(fake, replies)
        async with FakeBotAPI() as fake:
            ours_s, _ = await adapter(fake, replies, folder / "a")
        async with FakeBotAPI() as fake:
            inject_faults(fake)
            _, raw_sent = await raw(fake, replies)
        async with FakeBotAPI() as fake:
            inject_faults(fake)
            _, ours_sent = await adapter(fake, replies, folder / "b")
    print(f"replies: {replies}")
    print(f"raw PTB send_message: {replies / raw_s:8.0f} replies/s")
    print(f"TelegramAdapter.deliver: {replies / ours_s:8.0f} replies/s")
    print(f"throughput ratio (adapter / raw): {raw_s / ours_s:.2f}")
    print(f"delivered under 5xx faults: raw {raw_sent}/{replies}, adapter {ours_sent}/{replies}")
    print(f"delivered ratio under faults (adapter / raw): {ours_sent / max(raw_sent, 1):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--replies", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.replies))
