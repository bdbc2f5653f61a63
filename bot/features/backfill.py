"""/backfill: read a group's recent history through the platform's API (where it has one).

The adapter does the reading (only it knows the platform); an adapter that can read
history offers ``async def backfill(space: str, days: int) -> HistoryReport``. Telegram's
Bot API cannot, so there the answer points to ``convene import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.text import plural


class Backfill(Feature, name="backfill"):
    """/backfill: the adapter reads the history; no state of its own."""


@dataclass(frozen=True, slots=True)
class HistoryReport:
    """What one history read did."""

    channels: int = 0
    added: int = 0
    skipped: int = 0
    unreadable: int = 0  # channels the bot may not read
    since: str = ""  # the window read, as text for the answer
    note: str = ""


@runtime_checkable
class HistoryReader(Protocol):
    async def backfill(self, space: str, days: int) -> HistoryReport: ...


@Backfill.command(
    "backfill",
    "Read this server's recent message history into the stats (admins).",
    Arg("days", "int", "how many days back (1-365)", default=30, min=1, max=365),
    admin=True,
    where="group",
    slow=True,
    details="Messages already logged are not counted twice; running it again adds nothing.",
)
async def backfill(ctx: Context, args: Args) -> Answer:
    adapter = ctx.core.adapters.get(ctx.event.platform)
    if not isinstance(adapter, HistoryReader):
        return ctx.private(
            "This platform does not let bots read old messages. Export the chat and run "
            "`convene import` on the export instead."
        )
    report = await adapter.backfill(ctx.event.space, args["days"])
    lines = [
        f"Read {plural(report.channels, 'channel')} {report.since}: "
        f"{plural(report.added, 'new record')}, {report.skipped:,} already known."
    ]
    if report.unreadable:
        lines.append(f"{plural(report.unreadable, 'channel')} could not be read (no permission).")
    if report.note:
        lines.append(report.note)
    return ctx.private("\n".join(lines), title="History read")
