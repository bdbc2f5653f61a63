"""Three bot processes on one PostgreSQL store, fed through the fake Discord and Telegram.

Each process runs the real Discord adapter as gateway shard i of 3 and the real Telegram
adapter in webhook mode on a port of its own; the fakes run here. 30,000 messages spread
over both platforms and all three processes are each counted once; a digest due at 09:00
is posted exactly once; the leader killed (-9) at 08:59:58, the next day's digest is still
posted exactly once, by another process; a profile setup started on one process finishes
on another.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.shards import MEMBER, add_guilds, channel_of, guild_id
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeBotAPI
from tests.pg import PgServer
from tests.scheduling.bot_process import SECRET, TOKEN, URL, tag
from tests.scheduling.processes import Bots

PROCESSES = 3
MESSAGES = 30_000
GUILDS = [guild_id(shard, PROCESSES, n) for shard in range(PROCESSES) for n in range(2)]
DISCORD_SPEAKERS = 7  # MEMBER, MEMBER + 1, ...
TELEGRAM_SPEAKERS = 25  # 100, 101, ...
GROUP = -100777
ADMIN = 100  # one of the Telegram speakers
COUNTED = "SELECT count(*) FROM activity WHERE text LIKE 'message %'"
DISTINCT = "SELECT count(DISTINCT text) FROM activity WHERE text LIKE 'message %'"


def set_clock(folder: Path, when: str) -> None:
    (folder / "clock.tmp").write_text(when)
    (folder / "clock.tmp").replace(folder / "clock")


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        add_guilds(server, GUILDS)
        yield server


@pytest.fixture
async def telegram_fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        server.group(GROUP, "Founders")
        server.set_admins(GROUP, ADMIN)
        server.connections = 16  # Telegram posts several updates at once (max_connections)
        yield server


@pytest.fixture
async def bots(
    pg_server: PgServer, tmp_path: Path, discord_fake: FakeDiscord, telegram_fake: FakeBotAPI
) -> AsyncIterator[Bots]:
    set_clock(tmp_path, "2026-11-02T08:59:00+00:00")
    discord = ("--discord", str(discord_fake.port), str(PROCESSES))
    telegram = ("--telegram", telegram_fake.base_url)
    found = Bots(pg_server.clean_database(), tmp_path, PROCESSES, *discord, *telegram, "--clock")
    try:
        await found.started()
        yield found
    finally:
        found.kill()


async def feed(discord_fake: FakeDiscord, telegram_fake: FakeBotAPI) -> set[tuple[int, int]]:
    """Every even message to a Discord guild, every odd one to the Telegram group; returns
    the (community, speaker) pairs that spoke (a guild's index, or -1 for the group)."""
    speakers: set[tuple[int, int]] = set()
    group = telegram_fake.chats[GROUP]
    for n in range(1, MESSAGES, 2):
        user = 100 + (n // 2) % TELEGRAM_SPEAKERS
        telegram_fake.message(group, telegram_fake.user(user, f"Speaker {user}"), f"message {n}")
        speakers.add((-1, user))
    for n in range(0, MESSAGES, 2):
        g = (n // 2) % len(GUILDS)
        user = MEMBER + (n // 2) % DISCORD_SPEAKERS
        author = discord_fake.user(user, f"speaker{user % 100}")
        gid = GUILDS[g]
        message = discord_fake.message(channel_of(gid), author, f"message {n}", guild=gid)
        await discord_fake.dispatch("MESSAGE_CREATE", message)
        speakers.add((g, user))
    await telegram_fake.wait_consumed(within=240)
    return speakers


async def test_three_processes_on_both_platforms_share_one_store_and_one_schedule(
    bots: Bots, discord_fake: FakeDiscord, telegram_fake: FakeBotAPI
) -> None:
    assert sorted(s for s in discord_fake.sessions if s) == [
        (i, PROCESSES) for i in range(PROCESSES)
    ]
    hooks = telegram_fake.calls_to("setWebhook")
    assert {(c.params["url"], c.params["secret_token"]) for c in hooks} == {(URL, SECRET)}
    addresses = [bots.address(i) for i in range(PROCESSES)]
    telegram_fake.upstreams = addresses  # the proxy in front spreads the webhook

    # The digest is scheduled in the Telegram group, through whichever process gets it.
    telegram_fake.message(
        telegram_fake.chats[GROUP], telegram_fake.user(ADMIN), "/digest schedule daily 09:00 UTC"
    )
    await telegram_fake.wait_for(lambda: bool(telegram_fake.sent(GROUP)), what="the schedule")
    assert "09:00" in telegram_fake.texts(GROUP)[-1]

    # 30,000 messages over both platforms and all three processes: each counted once.
    speakers = await feed(discord_fake, telegram_fake)
    await bots.until("every message written", lambda: bots.scalar(COUNTED) >= MESSAGES)
    await bots.settle()
    assert bots.scalar(COUNTED) == MESSAGES
    assert bots.scalar(DISTINCT) == MESSAGES
    assert bots.scalar("SELECT count(*) FROM members") == len(speakers)
    handled = {address: 0 for address in addresses}
    for _, address, status in telegram_fake.deliveries:
        handled[address] += status == 200
    assert sum(handled.values()) == MESSAGES // 2 + 1  # the messages and the /digest
    assert all(count > 0 for count in handled.values()), handled
    by_guild = (
        "SELECT s.space, count(*) FROM activity a JOIN spaces s ON s.community = a.community "
        "WHERE s.platform = 'discord' AND a.text LIKE 'message %' GROUP BY s.space"
    )
    assert bots.rows(by_guild) == {str(gid): MESSAGES // 2 // len(GUILDS) for gid in GUILDS}
    # Each process synced the slash commands of its own shard's guilds only.
    synced = discord_fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")
    assert sorted({int(call.path.split("/")[4]) for call in synced}) == sorted(GUILDS)
    for call in synced:
        assert tag((int(call.path.split("/")[4]) >> 22) % PROCESSES) in call.agent

    # A profile setup started in a guild of shard 2 (its process asks the first question in
    # a private message) is carried on by process 0, which gets every private message.
    gid = GUILDS[-1]
    mia = discord_fake.user(MEMBER, "mia")
    setup = [{"name": "setup", "type": 1, "options": []}]
    interaction = discord_fake.interaction(
        "profile", setup, user=mia, guild=gid, channel=channel_of(gid)
    )
    await discord_fake.dispatch("INTERACTION_CREATE", interaction)
    dm = r"/channels/(9\d+)/messages"
    [first] = await discord_fake.wait_for("POST", dm, 1, within=240)
    assert "Which role(s)" in str(first.json)
    assert tag(2) in first.agent
    [answered] = discord_fake.find("POST", rf"/interactions/{interaction['id']}/[^/]+/callback")
    assert "sent you a private message" in str(answered.json)  # once; the DM says by whom
    dm_channel = int(first.path.split("/")[2])
    for n, text in enumerate(["founder", "Building a payments API for clinics"], 2):
        await discord_fake.dispatch("MESSAGE_CREATE", discord_fake.message(dm_channel, mia, text))
        calls = await discord_fake.wait_for("POST", dm, n, within=240)
        assert tag(0) in calls[-1].agent
    assert "Your headline" in str(calls[1].json)
    assert "What can you offer" in str(calls[2].json)
    assert bots.scalar('SELECT step FROM dialogs WHERE "user" = %s', str(MEMBER)) == 2

    # 09:00: the leader posts the digest, exactly once.
    [leader] = bots.leaders()
    before = len(telegram_fake.sent(GROUP))
    set_clock(bots.folder, "2026-11-02T09:00:05+00:00")
    await bots.until("the first digest", lambda: len(telegram_fake.sent(GROUP)) > before)
    await bots.settle()
    digests = telegram_fake.sent(GROUP)[before:]
    assert len(digests) == 1
    assert "digest" in telegram_fake.texts(GROUP)[before].lower()
    assert tag(leader) in digests[0].agent

    # The next day, the leader is killed two seconds before 09:00: another process takes
    # the lead and posts that day's digest, exactly once.
    set_clock(bots.folder, "2026-11-03T08:59:58+00:00")
    await bots.settle()
    [leader] = bots.leaders()
    os.kill(int(bots.procs[leader].pid), signal.SIGKILL)
    await bots.until("the leader to die", lambda: bots.procs[leader].poll() is not None)
    set_clock(bots.folder, "2026-11-03T09:00:05+00:00")
    await bots.until("the second digest", lambda: len(telegram_fake.sent(GROUP)) > before + 1)
    await bots.settle()
    digests = telegram_fake.sent(GROUP)[before:]
    assert len(digests) == 2
    assert tag(leader) not in digests[1].agent
    [new_leader] = bots.leaders()
    assert new_leader != leader
    assert tag(new_leader) in digests[1].agent
    sent = "SELECT count(*) FROM scheduled_runs WHERE kind = 'digest' AND status = 'sent'"
    assert bots.scalar(sent) == 2

    stopped = await asyncio.gather(*(bots.terminate(i) for i in range(PROCESSES) if i != leader))
    assert stopped == [0, 0]
    for i, log in enumerate(bots.logs):
        assert "Traceback" not in log.read_text(), i
