"""Telegram Desktop "Export chat history" (JSON) → `ImportedRecord`s.

A Telegram bot cannot read history from before it joined, so organizers export the group in
Telegram Desktop (⋮ → Export chat history → format "Machine-readable JSON") and run
``convene import telegram result.json --community NAME``.

The export's quirks handled here: ``text`` is a string or a list of strings and entity
objects; ``date_unixtime`` is a string (older exports only have a local ``date``); ``from`` is
null for deleted accounts; ``from_id`` reads ``user123`` or ``channel123``; service messages
carry an ``action`` and name members only by display name; edited and forwarded messages;
media with an empty text; a full-account export wraps chats in ``chats.list``.

Chat and user ids are turned into the ids the Bot API uses (``-100…`` for supergroups), so
imported history and live activity from the adapter land on the same chats and members.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.importers.records import (
    ImportedRecord,
    ImportFormatError,
    ImportResult,
    checked_time,
    from_unix,
    import_records,
    read_json,
)
from bot.storage.store import Store

PLATFORM = "telegram"
GROUP_TYPES = frozenset({"private_group", "private_supergroup", "public_supergroup"})
CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
JOIN_ACTIONS = frozenset(
    {"invite_members", "join_group_by_link", "join_group_by_request", "create_group"}
)
LEAVE_ACTIONS = frozenset({"remove_members"})
DELETED_NAME = "Deleted Account"
PROGRESS_EVERY = 500


@dataclass(frozen=True, slots=True)
class ExportChat:
    """One chat inside an export: its Bot API id, title, type and raw messages."""

    id: str
    title: str
    type: str
    messages: list[Any]
    where: str  # how to name this chat in an error message


def load_export(path: Path) -> list[ExportChat]:
    """Read an export file and return the chats to import.

    Raises:
        ImportFormatError: the file is missing, not JSON (naming the line), or not an export.
    """
    data = read_json(path, folder_hint="give the result.json file inside it")
    return chats_in(data, path)


def chats_in(data: Any, path: Path) -> list[ExportChat]:
    """The importable chats of a one-chat export or of a full-account export."""
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return [_chat(data, path.name)]
    chat_list = data.get("chats") if isinstance(data, dict) else None
    if isinstance(chat_list, dict) and isinstance(chat_list.get("list"), list):
        chats = []
        for i, item in enumerate(chat_list["list"], 1):
            if not isinstance(item, dict):
                raise ImportFormatError(
                    f"{path.name}: chat number {i} in chats.list is not an object."
                )
            if item.get("type") in GROUP_TYPES and isinstance(item.get("messages"), list):
                chats.append(_chat(item, f"{path.name}, chat {item.get('name')!r}"))
        if not chats:
            raise ImportFormatError(
                f"{path.name} is a full-account export with no group chats in it; "
                "export the group itself (⋮ → Export chat history)."
            )
        return chats
    raise ImportFormatError(
        f'{path} is JSON but not a Telegram chat export (it has no "messages" list). '
        "In Telegram Desktop open the group, ⋮ → Export chat history, "
        'format "Machine-readable JSON".'
    )


def _chat(data: dict[str, Any], where: str) -> ExportChat:
    raw_id = data.get("id")
    if not isinstance(raw_id, int) or isinstance(raw_id, bool):
        raise ImportFormatError(f'{where}: the chat has no numeric "id".')
    kind = str(data.get("type", ""))
    return ExportChat(
        id=str(bot_api_chat_id(raw_id, kind)),
        title=str(data.get("name") or ""),
        type=kind,
        messages=data["messages"],
        where=where,
    )


def bot_api_chat_id(raw_id: int, kind: str) -> int:
    """The id the Bot API uses for a chat the export names by its bare id."""
    if raw_id < 0:
        return raw_id
    if kind in ("private_supergroup", "public_supergroup") or kind in CHANNEL_TYPES:
        return -(10**12) - raw_id
    if kind == "private_group":
        return -raw_id
    return raw_id


def sender_id(from_id: Any) -> str | None:
    """``user123`` → ``123``; ``channel123`` → ``-100123`` (the Bot API's sender chat id)."""
    if isinstance(from_id, int):
        return str(from_id)
    if not isinstance(from_id, str) or not from_id:
        return None
    for prefix, to_id in (
        ("user", lambda n: n),
        ("channel", lambda n: -(10**12) - n),
        ("chat", lambda n: -n),
    ):
        digits = from_id.removeprefix(prefix)
        if digits != from_id and digits.isdigit():
            return str(to_id(int(digits)))
    return from_id


def flatten_text(value: Any) -> str:
    """The plain text of an export ``text`` field: a string, or strings and entity objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def message_time(msg: dict[str, Any], where: str) -> datetime:
    """When a message was sent: ``date_unixtime`` (a string), else the ISO ``date`` as UTC."""
    unix = msg.get("date_unixtime")
    if isinstance(unix, str | int) and _digits(str(unix).strip()):
        return from_unix(int(unix), where)
    date = msg.get("date")
    if isinstance(date, str):
        try:
            parsed = datetime.fromisoformat(date)
        except ValueError:
            if date[:5].isdigit():  # a five-digit year: past what a date can hold
                raise ImportFormatError(
                    f"{where} has a date out of range ({date[:25]!r}); dates must fall "
                    "between 1970 and 9999."
                ) from None
        else:
            return checked_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), where)
    raise ImportFormatError(f"{where} has no usable date (date_unixtime or date).")


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def chat_records(chat: ExportChat, problems: list[str]) -> Iterator[ImportedRecord]:
    """Every activity record in one chat: messages, joins, leaves and reactions.

    A message that cannot be read is described in `problems` (naming its id) and skipped.
    """
    names = _known_senders(chat.messages)
    for number, msg in enumerate(chat.messages, 1):
        try:
            records = list(_records_of(chat, msg, number, names))
        except ImportFormatError as exc:
            problems.append(f"{exc} Skipped.")
            continue
        yield from records


def _records_of(
    chat: ExportChat, msg: Any, number: int, names: dict[str, str]
) -> Iterator[ImportedRecord]:
    if not isinstance(msg, dict):
        raise ImportFormatError(f"{chat.where}: message number {number} is not an object.")
    msg_id = msg.get("id")
    if not isinstance(msg_id, int) or isinstance(msg_id, bool):
        raise ImportFormatError(f"{chat.where}: message number {number} has no numeric id.")
    where = f"{chat.where}: message id {msg_id} (number {number})"
    at = message_time(msg, where)
    kind = msg.get("type", "message")
    if kind == "service":
        yield from _service_records(chat, msg, msg_id, at, names)
    elif kind == "message":
        yield from _message_records(chat, msg, msg_id, at, where)


def _message_records(
    chat: ExportChat, msg: dict[str, Any], msg_id: int, at: datetime, where: str
) -> Iterator[ImportedRecord]:
    user = sender_id(msg.get("from_id"))
    if user is None:
        raise ImportFormatError(f"{where} has no from_id.")
    name = msg.get("from") or DELETED_NAME
    text = flatten_text(msg.get("text"))
    if not text and "text" not in msg:
        text = flatten_text(msg.get("text_entities"))
    yield ImportedRecord(
        PLATFORM, chat.id, chat.title, user, str(name), "message", at, str(msg_id), text
    )
    yield from _reaction_records(chat, msg, msg_id, at)


def _reaction_records(
    chat: ExportChat, msg: dict[str, Any], msg_id: int, at: datetime
) -> Iterator[ImportedRecord]:
    reactions = msg.get("reactions")
    if not isinstance(reactions, list):
        return
    local_offset = _local_offset(msg, at)
    where = f"{chat.where}: message id {msg_id}, a reaction"
    for reaction in reactions:
        if not isinstance(reaction, dict):
            continue
        emoji = str(reaction.get("emoji") or reaction.get("document_id") or reaction.get("type"))
        for recent in reaction.get("recent") or []:
            if not isinstance(recent, dict):
                continue
            user = sender_id(recent.get("from_id"))
            if user is None:
                continue
            when = _reaction_time(recent, local_offset, at, where)
            name = str(recent.get("from") or DELETED_NAME)
            ref = f"{msg_id}:{user}:{emoji}"
            yield ImportedRecord(PLATFORM, chat.id, chat.title, user, name, "reaction", when, ref)


def _local_offset(msg: dict[str, Any], at: datetime) -> timedelta:
    """How far the exporting computer's clock (the naive ``date`` fields) is from UTC."""
    try:
        local = datetime.fromisoformat(str(msg.get("date")))
    except ValueError:
        return timedelta(0)
    return local.replace(tzinfo=UTC) - at if local.tzinfo is None else timedelta(0)


def _reaction_time(
    recent: dict[str, Any], local_offset: timedelta, fallback: datetime, where: str
) -> datetime:
    """A reaction's time: only a local ``date`` is exported, so undo the export's offset."""
    unix = recent.get("date_unixtime")
    if isinstance(unix, str | int) and _digits(str(unix).strip()):
        return from_unix(int(unix), where)
    try:
        local = datetime.fromisoformat(str(recent.get("date")))
    except ValueError:
        return fallback
    if local.tzinfo is None:
        try:
            local = local.replace(tzinfo=UTC) - local_offset
        except OverflowError:
            return fallback
    return checked_time(local, where)


def _service_records(
    chat: ExportChat,
    msg: dict[str, Any],
    msg_id: int,
    at: datetime,
    names: dict[str, str],
) -> Iterator[ImportedRecord]:
    action = msg.get("action")
    if action in JOIN_ACTIONS:
        kind = "join"
    elif action in LEAVE_ACTIONS:
        kind = "leave"
    else:
        return  # pins, title changes, calls, migrations: not member activity
    actor = sender_id(msg.get("actor_id"))
    actor_name = str(msg.get("actor") or DELETED_NAME)
    members = [m for m in msg.get("members") or [] if isinstance(m, str) or m is None]
    people: list[tuple[str, str]] = []
    if action == "create_group" and actor:
        people.append((actor, actor_name))
    if members:
        for member in members:
            name = member or DELETED_NAME
            if member == msg.get("actor") and actor:
                people.append((actor, name))
            else:
                people.append((names.get(name, f"name:{name}"), name))
    elif actor and action != "create_group":
        people.append((actor, actor_name))
    seen: set[str] = set()
    for user, name in people:
        if user in seen:
            continue
        seen.add(user)
        ref = f"{msg_id}:{user}"
        yield ImportedRecord(PLATFORM, chat.id, chat.title, user, name, kind, at, ref)


def _known_senders(messages: list[Any]) -> dict[str, str]:
    """Display name → user id, from every message that names both (service messages list
    invited members by name only)."""
    names: dict[str, str] = {}
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        for name_key, id_key in (("from", "from_id"), ("actor", "actor_id")):
            name, user = msg.get(name_key), sender_id(msg.get(id_key))
            if isinstance(name, str) and name and user:
                names.setdefault(name, user)
    return names


def read_records(path: Path, problems: list[str] | None = None) -> list[ImportedRecord]:
    """Every readable record in an export file, read before anything is written; bad
    records are described in `problems` and left out."""
    found = [] if problems is None else problems
    records: list[ImportedRecord] = []
    for chat in load_export(path):
        records.extend(chat_records(chat, found))
    return records


def community_for(store: Store, name: str, chats: list[str]) -> int:
    """The community to import into: the one with this name, or the one the bot already
    routes these chats to, else a new one keyed ``telegram:<first chat id>``.

    Raises:
        ImportFormatError: a chat already belongs to a different community.
    """
    row = store.conn.execute(
        "SELECT id FROM communities WHERE name = ? ORDER BY id LIMIT 1", (name,)
    ).fetchone()
    linked = {c: store.space_community(PLATFORM, c) for c in chats}
    if row is not None:
        community = int(row[0])
    else:
        found = next((c for c in linked.values() if c is not None), None)
        community = found if found is not None else store.community(f"telegram:{chats[0]}", name)
        with store.transaction() as conn:  # a group the bot named after its id gets the name
            conn.execute(
                "UPDATE communities SET name = ? WHERE id = ? AND name = key", (name, community)
            )
    for chat, current in linked.items():
        if current is not None and current != community:
            other = store.conn.execute(
                "SELECT name FROM communities WHERE id = ?", (current,)
            ).fetchone()
            raise ImportFormatError(
                f"Telegram chat {chat} already belongs to the community {other[0]!r}; "
                f"import with --community {other[0]!r}."
            )
        if current is None:
            store.link_space(PLATFORM, chat, community)
    return community


def progress_bar(total: int, out: TextIO = sys.stderr, width: int = 30) -> Callable[[int], None]:
    """A callback that draws ``[#####.....] done/total`` on one line of `out`."""

    def show(done: int) -> None:
        filled = width if total == 0 else min(width, width * done // total)
        end = "\n" if done >= total else ""
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}{end}")
        out.flush()

    return show


def run_import(
    store: Store,
    path: Path,
    community_name: str,
    *,
    store_text: bool,
    out: TextIO = sys.stderr,
) -> ImportResult:
    """Backfill a community's activity from a Telegram Desktop JSON export; safe to re-run.

    A bad message is reported in `ImportResult.problems` (naming its id) and skipped.

    Raises:
        ImportFormatError: the file is not a usable export (nothing is written then).
    """
    chats = load_export(path)
    problems: list[str] = []
    records: list[ImportedRecord] = []
    for chat in chats:
        records.extend(chat_records(chat, problems))
    community = community_for(store, community_name, [c.id for c in chats])
    show = progress_bar(len(records), out)
    result = import_records(store, community, records, store_text=store_text, progress=show)
    show(len(records))
    result.problems[:0] = problems
    return result
