"""Three bot processes share one Telegram bot through its webhook, on one PostgreSQL store.

Each process runs the real Telegram adapter in webhook mode (PTB, Starlette, uvicorn) on a
port of its own; the fake Bot API posts updates round-robin to those ports, standing in for
the proxy in front of them. Group messages spread across the processes are each counted
once, also while one process stops; a profile setup started through one process is
finished through another, a button sent by one is pressed through another, and a join
reported to two processes is counted once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psycopg
import pytest

from tests.fakes.telegram_server import FakeBotAPI
from tests.pg import PgServer
from tests.scheduling.telegram_process import SECRET, TOKEN, URL

PROCESSES = 3
MESSAGES = 300
SPEAKERS = 30
GROUP = -100777
ANN = 9001
BOUND = 120.0  # generous: a busy two-core machine; nothing is asserted about time itself


class Bots:
    """The bot processes, their ports and their logs."""

    def __init__(self, url: str, folder: Path, api: str) -> None:
        self.folder = folder
        env = {**os.environ, "PYTHONPATH": os.getcwd(), "PTB_TIMEDELTA": "true"}
        self.logs = [folder / f"log-{i}" for i in range(PROCESSES)]
        self.procs = []
        for i in range(PROCESSES):
            with self.logs[i].open("w") as log:
                command = [sys.executable, "-m", "tests.scheduling.telegram_process"]
                self.procs.append(
                    subprocess.Popen(
                        [*command, url, str(folder), str(i), api],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                )

    def ports(self) -> list[int]:
        found = []
        for i in range(PROCESSES):
            path = self.folder / f"status-{i}"
            if path.exists():
                found.append(int(json.loads(path.read_text())["port"]))
        return found

    def address(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports()[i]}/telegram"

    def died(self) -> str:
        """The log of a process that exited on its own, if one did."""
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None and proc.returncode != 0:
                return log.read_text()[-3000:]
        return ""

    async def until(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + BOUND
        while not check():
            if dead := self.died():
                raise AssertionError(f"a bot process died while waiting for {what}:\n{dead}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            await asyncio.sleep(0.05)

    async def terminate(self, i: int) -> int:
        self.procs[i].send_signal(signal.SIGTERM)
        await self.until(f"process {i} to stop", lambda: self.procs[i].poll() is not None)
        return int(self.procs[i].returncode)

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        server.group(GROUP, "Founders")
        server.user(ANN, "Ann", username="ann")
        yield server


@pytest.fixture
async def bots(
    pg_server: PgServer, tmp_path: Path, fake: FakeBotAPI
) -> AsyncIterator[tuple[str, Bots]]:
    url = pg_server.clean_database()
    procs = Bots(url, tmp_path, fake.base_url)
    try:
        await procs.until("every process to listen", lambda: len(procs.ports()) == PROCESSES)
        yield url, procs
    finally:
        procs.kill()


def scalar(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


COUNTED = "SELECT count(*) FROM activity WHERE text LIKE 'webhook message %'"
DISTINCT = "SELECT count(DISTINCT text) FROM activity WHERE text LIKE 'webhook message %'"
JOINS = "SELECT count(*) FROM activity WHERE kind = 1"
CLAIMED = "SELECT count(*) FROM claims"


async def test_three_webhook_processes_share_one_bot(
    bots: tuple[str, Bots], fake: FakeBotAPI
) -> None:
    url, procs = bots
    hooks = fake.calls_to("setWebhook")
    assert len(hooks) == PROCESSES  # each process sets the same webhook; none has to be first
    assert {(c.params["url"], c.params["secret_token"]) for c in hooks} == {(URL, SECRET)}
    addresses = [procs.address(i) for i in range(PROCESSES)]
    fake.upstreams = addresses
    group = fake.chats[GROUP]

    def say(n: int) -> None:
        fake.message(
            group, fake.user(100 + n % SPEAKERS, f"Speaker {n % SPEAKERS}"), f"webhook message {n}"
        )

    for n in range(MESSAGES // 2):
        say(n)
    await fake.wait_consumed()
    # Process 3 stops halfway: it finishes what it accepted; what it cannot take any more is
    # refused or finds its port closed, and the next backend gets it.
    assert await procs.terminate(2) == 0
    for n in range(MESSAGES // 2, MESSAGES):
        say(n)
    await fake.wait_consumed()
    assert not fake.undeliverable
    await procs.until("every message to be written", lambda: scalar(url, COUNTED) == MESSAGES)
    assert scalar(url, DISTINCT) == MESSAGES
    handled = {address: 0 for address in addresses}
    for _, address, status in fake.deliveries:
        handled[address] += status == 200
    assert sum(handled.values()) == MESSAGES
    assert all(count > 0 for count in handled.values()), handled  # spread over all three
    assert handled[addresses[2]] <= MESSAGES // 2 // PROCESSES + 1  # none after it stopped
    assert scalar(url, "SELECT count(*) FROM members") == SPEAKERS

    # A join reported twice (a service message and a chat_member update) reaches two
    # processes and is counted once.
    fake.upstreams = addresses[:2]
    carol = fake.user(777, "Carol")
    fake.new_members(group, carol)
    fake.chat_member(group, carol, "left", "member")
    await fake.wait_consumed()
    assert {address for _, address, _ in fake.deliveries[-2:]} == set(addresses[:2])
    await procs.until("the join to be written", lambda: scalar(url, JOINS) >= 1)
    await procs.until("the join to be claimed", lambda: scalar(url, CLAIMED) == 1)

    # A profile setup started through process 1 is finished through process 2.
    private = fake.private(ANN)
    fake.message(group, fake.user(ANN), "hello from Ann")
    fake.upstreams = addresses[:1]
    before = len(fake.sent(ANN))
    fake.message(private, fake.user(ANN), "/profile setup")
    await fake.wait_for(lambda: len(fake.sent(ANN)) > before, what="the first question")
    assert "Which role(s)" in fake.texts(ANN)[-1]
    fake.upstreams = addresses[1:2]
    answers = ["founder", "Building a climate fintech", *["skip"] * 10]
    for answer in answers:
        before = len(fake.sent(ANN))
        fake.message(private, fake.user(ANN), answer)
        await fake.wait_for(lambda b=before: len(fake.sent(ANN)) > b, what=f"after {answer!r}")
    assert "Your profile is saved." in fake.texts(ANN)[-1]
    assert "Building a climate fintech" in fake.texts(ANN)[-1]
    assert {address for _, address, _ in fake.deliveries[-len(answers) :]} == {addresses[1]}
    headline = "SELECT headline FROM profiles"
    assert scalar(url, headline) == "Building a climate fintech"
    assert scalar(url, "SELECT count(*) FROM dialogs") == 0
    assert scalar(url, JOINS) == 1

    # A button sent through process 1 and pressed through process 2 still means what it said.
    fake.upstreams = addresses[:1]
    fake.message(private, fake.user(ANN), "/forget")
    await fake.wait_for(lambda: bool(fake.buttons(ANN)), what="the confirmation buttons")
    fake.upstreams = addresses[1:2]
    fake.press_label(private, fake.user(ANN), "Cancel", to=ANN)
    answers_before = len(fake.calls_to("answerCallbackQuery"))
    await fake.wait_calls("answerCallbackQuery", answers_before + 1)
    assert fake.calls_to("answerCallbackQuery")[-1].params.get("text") == "Nothing was deleted."
    assert scalar(url, headline) == "Building a climate fintech"

    for i in range(PROCESSES - 1):
        assert await procs.terminate(i) == 0
    for log in procs.logs:
        assert "Traceback" not in log.read_text()
