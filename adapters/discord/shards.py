"""Gateway shards through discord.py's own machinery: `AutoShardedClient`.

Discord sends a guild's events only to the shard ``(guild_id >> 22) % shard_count`` and
private messages only to shard 0. One process may run every shard (``shard_count = "auto"``
asks Discord how many); several processes sharing one token each run some (``shard_ids``),
so each guild's events reach exactly one of them. Sending needs no shard: it goes over REST.
"""

from __future__ import annotations

from typing import Any, Literal

import discord

from adapters.discord.buttons import ConveneClient, Press

ShardCount = int | Literal["auto"] | None


class ShardedConveneClient(ConveneClient, discord.AutoShardedClient):
    """`ConveneClient` (button presses) on discord.py's sharded client."""


def make_client(
    press: Press,
    shard_count: ShardCount = None,
    shard_ids: tuple[int, ...] | None = None,
    **options: Any,
) -> ConveneClient:
    """The plain client when `shard_count` is None, else the sharded one for these shards."""
    if shard_count is None:
        return ConveneClient(press, **options)
    count = None if shard_count == "auto" else shard_count
    ids = list(shard_ids) if shard_ids is not None else None
    return ShardedConveneClient(press, shard_count=count, shard_ids=ids, **options)


def describe(client: discord.Client) -> str:
    """For the log: which shards this process runs, e.g. "shards 0, 1 of 4"."""
    if isinstance(client, discord.AutoShardedClient):
        ids = sorted(client.shards)
        plural = "s" if len(ids) != 1 else ""
        text = f"shard{plural} {', '.join(map(str, ids))} of {client.shard_count}"
        return text if 0 in ids else text + "; private messages go to the process with shard 0"
    return "one connection"
