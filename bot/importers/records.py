"""History import: records parsed from a platform export, written idempotently.

Parsers (one per export format) yield `ImportedRecord`s and raise `ImportFormatError` when
the file as a whole is unusable (naming the line). A bad record (no id, a date out of range)
is reported with its message id and skipped; the rest imports. `import_records` writes each
chunk's activity rows together with their "imported" markers in one transaction, so a crash
at any point and a re-run lose nothing and add nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.storage.store import ACTIVITY_KINDS, Store
from bot.text import clean, valid_text

CHUNK = 1000  # records per transaction: markers and rows commit together
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)  # a day short of the end: any offset still fits

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


def from_unix(value: int, where: str) -> datetime:
    """A Unix time as UTC, or an ImportFormatError naming the record if it is out of range."""
    try:
        return checked_time(datetime.fromtimestamp(value, UTC), where)
    except (OverflowError, ValueError, OSError):
        raise ImportFormatError(
            f"{where} has a date_unixtime out of range ({value}); dates must fall between "
            "1970 and 9999."
        ) from None


def from_iso(value: str, where: str, what: str) -> datetime:
    """An ISO 8601 time (naive means UTC; a trailing Z is UTC), or an ImportFormatError
    naming the record and its field `what` (``timestamp``, ``date``)."""
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        if value[:5].isdigit():  # a five-digit year: past what a date can hold
            raise ImportFormatError(
                f"{where} has a {what} out of range ({value[:40]!r}); dates must fall "
                "between 1970 and 9999."
            ) from None
        raise ImportFormatError(
            f"{where} has a {what} that is not ISO 8601: {value[:40]!r}."
        ) from None
    return checked_time(at if at.tzinfo else at.replace(tzinfo=UTC), where)


def checked_time(at: datetime, where: str) -> datetime:
    """`at` in UTC if it falls in 1970-9999, else an ImportFormatError naming the record."""
    try:
        utc = at.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ImportFormatError(
            f"{where} has a date out of range ({at.year}); dates must fall between 1970 and 9999."
        )
    return utc


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
    """What an import did: records added, already there, and bad ones reported and skipped."""

    added: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def import_records(
    store: Store,
    community: int,
    records: Iterable[ImportedRecord],
    *,
    store_text: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write records that were not imported before; returns how many were added and skipped.

    Every chunk of `CHUNK` records commits in one transaction: its activity rows, its
    members' first-seen times and its "imported" markers, so a crash and a re-run lose
    nothing and add nothing twice.
    """
    store.migrate("import", IMPORT_MIGRATIONS)
    result = ImportResult()
    chunk: list[ImportedRecord] = []
    for i, rec in enumerate(records, 1):
        chunk.append(rec)
        if len(chunk) >= CHUNK:
            _write_chunk(store, community, chunk, store_text, result)
            chunk = []
        if progress and i % 500 == 0:
            progress(i)
    if chunk:
        _write_chunk(store, community, chunk, store_text, result)
    return result


_SEEN = (
    "SELECT 1 FROM imported WHERE community = ? AND platform = ? AND chat = ? "
    "AND ref = ? AND kind = ?"
)
_MARK = (
    "INSERT INTO imported (community, platform, chat, ref, kind, member) VALUES (?, ?, ?, ?, ?, ?)"
)


def _write_chunk(
    store: Store,
    community: int,
    chunk: list[ImportedRecord],
    store_text: bool,
    result: ImportResult,
) -> None:
    earliest: dict[int, int] = {}
    rows: list[tuple[Any, ...]] = []
    with store.transaction() as conn:
        for rec in chunk:
            key = (community, rec.platform, rec.chat, rec.ref, rec.kind)
            if conn.execute(_SEEN, key).fetchone():
                result.skipped += 1
                continue
            at = int(rec.at.timestamp())
            member = store.member(community, rec.platform, rec.user, valid_text(rec.name), at)
            if member.tracking:
                chat = store.chat(community, rec.platform, rec.chat, valid_text(rec.chat_title))
                text = clean(rec.text)
                if valid_text(rec.text) != rec.text:
                    result.problems.append(
                        f"{rec.platform} chat {rec.chat}, message {rec.ref}: its text held "
                        "characters that are not valid Unicode; they were replaced with \ufffd."
                    )
                kept = text if store_text and text else None
                rows.append(
                    (community, member.id, chat, at, ACTIVITY_KINDS[rec.kind], len(text), kept)
                )
                earliest[member.id] = min(at, earliest.get(member.id, at))
            conn.execute(_MARK, (*key, member.id))
            result.added += 1
        store.write_activity(rows)
        conn.executemany(
            "UPDATE members SET first_seen = min(first_seen, ?), joined_at = min(joined_at, ?) "
            "WHERE id = ?",
            [(at, at, member) for member, at in earliest.items()],
        )


def forget_imports(store: Store, community: int, member: int) -> None:
    """Delete the import markers that name a member (their rows go with their activity)."""
    with store.transaction() as c:
        has_imports = "imported" in store.tables()
        if has_imports:
            c.execute(
                "DELETE FROM imported WHERE community = ? AND member = ?", (community, member)
            )
