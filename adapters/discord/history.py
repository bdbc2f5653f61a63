"""Reading a guild's message history through the API, bounded, idempotent, with progress.

Only the window before live logging began is read (``discord.live_since``): later
messages were logged live already. Records go through `bot.importers.records.import_records`
keyed by message id, the same keys a DiscordChatExporter import uses, so neither a re-run
nor an earlier import counts anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord

from adapters.discord.interactions import current
from bot.features.backfill import HistoryReport
from bot.importers.records import ImportedRecord, import_records
from bot.text import plural

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

log = logging.getLogger("convene.discord")
BATCH = 100
LIVE_SINCE = "discord.live_since"


class HistoryReader:
    """Reads history for one adapter; at most `limit` messages per channel."""

    def __init__(self, adapter: DiscordAdapter, *, limit: int = 20_000) -> None:
        self.adapter = adapter
        self.limit = limit

    async def read(self, guild: discord.Guild, days: int) -> HistoryReport:
        """Read the last `days` of every readable text channel up to when live logging began."""
        core = self.adapter.core
        community = self.adapter.community_of(guild)
        now = datetime.now(UTC)
        started = core.store.setting(community, LIVE_SINCE)
        before = now if started is None else datetime.fromtimestamp(int(started), UTC)
        after = now - timedelta(days=days)
        window = f"from {after:%d %b %Y} to {before:%d %b %Y %H:%M} UTC"
        if after >= before:
            return HistoryReport(since=window, note="Everything in that window was logged live.")
        store_text = core.stores_text(community) and self.adapter.sees_text
        me = guild.me
        channels = [c for c in guild.text_channels]
        report = {"channels": 0, "added": 0, "skipped": 0, "unreadable": 0}
        replier = current.get()
        for n, channel in enumerate(channels, 1):
            perms = channel.permissions_for(me) if me else None
            if perms is not None and not (perms.view_channel and perms.read_message_history):
                report["unreadable"] += 1
                continue
            batch: list[ImportedRecord] = []
            read = 0
            try:
                async for message in channel.history(
                    limit=self.limit, after=after, before=before, oldest_first=True
                ):
                    read += 1
                    batch.extend(records_of(message, channel))
                    if len(batch) >= BATCH:
                        self._write(community, batch, store_text, report)
                        batch = []
            except discord.Forbidden:
                report["unreadable"] += 1
                continue
            self._write(community, batch, store_text, report)
            report["channels"] += 1
            text = (
                f"Reading history… #{channel.name}: {plural(read, 'message')} "
                f"({n}/{len(channels)} channels)"
            )
            log.info("%s: %s", guild.name, text)
            if replier is not None:
                await replier.progress(text)
        return HistoryReport(**report, since=window)

    def _write(
        self, community: int, batch: list[ImportedRecord], store_text: bool, report: dict[str, int]
    ) -> None:
        if not batch:
            return
        result = import_records(self.adapter.core.store, community, batch, store_text=store_text)
        report["added"] += result.added
        report["skipped"] += result.skipped


def records_of(
    message: discord.Message, channel: discord.abc.GuildChannel
) -> Iterator[ImportedRecord]:
    """The activity in one historical message (bots and system messages other than joins skipped)."""
    author = message.author
    if author.bot:
        return
    common = {
        "platform": "discord",
        "chat": str(channel.id),
        "chat_title": channel.name,
        "user": str(author.id),
        "name": author.display_name,
        "at": message.created_at,
        "ref": str(message.id),
    }
    if message.type is discord.MessageType.new_member:
        yield ImportedRecord(kind="join", **common)  # type: ignore[arg-type]
    elif message.type in (discord.MessageType.default, discord.MessageType.reply):
        yield ImportedRecord(kind="message", text=message.content, **common)  # type: ignore[arg-type]
