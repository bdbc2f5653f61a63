"""Discord shards in one process: the real discord.py `AutoShardedClient` against the fake.

The fake gives each shard's session only its own guilds' events (and DMs to shard 0), as
Discord does, so a message counted twice or lost shows up in the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter, discord
from bot.config import Config
from bot.core import Core
from bot.replies import Reply, Target
from bot.storage.store import Store
from tests.adapters.shards import (
    MEMBER,
    add_guilds,
    channel_of,
    guild_id,
    identify_at_once,
    said,
)
from tests.fakes.discord_server import FakeDiscord

BOUND = 20.0
CALLBACK = r"/interactions/\d+/[^/]+/callback"
ON_0 = [guild_id(0, 2, n) for n in range(2)]
ON_1 = [guild_id(1, 2, n) for n in range(2)]


async def until(what: str, check: Callable[[], Any]) -> Any:
    """Wait for `check()` to be truthy (generous bound; the bound is not the assertion)."""
    deadline = time.monotonic() + BOUND
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)
    return value


@pytest.fixture(autouse=True)
def _fast_identify(monkeypatch: pytest.MonkeyPatch) -> None:
    identify_at_once(monkeypatch.setattr)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.patch(monkeypatch)
        add_guilds(server, ON_0 + ON_1)
        yield server


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    c = Core(Config(database=tmp_path / "c.db"), Store(tmp_path / "c.db"))
    await c.start()
    yield c
    await c.close()


@pytest.fixture
async def adapters() -> AsyncIterator[list[DiscordAdapter]]:
    started: list[DiscordAdapter] = []
    yield started
    for adapter in started:
        await adapter.stop()


async def connect(core: Core, started: list[DiscordAdapter], **shards: Any) -> DiscordAdapter:
    adapter = DiscordAdapter(
        core, "fake-token", guild_ready_timeout=0.05, join_backfill_days=0, **shards
    )
    started.append(adapter)
    await asyncio.wait_for(adapter.start(), BOUND)
    return adapter


def messages_per_guild(core: Core) -> dict[str, int]:
    core.store.flush()
    rows = core.store.rows(
        "SELECT s.space AS space, count(*) AS n FROM activity a JOIN spaces s ON s.community = a.community "
        "WHERE a.kind = 0 GROUP BY s.space"
    )
    return {str(r["space"]): int(r["n"]) for r in rows}


async def test_one_process_runs_two_shards_and_counts_each_message_once(
    fake: FakeDiscord, core: Core, adapters: list[DiscordAdapter]
) -> None:
    adapter = await connect(core, adapters, shard_count=2)
    client = adapter.client
    assert isinstance(client, discord.AutoShardedClient)
    assert sorted(client.shards) == [0, 1]
    assert sorted(s for s in fake.sessions if s) == [(0, 2), (1, 2)]
    assert {g.id for g in client.guilds} == set(ON_0 + ON_1)

    for n in range(5):
        for gid in ON_0 + ON_1:
            await fake.dispatch("MESSAGE_CREATE", said(fake, gid, f"message {n} in {gid}"))
    expected = {str(gid): 5 for gid in ON_0 + ON_1}
    await until("every message stored", lambda: sum(messages_per_guild(core).values()) >= 20)
    # one more message per shard, stored after everything its session had before it
    for gid in (ON_0[0], ON_1[0]):
        await fake.dispatch("MESSAGE_CREATE", said(fake, gid, "last"))
        expected[str(gid)] += 1
    await until("the last messages", lambda: sum(messages_per_guild(core).values()) >= 22)
    assert messages_per_guild(core) == expected

    # A slash command in a guild on shard 1 is answered once.
    before = len(fake.find("POST", CALLBACK))
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.interaction(
            "help", user=fake.user(MEMBER, "mia"), guild=ON_1[1], channel=channel_of(ON_1[1])
        ),
    )
    calls = await fake.wait_for("POST", CALLBACK, before + 1, within=BOUND)
    assert "/stats" in str(calls[before].json)

    # Sending needs no shard: a post to a channel of either shard goes over REST.
    for gid in (ON_0[1], ON_1[0]):
        assert await core.send(Reply("Digest", to=Target("discord", chat=str(channel_of(gid)))))
        assert fake.find("POST", f"/channels/{channel_of(gid)}/messages")


async def test_a_dm_reaches_shard_zero(
    fake: FakeDiscord, core: Core, adapters: list[DiscordAdapter]
) -> None:
    await connect(core, adapters, shard_count=2)
    before = len(fake.find("POST", CALLBACK))
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.interaction("help", user=fake.user(MEMBER, "mia"), channel=990001),
    )
    calls = await fake.wait_for("POST", CALLBACK, before + 1, within=BOUND)
    assert "/stats" in str(calls[before].json)
    assert len(fake.find("POST", CALLBACK)) == before + 1


async def test_auto_runs_as_many_shards_as_discord_recommends(
    fake: FakeDiscord, core: Core, adapters: list[DiscordAdapter]
) -> None:
    fake.recommended_shards = 3
    adapter = await connect(core, adapters, shard_count="auto")
    assert adapter.client is not None
    assert adapter.client.shard_count == 3
    assert sorted(s for s in fake.sessions if s) == [(0, 3), (1, 3), (2, 3)]
    assert {g.id for g in adapter.client.guilds} == set(ON_0 + ON_1)
    assert fake.find("GET", "/gateway/bot")


async def test_a_process_with_some_shards_sees_and_syncs_only_their_guilds(
    fake: FakeDiscord, core: Core, adapters: list[DiscordAdapter]
) -> None:
    adapter = await connect(core, adapters, shard_count=2, shard_ids=(1,))
    assert adapter.client is not None
    assert fake.sessions == [(1, 2)]
    assert {g.id for g in adapter.client.guilds} == set(ON_1)
    await until("commands synced to its guilds", lambda: len(fake.guild_commands) == 2)
    assert set(fake.guild_commands) == set(ON_1)
    assert not fake.global_commands  # the global tree is published by `convene discord sync`

    for gid in ON_0 + ON_1:
        await fake.dispatch("MESSAGE_CREATE", said(fake, gid, f"hello {gid}"))
    await until("its guilds' messages", lambda: sum(messages_per_guild(core).values()) >= 2)
    await fake.dispatch("MESSAGE_CREATE", said(fake, ON_1[0], "last"))
    await until("the last message", lambda: sum(messages_per_guild(core).values()) >= 3)
    assert messages_per_guild(core) == {str(ON_1[0]): 2, str(ON_1[1]): 1}

    # A server added later on this process's shard is synced here; one on the other is not.
    new_1, new_0 = guild_id(1, 2, 9), guild_id(0, 2, 9)
    add_guilds(fake, [new_1, new_0])
    for gid in (new_0, new_1):
        await fake.dispatch("GUILD_CREATE", fake.joined(fake.guilds[gid]))
    await until("the new guild synced", lambda: new_1 in fake.guild_commands)
    assert adapter.client.get_guild(new_0) is None
    assert new_0 not in fake.guild_commands


async def test_sharded_without_privileged_intents_reconnects_without_them(
    fake: FakeDiscord, core: Core, adapters: list[DiscordAdapter]
) -> None:
    fake.privileged_allowed = 0
    adapter = await connect(core, adapters, shard_count=2)
    assert adapter.client is not None
    assert not adapter.client.intents.message_content
    assert sorted(s for s in fake.sessions if s) == [(0, 2), (1, 2)]
    await fake.dispatch("MESSAGE_CREATE", said(fake, ON_1[0], "secret plans"))
    await until("the message counted", lambda: messages_per_guild(core) == {str(ON_1[0]): 1})
    assert core.store.scalar("SELECT count(*) FROM activity WHERE text IS NOT NULL") == 0


async def test_the_config_shards_reach_the_adapter(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import platform_adapters
    from bot.config import parse

    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    config = parse({"discord": {"enabled": True, "shard_count": 4, "shard_ids": [2, 3]}})
    [adapter] = platform_adapters(core, config)
    assert isinstance(adapter, DiscordAdapter)
    assert (adapter.shard_count, adapter.shard_ids) == (4, (2, 3))
    plain = platform_adapters(core, parse({"discord": {"enabled": True}}))[0]
    assert (plain.shard_count, plain.shard_ids) == (None, None)


async def test_the_log_says_which_shards_run_here(
    fake: FakeDiscord,
    core: Core,
    adapters: list[DiscordAdapter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="convene.discord")
    await connect(core, adapters, shard_count=2, shard_ids=(1,))
    assert "Discord shard 1 of 2 ready" in caplog.text
    assert "(shard 1 of 2; private messages go to the process with shard 0)" in caplog.text
