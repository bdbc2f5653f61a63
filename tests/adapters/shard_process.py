"""One bot process of the two-process shard test: a real Core on a shared PostgreSQL store
and the real discord.py running some shards against the test's fake Discord.

    python -m tests.adapters.shard_process URL PORT SHARD COUNT FOLDER

FOLDER/ready-SHARD appears once the gateway is ready; FOLDER/answered-SHARD gets the id
of every slash command this process answers. Its REST calls carry ``shard-process/SHARD``
in their User-Agent, so the fake can tell who sent them. SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import discord.gateway
import discord.http
import yarl

from adapters.discord.adapter import DiscordAdapter
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store


class TaggedAdapter(DiscordAdapter):
    """The Discord adapter, saying which process it is (User-Agent) and what it answered."""

    tag = ""
    answered = Path()

    async def _slash(self, interaction, command, call):  # type: ignore[no-untyped-def]
        with self.answered.open("a") as out:
            out.write(f"{interaction.id}\n")
        await super()._slash(interaction, command, call)

    def _make_client(self, privileged: bool):  # type: ignore[no-untyped-def]
        client, tree = super()._make_client(privileged)
        client.http.user_agent += f" {self.tag}"
        return client, tree


async def run(url: str, port: int, shard: int, count: int, folder: Path) -> None:
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gw/")
    core = Core(Config(store_url=url), Store(url))
    await core.start()
    adapter = TaggedAdapter(
        core,
        "fake-token",
        guild_ready_timeout=0.05,
        join_backfill_days=0,
        shard_count=count,
        shard_ids=(shard,),
    )
    adapter.tag = f"shard-process/{shard}"
    adapter.answered = folder / f"answered-{shard}"
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await adapter.start()
    ready = folder / f"ready-{shard}"
    ready.with_suffix(".tmp").write_text(json.dumps({"pid": os.getpid()}))
    ready.with_suffix(".tmp").replace(ready)
    try:
        await stop.wait()
    finally:
        await adapter.stop()
        await core.close()


if __name__ == "__main__":
    url, port, shard, count, folder = sys.argv[1:6]
    asyncio.run(run(url, int(port), int(shard), int(count), Path(folder)))
