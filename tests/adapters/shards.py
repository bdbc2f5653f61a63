"""Guilds spread over shards, for the shard tests (Discord's rule: ``(id >> 22) % count``)."""

from __future__ import annotations

from typing import Any

from adapters.discord.shards import ShardedConveneClient
from tests.fakes.discord_server import FakeDiscord, Json, shard_of

MEMBER = 850000000000000001


def guild_id(shard: int, count: int, n: int) -> int:
    """The `n`-th guild id that lands on `shard` of `count` (a snowflake-sized id)."""
    gid = ((1_000_000_000_000 + n * count + shard) << 22) + 7
    assert shard_of(gid, count) == shard
    return gid


def channel_of(gid: int) -> int:
    return gid + 1


def add_guilds(fake: FakeDiscord, gids: list[int]) -> None:
    """One server per id, each with a #general and the member."""
    for gid in gids:
        fake.add_guild(
            gid,
            f"Guild {gid % 1000}",
            channels=[fake.text_channel(channel_of(gid), "general")],
            members=[fake.member(MEMBER, "mia")],
        )


def said(fake: FakeDiscord, gid: int, text: str) -> Json:
    """A MESSAGE_CREATE from the member in the guild's #general."""
    return fake.message(channel_of(gid), fake.user(MEMBER, "mia"), text, guild=gid)


async def _identify_at_once(self: Any, shard_id: int | None, *, initial: bool = False) -> None:
    return None


def identify_at_once(setattr: Any) -> None:
    """Drop discord.py's 5 s pause between two shards' IDENTIFYs (Discord's rate limit,
    which the fake does not impose). `setattr`: pytest's ``monkeypatch.setattr`` or ``setattr``."""
    setattr(ShardedConveneClient, "before_identify_hook", _identify_at_once)
