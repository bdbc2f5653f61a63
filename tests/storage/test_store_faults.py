"""The store under faults: another process holding the write lock, a poisoned row, a core
whose shutdown meets errors, and a kill -9 in the middle of a burst (on both engines; a held
write lock is SQLite's own fault: PostgreSQL locks rows, not the database)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.feature import Feature
from bot.storage.store import Store
from tests.conftest import store_args
from tests.storage.lock import write_lock_held
from tests.storage.rows import count

pytestmark = pytest.mark.engines
ROOT = Path(__file__).resolve().parents[2]
SQLITE_LOCK = pytest.mark.engines("sqlite")  # another process holding SQLite's write lock


def _setup(store: Store) -> tuple[int, int, int]:
    community = store.community("k", "K")
    member = store.member(community, "fake", "u1", "Ana", 0).id
    return community, member, store.chat(community, "fake", "general")


@SQLITE_LOCK
def test_a_locked_database_keeps_the_rows_and_the_writer_retries(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.store")
    store = Store(db_path)
    community, member, chat = _setup(store)
    with write_lock_held(db_path):
        for i in range(300):
            store.add_activity(community, member, chat, i, 0, 4, f"m{i}")
        store.submit()
        assert not store.settle(timeout=0.5)  # cannot commit while the lock is held …
        assert store.pending == 300  # … and nothing left memory
        assert count(db_path) == 0
    for _ in range(300):  # the writer retries with backoff once the lock is free
        if store.pending == 0:
            break
        time.sleep(0.1)
    assert count(db_path) == 300
    assert any("retrying" in r.getMessage() for r in caplog.records)
    store.close()


@SQLITE_LOCK
async def test_commands_answer_while_another_process_holds_the_write_lock(
    db_path: Path,
) -> None:
    core = Core(Config(database=db_path), Store(db_path))
    chat = FakeAdapter(core)
    await chat.say("ana", "hello before")
    await chat.say("newcomer-warmup", "hi")
    await core.start()
    stalls: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            stalls.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    try:
        with write_lock_held(db_path):
            for i in range(50):
                await chat.say("ana", f"message {i} while locked")
            (helped,) = await chat.say("ana", "/help")
            assert "/stats" in helped.text
            (busy,) = await chat.say("stranger", "/stats")  # a new member needs a write
            assert "database is busy" in busy.text
            await chat.say("bo", "first words from a new member")  # recorded later
            await asyncio.sleep(2.5)  # several flush ticks and writer retries
            assert count(db_path) == 2  # nothing written yet, nothing lost either
        for _ in range(100):
            if count(db_path) == 53:
                break
            await asyncio.sleep(0.1)
    finally:
        tick.cancel()
    assert count(db_path) == 53  # 2 before, 50 while locked, and bo's once the lock went
    assert max(stalls) < 5.0  # generous: a blocked loop would freeze for the 30 s timeout
    (stats,) = await chat.say("ana", "/stats ana")
    assert "Messages: 51" in stats.text
    await core.close()


def test_a_poisoned_row_is_set_aside_and_the_rest_of_its_batch_is_written(
    store_target: str | Path, tmp_path: Path, engine: str
) -> None:
    store = Store(store_target)
    community, member, chat = _setup(store)
    for i in range(105):
        store.add_activity(community, member, chat, i, 0, 2, "ok")
    store.add_activity(community, member, chat, 200, 0, 2, "bad \ud83d text")  # lone surrogate
    store.add_activity(community, 10**20, chat, 201, 0, 2, "too big")  # past 64 bits
    for i in range(105):
        store.add_activity(community, member, chat, 300 + i, 0, 2, "ok")
    store.flush()
    assert count(store_target) == 210
    letters = store.dead_letters()
    assert len(letters) == 2
    errors = sorted(r["error"].split(":")[0] for r in letters)
    too_big = {"sqlite": "OverflowError", "postgresql": "NumericValueOutOfRange"}[engine]
    assert errors == sorted([too_big, "UnicodeEncodeError"])
    assert json.loads(letters[-1]["data"])["text"] == "bad \ud83d text"  # kept, escaped
    store.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "store", "deadletters", *store_args(store_target, tmp_path)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "2 rows set aside" in shown.stdout
    assert "UnicodeEncodeError" in shown.stdout
    assert too_big in shown.stdout


async def test_a_lone_surrogate_in_a_message_is_made_valid_at_the_edge(core: Core) -> None:
    chat = FakeAdapter(core)
    await chat.say("ana", "emoji half \ud83d here")
    await chat.say("ana", "a pair split in two \ud83d\ude00")
    texts = [r["text"] for r in core.store.rows("SELECT text FROM activity ORDER BY id")]
    assert texts == ["emoji half \ufffd here", "a pair split in two \U0001f600"]
    assert core.store.dead_letters() == []


async def test_close_makes_its_last_flush_even_when_a_stop_hook_fails(config: Config) -> None:
    from bot.features import default_features

    class Broken(Feature, name="broken"):
        async def stop(self) -> None:
            raise RuntimeError("stop hook failed")

    core = Core(config, Store(config.store), [*default_features(), Broken])
    chat = FakeAdapter(core)
    await core.start()
    await chat.say("ana", "the last words")
    await core.close()
    assert count(config.store) == 1


@SQLITE_LOCK
async def test_the_flush_loop_survives_a_failed_write(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    core = Core(Config(database=db_path), Store(db_path))
    chat = FakeAdapter(core)
    await core.start()
    caplog.set_level(logging.WARNING)
    with write_lock_held(db_path):
        await chat.say("ana", "during the lock")
        await asyncio.sleep(1.5)  # at least one tick meets the lock
    await chat.say("ana", "after the lock")
    for _ in range(100):  # written by the loop's next ticks, without any read forcing it
        if count(db_path) == 2:
            break
        await asyncio.sleep(0.1)
    assert count(db_path) == 2
    await core.close()


# -- kill -9 ---------------------------------------------------------------------------------

BURST = r"""
import asyncio, sys, time
from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store

