"""Telegram webhook benchmark: updates taken through the webhook vs polling, and the endpoint
vs a bare one.

Everything runs against the loopback Bot API of the tests (tests/fakes/telegram_server.py),
in the same run, on one core and a SQLite store in a temporary folder. Prints, for N group
messages:

- end to end: updates/s from the first update to the last one stored, through the webhook
  (N POSTs, `--connections` at a time, as Telegram keeps several connections open) next to
  polling (`getUpdates`, the default mode), and the ratio;
- the endpoint: POSTs/s answered by the webhook (secret check, JSON, PTB's `Update`, the
  queue) next to a bare Starlette endpoint on the same uvicorn answering 200, and the ratio.

Run:
    .venv/bin/python bench/telegram_webhook.py [--updates N] [--connections C]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ.setdefault("NO_PROXY", "127.0.0.1")

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from adapters.telegram.webhook import SECRET_HEADER, WebhookSettings
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store
from tests.fakes.telegram_server import FakeBotAPI, free_port

GROUP = -1009000
URL = "https://bot.example.org/telegram"
SECRET = "bench-secret"


def update(n: int) -> bytes:
    message = {
        "message_id": n,
        "date": 1_790_000_000,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Bench"},
        "from": {"id": 100 + n % 50, "is_bot": False, "first_name": f"M{n % 50}"},
        "text": f"bench message {n}",
    }
    return json.dumps({"update_id": n, "message": message}).encode()


async def post_all(url: str, bodies: list[bytes], connections: int) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    queue = list(reversed(bodies))
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                async with http.post(url, data=body, headers=headers) as r:
                    assert r.status == 200, r.status

        await asyncio.gather(*(worker() for _ in range(connections)))


async def stored(core: Core, n: int) -> None:
    while True:
        await asyncio.to_thread(core.store.flush)
        rows = core.store.rows("SELECT count(*) AS n FROM activity")
        if int(rows[0]["n"]) >= n:
            return
        await asyncio.sleep(0.02)


def adapter(core: Core, fake: FakeBotAPI, webhook: WebhookSettings | None) -> TelegramAdapter:
    return TelegramAdapter(
        core,
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        rate_limiter=ChatRateLimiter(per_second=10**6, group_per_minute=10**6),
        poll_timeout=1,
        webhook=webhook,
    )


async def end_to_end(folder: Path, n: int, connections: int, mode: str) -> tuple[float, float]:
    """(updates/s stored, POSTs/s answered; 0 for polling)."""
    async with FakeBotAPI() as fake:
        fake.group(GROUP, "Bench")
        core = Core(Config(database=folder / f"{mode}.db"), Store(folder / f"{mode}.db"))
        await core.start()
        settings = WebhookSettings(URL, SECRET, "127.0.0.1", 0) if mode == "webhook" else None
        bot = adapter(core, fake, settings)
        await bot.start()
        try:
            bodies = [update(i) for i in range(1, n + 1)]
            start = time.perf_counter()
            answered = 0.0
            if bot.webhook_server is not None:
                local = f"http://127.0.0.1:{bot.webhook_server.port}/telegram"
                await post_all(local, bodies, connections)
                answered = n / (time.perf_counter() - start)
            else:
                for body in bodies:
                    fake.inject({"message": json.loads(body)["message"]})
            await stored(core, n)
            return n / (time.perf_counter() - start), answered
        finally:
            await bot.stop()
            await core.close()


async def bare_endpoint(n: int, connections: int) -> float:
    """POSTs/s answered by a Starlette endpoint that only returns 200, on the same uvicorn."""

    async def ok(_: Request) -> Response:
        return Response(status_code=200)

    port = free_port()
    config = uvicorn.Config(
        Starlette(routes=[Route("/telegram", ok, methods=["POST"])]),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError("the bare server did not start")
        await asyncio.sleep(0.01)
    try:
        start = time.perf_counter()
        await post_all(
            f"http://127.0.0.1:{port}/telegram", [update(i) for i in range(n)], connections
        )
        return n / (time.perf_counter() - start)
    finally:
        server.should_exit = True
        await task


async def main(n: int, connections: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        polled, _ = await end_to_end(folder, n, connections, "polling")
        hooked, answered = await end_to_end(folder, n, connections, "webhook")
        bare = await bare_endpoint(n, connections)
    print(f"{n} group messages, {connections} connections to the webhook")
    print(f"end to end, webhook : {hooked:8.0f} updates/s stored")
    print(f"end to end, polling : {polled:8.0f} updates/s stored (baseline)")
    print(f"  ratio webhook / polling: {hooked / polled:.2f}")
    print(f"webhook endpoint    : {answered:8.0f} POSTs/s answered")
    print(f"bare Starlette 200  : {bare:8.0f} POSTs/s answered (baseline)")
    print(f"  ratio endpoint / bare: {answered / bare:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.connections))
