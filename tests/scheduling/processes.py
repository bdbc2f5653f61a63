"""The test's side of the multi-process tests: start `bot_process` children, read what they
report, wait on conditions (generous bounds; a bound is never the assertion), stop them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

BOUND = 240.0  # generous: several processes on a busy two-core machine


class Bots:
    """Bot processes 0..n-1 sharing one store; each started with the same extra arguments."""

    def __init__(self, store: str, folder: Path, count: int, *extra: str) -> None:
        self.store = store
        self.folder = folder
        env = {
            **os.environ,
            "PYTHONPATH": os.getcwd(),
            "NO_PROXY": "127.0.0.1",
            "PTB_TIMEDELTA": "true",
        }
        self.logs = [folder / f"log-{i}" for i in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []
        command = [sys.executable, "-m", "tests.scheduling.bot_process", store, str(folder)]
        for i in range(count):
            with self.logs[i].open("w") as log:
                self.procs.append(
                    subprocess.Popen(
                        [*command, str(i), *extra],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                )

    def status(self, i: int) -> dict[str, Any] | None:
        """What process `i` last reported, or None (not started yet, or gone)."""
        path = self.folder / f"status-{i}"
        if self.procs[i].poll() is not None or not path.exists():
            return None
        return dict(json.loads(path.read_text()))

    def live(self) -> dict[int, dict[str, Any]]:
        """The reports of the processes running, by index."""
        found = {i: self.status(i) for i in range(len(self.procs))}
        return {i: s for i, s in found.items() if s is not None}

    def leaders(self) -> list[int]:
        return [i for i, s in self.live().items() if s["leader"]]

    def address(self, i: int) -> str:
        """Process `i`'s webhook address."""
        status = self.status(i)
        assert status is not None
        return f"http://127.0.0.1:{status['port']}/telegram"

    def died(self) -> str:
        """The log of a process that exited on its own with an error, if one did."""
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() not in (None, 0, -signal.SIGKILL):
                return log.read_text()[-3000:]
        return ""

    async def until(self, what: str, check: Callable[[], Any]) -> Any:
        """Wait until `check()` is true; returns its value."""
        deadline = time.monotonic() + BOUND
        while not (value := check()):
            if dead := self.died():
                raise AssertionError(f"a bot process died while waiting for {what}:\n{dead}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            await asyncio.sleep(0.05)
        return value

    async def started(self) -> None:
        await self.until("every process to start", lambda: len(self.live()) == len(self.procs))

    async def settle(self, beats: int = 30) -> None:
        """Wait until every live process has run its loop `beats` more times (many sweeps)."""
        start = {i: s["beats"] for i, s in self.live().items()}
        await self.until(
            "every process to keep running",
            lambda: all(s["beats"] >= start.get(i, 0) + beats for i, s in self.live().items()),
        )

    async def terminate(self, i: int) -> int:
        """SIGTERM process `i`; its exit code once it stopped."""
        self.procs[i].send_signal(signal.SIGTERM)
        await self.until(f"process {i} to stop", lambda: self.procs[i].poll() is not None)
        return int(self.procs[i].returncode)

    def kill(self) -> None:
        """SIGKILL whatever still runs (the fixtures' cleanup)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def scalar(self, sql: str, *params: object) -> Any:
        """One value from the shared database."""
        with psycopg.connect(self.store) as conn:
            row = conn.execute(sql, params or None).fetchone()
            return row[0] if row else None

    def rows(self, sql: str) -> dict[str, int]:
        """A two-column query on the shared database as a dict (first column as text)."""
        with psycopg.connect(self.store) as conn:
            return {str(k): int(v) for k, v in conn.execute(sql).fetchall()}
