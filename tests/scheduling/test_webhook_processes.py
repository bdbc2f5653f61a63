"""Three bot processes share one Telegram bot through its webhook, on one PostgreSQL store.

Each process runs the real Telegram adapter in webhook mode (PTB, Starlette, uvicorn) on a
port of its own; the fake Bot API posts updates round-robin to those ports, standing in for
the proxy in front of them. Group messages spread across the processes are each counted
once, also while one process stops; a profile setup started through one process is
finished through another, a button sent by one is pressed through another, and a join
reported to two processes is counted once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_server import FakeBotAPI
from tests.pg import PgServer
from tests.scheduling.bot_process import SECRET, TOKEN, URL
from tests.scheduling.processes import Bots

PROCESSES = 3
MESSAGES = 300
SPEAKERS = 30
GROUP = -100777
ANN = 9001


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as server:
        server.group(GROUP, "Founders")
        server.user(ANN, "Ann", username="ann")
        yield server


@pytest.fixture
async def bots(pg_server: PgServer, tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[Bots]:
    procs = Bots(pg_server.clean_database(), tmp_path, PROCESSES, "--telegram", fake.base_url)
    try:
        await procs.started()
        yield procs
    finally:
        procs.kill()


COUNTED = "SELECT count(*) FROM activity WHERE text LIKE 'webhook message %'"
DISTINCT = "SELECT count(DISTINCT text) FROM activity WHERE text LIKE 'webhook message %'"
JOINS = "SELECT count(*) FROM activity WHERE kind = 1"
CLAIMED = "SELECT count(*) FROM claims"


async def test_three_webhook_processes_share_one_bot(bots: Bots, fake: FakeBotAPI) -> None:
    procs = bots
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
    await procs.until("every message to be written", lambda: procs.scalar(COUNTED) == MESSAGES)
    assert procs.scalar(DISTINCT) == MESSAGES
    handled = {address: 0 for address in addresses}
    for _, address, status in fake.deliveries:
        handled[address] += status == 200
    assert sum(handled.values()) == MESSAGES
    assert all(count > 0 for count in handled.values()), handled  # spread over all three
    assert handled[addresses[2]] <= MESSAGES // 2 // PROCESSES + 1  # none after it stopped
    assert procs.scalar("SELECT count(*) FROM members") == SPEAKERS

    # A join reported twice (a service message and a chat_member update) reaches two
    # processes and is counted once.
    fake.upstreams = addresses[:2]
    carol = fake.user(777, "Carol")
    fake.new_members(group, carol)
    fake.chat_member(group, carol, "left", "member")
    await fake.wait_consumed()
    assert {address for _, address, _ in fake.deliveries[-2:]} == set(addresses[:2])
    await procs.until("the join to be written", lambda: procs.scalar(JOINS) >= 1)
    await procs.until("the join to be claimed", lambda: procs.scalar(CLAIMED) == 1)

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
    assert procs.scalar(headline) == "Building a climate fintech"
    assert procs.scalar("SELECT count(*) FROM dialogs") == 0
    assert procs.scalar(JOINS) == 1

    # A button sent through process 1 and pressed through process 2 still means what it said.
    fake.upstreams = addresses[:1]
    fake.message(private, fake.user(ANN), "/forget")
    await fake.wait_for(lambda: bool(fake.buttons(ANN)), what="the confirmation buttons")
    fake.upstreams = addresses[1:2]
    fake.press_label(private, fake.user(ANN), "Cancel", to=ANN)
    answers_before = len(fake.calls_to("answerCallbackQuery"))
    await fake.wait_calls("answerCallbackQuery", answers_before + 1)
    assert fake.calls_to("answerCallbackQuery")[-1].params.get("text") == "Nothing was deleted."
    assert procs.scalar(headline) == "Building a climate fintech"

    for i in range(PROCESSES - 1):
        assert await procs.terminate(i) == 0
    for log in procs.logs:
        assert "Traceback" not in log.read_text()
