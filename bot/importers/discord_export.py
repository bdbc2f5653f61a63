"""DiscordChatExporter JSON exports → `ImportedRecord`s (``convene import discord export.json``).

An export holds one channel: ``guild{id,name}``, ``channel{id,name}`` and ``messages[]``
with string ids, ISO timestamps with an offset and ``author{id,name,nickname,isBot}``.
Bots are skipped, ``GuildMemberJoin`` becomes a join, other system messages (pins, thread
creation, boosts…) are skipped, and a duplicated message id is read once. Reactions carry
only counts unless the export lists who reacted; then each reacting member gets one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.importers.records import (
    ImportedRecord,
    ImportFormatError,
    ImportResult,
    checked_time,
    import_records,
    read_json,
)
from bot.storage.store import Store

PLATFORM = "discord"
MESSAGE_TYPES = {"Default", "Reply"}
JOIN_TYPES = {"GuildMemberJoin"}
PROGRESS_EVERY = 500


@dataclass
class ExportStats:
    """What a parse left out, so the CLI can say so."""

    bots: int = 0
    system: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)  # bad messages, each skipped


@dataclass(frozen=True)
class DiscordExport:
    """One parsed export file."""

    guild_id: str
    guild_name: str
    channel_id: str
    channel_name: str
    records: list[ImportedRecord]
    stats: ExportStats


def parse_file(path: Path) -> DiscordExport:
    """Read and validate a whole export before anything is written.

    Raises:
        ImportFormatError: the file cannot be read, is not JSON (names the line), is not a
            DiscordChatExporter export, or a message is malformed (names its index and id).
    """
    data = read_json(path, folder_hint="give an export .json file")
    return parse_export(data, source=path.name)


def parse_export(data: Any, *, source: str = "the export") -> DiscordExport:
    """Turn decoded export JSON into records (see `parse_file`)."""
    if not (
        isinstance(data, dict)
        and isinstance(data.get("guild"), dict)
        and isinstance(data.get("channel"), dict)
        and isinstance(data.get("messages"), list)
    ):
        hint = ""
        if isinstance(data, dict) and ("chats" in data or data.get("type") in _TELEGRAM_TYPES):
            hint = " It looks like a Telegram export: use `convene import telegram`."
        raise ImportFormatError(
            f"{source} is JSON but not a DiscordChatExporter export: it needs 'guild', "
            f"'channel' and 'messages' at the top (export with --format Json).{hint}"
        )
    guild, channel = data["guild"], data["channel"]
    guild_id = _text_id(guild.get("id"), f"{source}: guild")
    channel_id = _text_id(channel.get("id"), f"{source}: channel")
    channel_name = str(channel.get("name") or channel_id)
    stats = ExportStats()
    records = list(_records(data["messages"], channel_id, channel_name, stats, source))
    return DiscordExport(
        guild_id, str(guild.get("name") or guild_id), channel_id, channel_name, records, stats
    )


_TELEGRAM_TYPES = {"personal_chat", "private_group", "private_supergroup", "public_supergroup"}


def _records(
    messages: list[Any], chat: str, title: str, stats: ExportStats, source: str
) -> Iterator[ImportedRecord]:
    seen: set[str] = set()
    for index, msg in enumerate(messages):
        try:
            records = list(_message(msg, index, chat, title, stats, source, seen))
        except ImportFormatError as exc:
            stats.problems.append(f"{exc} Skipped.")
            continue
        yield from records


def _message(
    msg: Any, index: int, chat: str, title: str, stats: ExportStats, source: str, seen: set[str]
) -> Iterator[ImportedRecord]:
    where = f"{source}: message #{index}"
    if not isinstance(msg, dict):
        raise ImportFormatError(f"{where} is not an object.")
    ref = _text_id(msg.get("id"), where)
    where = f"{where} (id {ref})"
    if ref in seen:
        stats.duplicates += 1
        return
    author = msg.get("author")
    if not isinstance(author, dict):
        raise ImportFormatError(f"{where} has no author.")
    user = _text_id(author.get("id"), f"{where}: author")
    at = _timestamp(msg.get("timestamp"), where)
    kind = str(msg.get("type") or "Default")
    seen.add(ref)
    if author.get("isBot"):
        stats.bots += 1
        return
    name = str(author.get("nickname") or author.get("name") or f"user {user}")
    if kind in JOIN_TYPES:
        yield ImportedRecord(PLATFORM, chat, title, user, name, "join", at, ref)
        return
    if kind not in MESSAGE_TYPES:
        stats.system += 1
        return
    content = msg.get("content") or ""
    if not isinstance(content, str):
        raise ImportFormatError(f"{where} has content that is not text.")
    yield ImportedRecord(PLATFORM, chat, title, user, name, "message", at, ref, content)
    yield from _reactions(msg, chat, title, at, ref, where)


def _reactions(
    msg: dict[str, Any], chat: str, title: str, at: datetime, ref: str, where: str
) -> Iterator[ImportedRecord]:
    """Reactions by named users (newer exports list them); counts alone name no one."""
    reactions = msg.get("reactions") or []
    if not isinstance(reactions, list):
        raise ImportFormatError(f"{where} has 'reactions' that is not a list.")
    for reaction in reactions:
        if not isinstance(reaction, dict):
            continue
        emoji = reaction.get("emoji") or {}
        label = str(emoji.get("id") or emoji.get("name") or "?") if isinstance(emoji, dict) else "?"
        for user in reaction.get("users") or []:
            if not isinstance(user, dict) or user.get("isBot") or user.get("id") is None:
                continue
            uid = str(user["id"])
            name = str(user.get("nickname") or user.get("name") or f"user {uid}")
            yield ImportedRecord(
                PLATFORM, chat, title, uid, name, "reaction", at, f"{ref}:{label}:{uid}"
            )


def _text_id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ImportFormatError(f"{where} has no id.")
    return str(value).strip()


def _timestamp(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise ImportFormatError(f"{where} has no timestamp.")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        if value[:5].isdigit():  # a five-digit year: past what a date can hold
            raise ImportFormatError(
                f"{where} has a timestamp out of range ({value[:40]!r}); dates must fall "
                "between 1970 and 9999."
            ) from None
        raise ImportFormatError(
            f"{where} has a timestamp that is not ISO 8601: {value[:40]!r}."
        ) from None
    return checked_time(at.replace(tzinfo=UTC) if at.tzinfo is None else at, where)


def export_files(path: Path) -> list[Path]:
    """The export itself, or every ``*.json`` in a folder of per-channel exports."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ImportFormatError(f"{path} holds no .json exports.")
        return files
    return [path]


