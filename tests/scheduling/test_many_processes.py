"""Three bot processes on one PostgreSQL store: every message counted once, each digest
posted exactly once, also when the leader is killed (-9) two seconds before it is due."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store
from tests.pg import PgServer
from tests.scheduling.bot_process import FileClock

MESSAGES = 30_000
BOUND = 180.0  # generous: a busy two-core machine; nothing is asserted about time itself


def wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


class Processes:
    """The three bot processes and what they report."""

    def __init__(self, url: str, folder: Path) -> None:
        self.folder = folder
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        self.logs = [(folder / f"log-{i}").open("w") for i in range(3)]
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.scheduling.bot_process",
                    url,
                    str(folder),
                    str(i),
                    str(MESSAGES),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=self.logs[i],
            )
            for i in range(3)
        ]

    def status(self) -> list[dict[str, object]]:
        found = []
        for i, proc in enumerate(self.procs):
            path = self.folder / f"status-{i}"
            if proc.poll() is None and path.exists():
                found.append(json.loads(path.read_text()))
        return found

    def alive(self) -> int:
        return sum(proc.poll() is None for proc in self.procs)

    def settle(self, beats: int = 30) -> None:
        """Wait until every live process has run its loop `beats` more times (many sweeps)."""
        start = {s["pid"]: s["beats"] for s in self.status()}
        wait_for(
            "every process to keep sweeping",
            lambda: all(s["beats"] >= start.get(s["pid"], 0) + beats for s in self.status()),
        )

    def posted(self) -> list[dict[str, object]]:
        path = self.folder / "posted"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def processes(pg_server: PgServer, tmp_path: Path) -> Iterator[tuple[str, Processes]]:
    url = pg_server.clean_database()
    (tmp_path / "clock").write_text("2026-11-02T08:59:00+00:00")
    procs = Processes(url, tmp_path)
    yield url, procs
    procs.stop()


def set_clock(folder: Path, when: str) -> None:
    (folder / "clock.tmp").write_text(when)
    (folder / "clock.tmp").replace(folder / "clock")


async def schedule_digest(url: str, folder: Path) -> None:
    core = Core(Config(store_url=url), Store(url), clock=FileClock(folder / "clock"))
    chat = FakeAdapter(core)
    chat.admins.add("admin")
    sent = await chat.say("admin", "/digest schedule daily 09:00 UTC")
    assert "09:00" in sent[0].text
    await core.close()


def scalar(url: str, sql: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


async def test_three_processes_share_one_schedule(processes: tuple[str, Processes]) -> None:
    url, procs = processes
    await schedule_digest(url, procs.folder)
    wait_for("three processes fed and one leader", lambda: len(procs.status()) == 3)
    assert sum(bool(s["leader"]) for s in procs.status()) == 1

    counted = "SELECT count(DISTINCT text) FROM activity WHERE text LIKE 'message number %'"
    assert scalar(url, counted) == MESSAGES
    assert scalar(url, "SELECT count(*) FROM activity WHERE text LIKE 'message number %'") == (
        MESSAGES
    )
    assert scalar(url, "SELECT count(*) FROM members") == 41  # 40 speakers and the admin

    set_clock(procs.folder, "2026-11-02T09:00:05+00:00")
    wait_for("the first digest", lambda: len(procs.posted()) >= 1)
    procs.settle()
    assert len(procs.posted()) == 1
    assert "digest" in str(procs.posted()[0]["title"]).lower()

    set_clock(procs.folder, "2026-11-03T08:59:58+00:00")
    procs.settle()
    (leader,) = [s for s in procs.status() if s["leader"]]
    os.kill(int(leader["pid"]), signal.SIGKILL)
    wait_for("the leader to die", lambda: procs.alive() == 2)
    set_clock(procs.folder, "2026-11-03T09:00:05+00:00")
    wait_for("the second digest", lambda: len(procs.posted()) >= 2)
    procs.settle()
    posted = procs.posted()
    assert len(posted) == 2
    assert posted[1]["pid"] != leader["pid"]
    assert sum(bool(s["leader"]) for s in procs.status()) == 1
    sent = "SELECT count(*) FROM scheduled_runs WHERE kind = 'digest' AND status = 'sent'"
    assert scalar(url, sent) == 2
