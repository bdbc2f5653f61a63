"""One bot process of the webhook test: a real Core on a shared PostgreSQL store and the
real Telegram adapter in webhook mode, against the test's fake Bot API.

    python -m tests.scheduling.telegram_process STORE_URL FOLDER INDEX BOT_API_URL

It listens on a free loopback port and writes ``{"pid", "port"}`` to FOLDER/status-INDEX
once it takes updates; SIGTERM stops it cleanly (what was accepted is handled first).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from adapters.telegram.webhook import WebhookSettings
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store

TOKEN = "123456:TEST-token"  # the fake's
URL = "https://bot.example.org/telegram"  # the public address; the fake posts to our ports
SECRET = "many-processes_secret"


async def run(store_url: str, folder: Path, index: int, api: str) -> None:
    core = Core(Config(store_url=store_url), Store(store_url))
    adapter = TelegramAdapter(
        core,
        TOKEN,
        base_url=api,
        base_file_url=api,
        rate_limiter=ChatRateLimiter(per_second=1000, group_per_minute=1000),
        webhook=WebhookSettings(URL, SECRET, "127.0.0.1", 0),
    )
    await core.start()
    await adapter.start()
    assert adapter.webhook_server is not None
    status = folder / f"status-{index}"
    state = {"pid": os.getpid(), "port": adapter.webhook_server.port}
    status.with_suffix(".tmp").write_text(json.dumps(state))
    status.with_suffix(".tmp").replace(status)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await adapter.stop()
    await core.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    asyncio.run(run(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