def run_import(
    store: Store, path: Path, community_name: str | None, *, store_text: bool
) -> ImportResult:
    """Import a DiscordChatExporter export (or a folder of them) into the guild's community.

    The community is the one the guild is already linked to, else ``discord:<guild id>``
    named after the guild (or `community_name`). Every file is read before anything is
    written; a bad message is reported in `ImportResult.problems` and skipped; a re-run adds
    nothing. Progress goes to stderr every 500 records.
    """
    exports = [parse_file(p) for p in export_files(path)]
    guilds = {e.guild_id for e in exports}
    if len(guilds) > 1:
        raise ImportFormatError(
            f"{path} mixes exports of {len(guilds)} servers; import one server at a time."
        )
    first = exports[0]
    community = store.space_community(PLATFORM, first.guild_id)
    if community is None:
        community = store.community(
            f"{PLATFORM}:{first.guild_id}", community_name or first.guild_name
        )
        store.link_space(PLATFORM, first.guild_id, community)
    total = ImportResult()
    done = 0
    for export in exports:

        def progress(n: int, base: int = done) -> None:
            print(f"  {base + n:,} records…", file=sys.stderr)

        result = import_records(
            store, community, export.records, store_text=store_text, progress=progress
        )
        done += len(export.records)
        total.added += result.added
        total.skipped += result.skipped
        total.problems += export.stats.problems + result.problems
        stats = export.stats
        left_out = [
            f"{n:,} {what}"
            for n, what in (
                (stats.bots, "bot messages" if stats.bots > 1 else "bot message"),
                (stats.system, "system messages" if stats.system > 1 else "system message"),
                (stats.duplicates, "duplicate ids" if stats.duplicates > 1 else "duplicate id"),
            )
            if n
        ]
        if left_out:
            print(f"#{export.channel_name}: left out {', '.join(left_out)}.", file=sys.stderr)
    return total
