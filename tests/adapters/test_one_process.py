"""Discord and Telegram in one process, on one loop, sharing one core and one community.

The real discord.py and python-telegram-bot run against the loopback fakes at the same time;
a Telegram group and a Discord server linked in the config form one community.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from bot.config import CommunityConfig, Config
from bot.core import Core
from bot.replies import Reply, Target
from bot.storage.store import Store
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeBotAPI

GROUP = -1005550001
GUILD, CHANNEL = 830000000000000001, 830000000000000002
ANN, DORA = 601, 840000000000000001


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.patch(monkeypatch)
        channel = server.text_channel(CHANNEL, "general")
        server.add_guild(
            GUILD, "Founders Lounge", channels=[channel], members=[server.member(DORA, "dora")]
        )
        yield server


@pytest.fixture
async def telegram_fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.group(GROUP, "Founders Chat")
        server.user(ANN, "Ann", username="ann")
        yield server


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    linked = CommunityConfig(
        "Founders Guild",
        "community:founders-guild",
        discord_guilds=(str(GUILD),),
        telegram_chats=(str(GROUP),),
    )
    config = Config(database=tmp_path / "c.db", communities=(linked,))
    core = Core(config, Store(config.database))
    await core.start()
    yield core
    await core.close()


async def test_both_platforms_share_one_loop_and_one_community(
    core: Core, discord_fake: FakeDiscord, telegram_fake: FakeBotAPI
) -> None:
    telegram = TelegramAdapter(
        core,
        telegram_fake.token,
        base_url=telegram_fake.base_url,
        base_file_url=telegram_fake.base_file_url,
        poll_timeout=5,
        rate_limiter=ChatRateLimiter(
            per_second=1000, group_per_minute=1000, private_per_second=1000
        ),
    )
    discord_bot = DiscordAdapter(core, "fake-token", guild_ready_timeout=0.05, join_backfill_days=0)
    await asyncio.wait_for(asyncio.gather(telegram.start(), discord_bot.start()), 15)
    try:
        dora = discord_fake.user(DORA, "dora")
        for text in ("hello from discord", "second from discord"):
            await discord_fake.dispatch(
                "MESSAGE_CREATE", discord_fake.message(CHANNEL, dora, text, guild=GUILD)
            )
        telegram_fake.message(telegram_fake.chats[GROUP], telegram_fake.user(ANN), "hi from tg")

        def logged() -> int:
            core.store.flush()
            return int(core.store.scalar("SELECT count(*) FROM activity WHERE kind = 0"))

        for _ in range(250):
            if logged() == 3:
                break
            await asyncio.sleep(0.02)
        assert logged() == 3
        assert core.store.scalar("SELECT count(DISTINCT community) FROM activity") == 1

        before = len(telegram_fake.sent())
        telegram_fake.message(telegram_fake.chats[GROUP], telegram_fake.user(ANN), "/leaderboard")
        await telegram_fake.wait_for(lambda: len(telegram_fake.sent()) > before, what="board")
        board = str(telegram_fake.sent()[before].params["text"])
        assert "dora" in board  # a Discord member, answered in the Telegram group
        assert "Ann" in board

        # A reply addressed to the other platform goes out through the core.
        await core.send(Reply("Weekly digest is out", to=Target("discord", chat=str(CHANNEL))))
        posts = discord_fake.find("POST", f"/channels/{CHANNEL}/messages")
        assert any("Weekly digest is out" in str(p.json) for p in posts)
    finally:
        await discord_bot.stop()
        await telegram.stop()
