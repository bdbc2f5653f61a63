"""One bot process of the multi-process test: a real Core on a shared PostgreSQL store.

    python -m tests.scheduling.bot_process URL FOLDER INDEX MESSAGES

The clock is read from FOLDER/clock (an ISO time the test moves); each delivered reply is
appended to FOLDER/posted (with this process's pid); FOLDER/status-INDEX says whether this
process has fed its share of MESSAGES (every third, from INDEX) and whether it leads.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.replies import Reply
from bot.scheduling.scheduler import Scheduler
from bot.storage.store import Store


class FileClock:
    """The time written in a file (the test moves it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip())


class Recorder(FakeAdapter):
    """A fake adapter that also appends every delivery to a file the test reads."""

    posted: Path = Path()

    async def deliver(self, reply: Reply) -> bool:
        line = {"pid": os.getpid(), "title": reply.title, "chat": reply.to and reply.to.chat}
        with self.posted.open("a") as out:
            out.write(json.dumps(line) + "\n")
        return await super().deliver(reply)


async def run(url: str, folder: Path, index: int, messages: int) -> None:
    core = Core(Config(store_url=url), Store(url), clock=FileClock(folder / "clock"))
    scheduler = core.feature(Scheduler)
    scheduler.sweep_seconds = 0.3
    scheduler.leader_seconds = 0.5
    adapter = Recorder(core)
    adapter.posted = folder / "posted"
    adapter.sent = []
    await core.start()
    for n in range(index, messages, 3):
        await adapter.push(adapter.event(f"member{n % 40}", f"message number {n}"))
        adapter.sent.clear()
    await core.settle()
    status = folder / f"status-{index}"
    beats = 0
    while True:
        beats += 1
        state = {
            "pid": os.getpid(),
            "fed": True,
            "leader": scheduler.leader.leading,
            "beats": beats,
        }
        status.with_suffix(".tmp").write_text(json.dumps(state))
        status.with_suffix(".tmp").replace(status)
        await asyncio.sleep(0.1)


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
