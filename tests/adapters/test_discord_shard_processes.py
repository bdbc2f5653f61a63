"""Two bot processes share one Discord bot token: shard 0 and shard 1 of 2, on one PostgreSQL.

The fake Discord runs in the test; each process runs the real discord.py with its shard. A
guild's messages reach only the process owning its shard, so every message is stored once,
and a slash command is answered once, by that process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.adapters.shards import MEMBER, add_guilds, channel_of, guild_id, said
from tests.fakes.discord_server import FakeDiscord
from tests.pg import PgServer

BOUND = 120.0  # generous: two processes start on a busy two-core machine
CALLBACK = r"/interactions/(\d+)/[^/]+/callback"
GUILDS = {shard: [guild_id(shard, 2, n) for n in range(3)] for shard in (0, 1)}
PER_GUILD = 40


async def until(what: str, check: Callable[[], Any], procs: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + BOUND
    while not (value := check()):
        dead = [p.args for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} (exited: {dead})")
        await asyncio.sleep(0.05)
    return value


def stored(url: str) -> dict[str, int]:
    """Messages stored per guild (one query on the shared database)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT s.space, count(*) FROM activity a JOIN spaces s "
            "ON s.community = a.community WHERE a.kind = 0 GROUP BY s.space"
        ).fetchall()
    return {str(space): int(n) for space, n in rows}


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        add_guilds(server, GUILDS[0] + GUILDS[1])
        yield server


@pytest.fixture
async def processes(
    pg_server: PgServer, fake: FakeDiscord, tmp_path: Path
) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    url = pg_server.clean_database()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "NO_PROXY": "127.0.0.1"}
    logs = [(tmp_path / f"log-{shard}").open("w") for shard in (0, 1)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.adapters.shard_process",
                url,
                str(fake.port),
                str(shard),
                "2",
                str(tmp_path),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs[shard],
        )
        for shard in (0, 1)
    ]
    procs[0].url = url  # type: ignore[attr-defined]
    procs[0].folder = tmp_path  # type: ignore[attr-defined]
    try:
        await until(
            "both processes ready",
            lambda: all((tmp_path / f"ready-{s}").exists() for s in (0, 1)),
            procs,
        )
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        for log in logs:
            log.close()


async def test_two_processes_split_the_shards_and_count_each_message_once(
    fake: FakeDiscord, processes: list[subprocess.Popen[bytes]]
) -> None:
    url: str = processes[0].url  # type: ignore[attr-defined]
    folder: Path = processes[0].folder  # type: ignore[attr-defined]
    assert sorted(s for s in fake.sessions if s) == [(0, 2), (1, 2)]

    everyone = GUILDS[0] + GUILDS[1]
    for n in range(PER_GUILD):
        for gid in everyone:
            await fake.dispatch("MESSAGE_CREATE", said(fake, gid, f"message {n} in {gid}"))
    total = PER_GUILD * len(everyone)
    await until("every message stored", lambda: sum(stored(url).values()) >= total, processes)
    # One more message per shard: stored after everything its process had received before it.
    for shard in (0, 1):
        await fake.dispatch("MESSAGE_CREATE", said(fake, GUILDS[shard][0], "last"))
    await until("the last messages", lambda: sum(stored(url).values()) >= total + 2, processes)
    expected = {str(gid): PER_GUILD for gid in everyone}
    for shard in (0, 1):
        expected[str(GUILDS[shard][0])] += 1
    assert stored(url) == expected

    # A slash command in a guild of each shard: answered once, by the process owning it.
    answered: dict[int, str] = {}
    for shard in (1, 0):
        gid = GUILDS[shard][1]
        interaction = fake.interaction(
            "help", user=fake.user(MEMBER, "mia"), guild=gid, channel=channel_of(gid)
        )
        before = len(fake.find("POST", CALLBACK))
        await fake.dispatch("INTERACTION_CREATE", interaction)
        await fake.wait_for("POST", CALLBACK, before + 1, within=BOUND)
        answered[shard] = interaction["id"]
    for shard, iid in answered.items():
        calls = fake.find("POST", rf"/interactions/{iid}/[^/]+/callback")
        assert len(calls) == 1
        assert "/stats" in str(calls[0].json)
    for shard in (0, 1):
        lines = (folder / f"answered-{shard}").read_text().split()
        assert lines == [answered[shard]]
    # Each process synced the slash commands of its own guilds only.
    synced = {
        int(c.path.split("/")[4]): c.agent
        for c in fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")
    }
    for shard in (0, 1):
        for gid in GUILDS[shard]:
            assert f"shard-process/{shard}" in synced[gid]
