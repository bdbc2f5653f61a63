"""History import: records parsed from a platform export, written idempotently.

Parsers (one per export format) yield `ImportedRecord`s and raise `ImportFormatError`
naming the line or message that is wrong; `import_records` writes them once, so a re-run
adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.storage.store import ACTIVITY_KINDS, Store
from bot.text import clean

IMPORT_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE imported (
            community INTEGER NOT NULL, platform TEXT NOT NULL, chat TEXT NOT NULL,
            ref TEXT NOT NULL, kind TEXT NOT NULL, member INTEGER,
            PRIMARY KEY (community, platform, chat, ref, kind))""",
    ]
]


class ImportFormatError(Exception):
    """The file is not a usable export; the message names the line or message at fault."""


def read_json(path: Path, *, folder_hint: str) -> Any:
    """Read an export file as JSON; every failure is one sentence naming the file or line.

    `folder_hint` finishes the sentence when `path` is a folder (e.g. "give the result.json
    file inside it").
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{path} is a folder; {folder_hint}.") from None
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{path} is not UTF-8 text (byte {exc.start}), so not a JSON export."
        ) from None
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise ImportFormatError(
            f"{path} is an HTML export; export again and choose the JSON format."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None


@dataclass(frozen=True, slots=True)
class ImportedRecord:
    """One historical event from an export.

    `ref` is the platform's message id (or another stable id) so a re-run is recognised.
    """

    platform: str
    chat: str
    chat_title: str
    user: str
    name: str
    kind: str  # message | join | leave | reaction
    at: datetime
    ref: str
    text: str = ""


@dataclass
class ImportResult:
    added: int = 0
    skipped: int = 0


def import_records(
    store: Store,
    community: int,
    records: Iterable[ImportedRecord],
    *,
    store_text: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write records that were not imported before; returns how many were added and skipped."""
    store.migrate("import", IMPORT_MIGRATIONS)
    result = ImportResult()
    seen_sql = (
        "SELECT 1 FROM imported WHERE community = ? AND platform = ? AND chat = ? "
        "AND ref = ? AND kind = ?"
    )
    for i, rec in enumerate(records, 1):
        key = (community, rec.platform, rec.chat, rec.ref, rec.kind)
        if store.conn.execute(seen_sql, key).fetchone():
            result.skipped += 1
        else:
            at = int(rec.at.timestamp())
            member = store.member(community, rec.platform, rec.user, rec.name, at)
            if member.tracking:
                chat = store.chat(community, rec.platform, rec.chat, rec.chat_title)
                text = clean(rec.text)
                store.add_activity(
                    community,
                    member.id,
                    chat,
                    at,
                    ACTIVITY_KINDS[rec.kind],
                    len(text),
                    text if store_text and text else None,
                )
                store.conn.execute(
                    "UPDATE members SET first_seen = min(first_seen, ?), "
                    "joined_at = min(joined_at, ?) WHERE id = ?",
                    (at, at, member.id),
                )
            store.conn.execute(
                "INSERT INTO imported (community, platform, chat, ref, kind, member) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*key, member.id),
            )
            result.added += 1
        if progress and i % 500 == 0:
            progress(i)
    store.flush()
    store.conn.commit()
    return result


def forget_imports(store: Store, community: int, member: int) -> None:
    """Delete the import markers that name a member (their rows go with their activity)."""
    with store.transaction() as c:
        has_imports = "imported" in store.tables()
        if has_imports:
            c.execute(
                "DELETE FROM imported WHERE community = ? AND member = ?", (community, member)
            )
