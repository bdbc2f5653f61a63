"""One bot process of the multi-process tests: a real Core on a shared PostgreSQL store, the
real Discord adapter (discord.py, one gateway shard) and/or the real Telegram adapter in
webhook mode (PTB, Starlette, uvicorn), against the test's fake servers.

    python -m tests.scheduling.bot_process STORE_URL FOLDER INDEX [--discord PORT SHARDS]
        [--telegram BOT_API_URL] [--clock]

With ``--discord`` it runs shard INDEX of SHARDS against the fake Discord on PORT; with
``--telegram`` it listens for the fake Bot API's webhook POSTs on a free loopback port; with
``--clock`` the core reads the time from FOLDER/clock (an ISO time the test moves) and the
scheduler sweeps and asks for the lead often. Every request it makes to either platform
carries ``convene-process/INDEX`` in its User-Agent, so the fakes can tell who sent it.

Once it takes events it writes ``{"pid", "port", "leader", "beats"}`` to FOLDER/status-INDEX
and rewrites it every 0.1 s (`beats` counts the rewrites). SIGTERM stops it cleanly (what
was accepted is handled first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from telegram.request import HTTPXRequest

from adapters.discord.adapter import DiscordAdapter
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from adapters.telegram.webhook import WebhookSettings
from bot.config import Config
from bot.core import Core, utcnow
from bot.scheduling.scheduler import Scheduler
from bot.storage.store import Store

TOKEN = "123456:TEST-token"  # the fake Bot API's
URL = "https://bot.example.org/telegram"  # the public address; the fake posts to our ports
SECRET = "many-processes_secret"


def tag(index: int) -> str:
    """What this process adds to its User-Agent."""
    return f"convene-process/{index}"


class FileClock:
    """The time written in a file (the test moves it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip())


class TaggedDiscord(DiscordAdapter):
    """The Discord adapter, saying which process it is in its REST calls' User-Agent."""

    tag = ""

    def _make_client(self, privileged: bool) -> Any:
        client, tree = super()._make_client(privileged)
        client.http.user_agent += f" {self.tag}"
        return client, tree


async def run(args: argparse.Namespace) -> None:
    folder: Path = args.folder
    clock = FileClock(folder / "clock") if args.clock else utcnow
    core = Core(Config(store_url=args.store), Store(args.store), clock=clock)
    scheduler = core.feature(Scheduler)
    if args.clock:
        scheduler.sweep_seconds = 0.3
        scheduler.leader_seconds = 0.5
    adapters: list[DiscordAdapter | TelegramAdapter] = []
    if args.discord:
        port, shards = args.discord
        discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
        gateway = yarl.URL(f"ws://127.0.0.1:{port}/gw/")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        chat = TaggedDiscord(
            core,
            "fake-token",
            guild_ready_timeout=0.05,
            join_backfill_days=0,
            shard_count=shards,
            shard_ids=(args.index,),
        )
        chat.tag = tag(args.index)
        adapters.append(chat)
    webhook = None
    if args.telegram:
        HTTPXRequest.USER_AGENT = f"{HTTPXRequest.USER_AGENT} {tag(args.index)}"  # type: ignore[misc]
        webhook = TelegramAdapter(
            core,
            TOKEN,
            base_url=args.telegram,
            base_file_url=args.telegram,
            rate_limiter=ChatRateLimiter(per_second=1000, group_per_minute=1000),
            webhook=WebhookSettings(URL, SECRET, "127.0.0.1", 0),
        )
        adapters.append(webhook)
    await core.start()
    for adapter in adapters:
        await adapter.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    status = folder / f"status-{args.index}"
    beats = 0
    while not stop.is_set():
        beats += 1
        state = {
            "pid": os.getpid(),
            "port": webhook.webhook_server.port if webhook and webhook.webhook_server else 0,
            "leader": scheduler.leader.leading,
            "beats": beats,
        }
        status.with_suffix(".tmp").write_text(json.dumps(state))
        status.with_suffix(".tmp").replace(status)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    for adapter in reversed(adapters):
        await adapter.stop()
    await core.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("folder", type=Path)
    parser.add_argument("index", type=int)
    parser.add_argument("--discord", nargs=2, type=int, metavar=("PORT", "SHARDS"))
    parser.add_argument("--telegram", metavar="BOT_API_URL")
    parser.add_argument("--clock", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    asyncio.run(run(arguments()))