async def main(target, total):
    if target.startswith("postgresql://"):
        config = Config(store_url=target)
    else:
        config = Config(database=target)
    core = Core(config, Store(config.store))
    chat = FakeAdapter(core)
    await core.start()
    for i in range(total):
        await chat.push(chat.event(f"u{i % 50}", f"message {i}"))
        if i % 200 == 199:
            print(i + 1, time.monotonic(), flush=True)  # acknowledged so far
            await asyncio.sleep(0)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def run_burst_and_kill(target: str | Path, total: int, kill_after: int) -> list[tuple[int, float]]:
    """Start a bot process pushing `total` messages; SIGKILL it after `kill_after` acks.

    Returns the (acknowledged, monotonic time) lines it printed.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", BURST, str(target), str(total)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    acks: list[tuple[int, float]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        n, at = line.split()
        acks.append((int(n), float(at)))
        if acks[-1][0] >= kill_after:
            break
    proc.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    proc.wait(timeout=30)
    for line in proc.stdout:  # acknowledged before it died, still in the pipe
        n, at = line.split()
        acks.append((int(n), float(at)))
    proc.stdout.close()
    acks.append((acks[-1][0], killed_at))
    return acks


def acked_before(acks: list[tuple[int, float]], moment: float) -> int:
    return max((n for n, at in acks if at <= moment), default=0)


async def test_kill_9_mid_burst_loses_at_most_the_last_second(config: Config) -> None:
    target = config.store
    acks = run_burst_and_kill(target, 20_000, kill_after=12_000)
    killed_at = acks[-1][1]
    if isinstance(target, Path):
        conn = sqlite3.connect(target)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    stored = count(target)
    # Everything acknowledged more than the flush interval (1 s, plus generous slack for a
    # busy machine) before the kill is on disk.
    assert stored >= acked_before(acks, killed_at - 3.0)
    assert stored <= acks[-1][0]

    core = Core(config, Store(target))  # the bot serves after restart
    chat = FakeAdapter(core)
    await core.start()
    (reply,) = await chat.say("u1", "/stats u1")
    assert "Messages:" in reply.text
    await chat.say("u1", "after the restart")
    await core.close()
    assert count(target) == stored + 1


async def test_forget_deletes_a_members_set_aside_rows(core: Core) -> None:
    chat = FakeAdapter(core)
    await chat.say("ana", "hello")
    member = core.store.member(1, "fake", "ana", "Ana", 0).id
    core.store.add_activity(1, member, 1, 5, 0, 3, "bad \ud83d secret")  # refused by SQLite
    core.store.flush()
    assert len(core.store.dead_letters()) == 1
    (confirm,) = await chat.say("ana", "/forget")
    assert confirm.reply.buttons
    await chat.push(chat.event("ana", confirm.reply.buttons[0].callback, kind="button"))
    assert core.store.dead_letters() == []
