"""Two bot processes share one Discord bot token: shard 0 and shard 1 of 2, on one PostgreSQL.

The fake Discord runs in the test; each process runs the real discord.py with its shard. A
guild's messages reach only the process owning its shard, so every message is stored once,
and a slash command is answered once, by that process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
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


@dataclass
class Bots:
    """The two bot processes, their shared database and their folder."""

    url: str
    folder: Path
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def until(self, what: str, check: Callable[[], Any]) -> Any:
        """Wait for `check()` (a generous bound; the bound is not the assertion)."""
        deadline = time.monotonic() + BOUND
        while not (value := check()):
            dead = [p.pid for p in self.procs if p.returncode is not None]
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
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        add_guilds(server, GUILDS[0] + GUILDS[1])
        yield server


@pytest.fixture
async def bots(pg_server: PgServer, fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Bots]:
    found = Bots(pg_server.clean_database(), tmp_path)
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "NO_PROXY": "127.0.0.1"}
    module = "tests.adapters.shard_process"
    try:
        for shard in (0, 1):
            with (tmp_path / f"log-{shard}").open("w") as log:
                found.procs.append(
                    await asyncio.create_subprocess_exec(
                        *(sys.executable, "-m", module, found.url, str(fake.port)),
                        *(str(shard), "2", str(tmp_path)),
                        env=env,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=log,
                    )
                )
        ready = [tmp_path / f"ready-{shard}" for shard in (0, 1)]
        await found.until("both processes ready", lambda: all(p.exists() for p in ready))
        yield found
    finally:
        for proc in found.procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in found.procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def test_two_processes_split_the_shards_and_count_each_message_once(
    fake: FakeDiscord, bots: Bots
) -> None:
    url = bots.url
    assert sorted(s for s in fake.sessions if s) == [(0, 2), (1, 2)]

    everyone = GUILDS[0] + GUILDS[1]
    for n in range(PER_GUILD):
        for gid in everyone:
            await fake.dispatch("MESSAGE_CREATE", said(fake, gid, f"message {n} in {gid}"))
    total = PER_GUILD * len(everyone)
    await bots.until("every message stored", lambda: sum(stored(url).values()) >= total)
    # One more message per shard: stored after everything its process had received before it.
    for shard in (0, 1):
        await fake.dispatch("MESSAGE_CREATE", said(fake, GUILDS[shard][0], "last"))
    await bots.until("the last messages", lambda: sum(stored(url).values()) >= total + 2)
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
    for iid in answered.values():
        calls = fake.find("POST", rf"/interactions/{iid}/[^/]+/callback")
        assert len(calls) == 1
        assert "/stats" in str(calls[0].json)
    for shard in (0, 1):
        lines = (bots.folder / f"answered-{shard}").read_text().split()
        assert lines == [answered[shard]]
    # Each process synced the slash commands of its own guilds only.
    synced = {
        int(c.path.split("/")[4]): c.agent
        for c in fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")
    }
    for shard in (0, 1):
        for gid in GUILDS[shard]:
            assert f"shard-process/{shard}" in synced[gid]


async def test_profile_setup_started_on_one_shard_finishes_on_shard_zero(
    fake: FakeDiscord, bots: Bots
) -> None:
    """/profile setup in a guild of shard 1 opens the dialog there; the member's private
    answers arrive on shard 0 (Discord's rule for DMs), whose process carries it on."""
    gid = GUILDS[1][2]
    mia = fake.user(MEMBER, "mia")
    opts = [{"name": "setup", "type": 1, "options": []}]
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.interaction("profile", opts, user=mia, guild=gid, channel=channel_of(gid)),
    )
    dm = r"/channels/(9\d+)/messages"
    [first] = await fake.wait_for("POST", dm, 1, within=BOUND)
    assert "Which role(s)" in str(first.json)
    assert "shard-process/1" in first.agent
    dm_channel = int(first.path.split("/")[2])

    answers = ["founder", "Building a payments API for clinics"]
    for n, text in enumerate(answers, 2):
        await fake.dispatch("MESSAGE_CREATE", fake.message(dm_channel, mia, text))
        calls = await fake.wait_for("POST", dm, n, within=BOUND)
        assert "shard-process/0" in calls[-1].agent
    assert "Your headline" in str(calls[1].json)
    assert "What can you offer" in str(calls[2].json)
    with psycopg.connect(bots.url) as conn:
        step, saved = conn.execute(
            'SELECT step, answers FROM dialogs WHERE "user" = %s', (str(MEMBER),)
        ).fetchone()
    assert step == 2
    assert "payments API" in saved
