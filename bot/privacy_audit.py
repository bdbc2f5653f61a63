"""`convene privacy audit`: every table row and file location that still mentions a member.

The needles are the member's id (looked for in every column that holds member ids), and the
texts that identify them: name, platform user ids and handles, their message texts and the
links in them, plus any text given with ``--also`` (after an erasure the store no longer
knows the name, so the caller says it). Rows are read with SQL, on either engine; files (a
SQLite database, its WAL and shared-memory files, and any file or folder given) are scanned
byte for byte, so text that only survives in free pages or in the WAL is found too. A
PostgreSQL server's own files are not ours to read: there the rows and the given files are
audited, and the report says so.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage.engine import Engine, PgConnection

_URL = re.compile(r"https?://\S+")
MIN_NEEDLE = 3  # shorter texts match everywhere and mean nothing


@dataclass
class Needles:
    """What identifies one member."""

    member: int | None = None
    texts: set[str] = field(default_factory=set)
    note: str = ""  # said before the findings (e.g. a name that several members share)

    def add(self, *values: object) -> None:
        for value in values:
            text = str(value or "").strip()
            if len(text) >= MIN_NEEDLE:
                self.texts.add(text)


@dataclass
class Report:
    rows: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def clean(self) -> bool:
        return not self.rows and not self.files

    @property
    def summary(self) -> str:
        rows = "row" if len(self.rows) == 1 else "rows"
        hits = "file hit" if len(self.files) == 1 else "file hits"
        return f"{len(self.rows)} {rows}, {len(self.files)} {hits}"

    def lines(self) -> Iterator[str]:
        if self.note:
            yield self.note
        yield from (f"row   {r}" for r in self.rows)
        yield from (f"file  {f}" for f in self.files)
        yield self.summary


def member_columns(conn: sqlite3.Connection | PgConnection) -> set[tuple[str, str]]:
    """Every (table, column) holding member ids: the features' declarations, every column
    named like one, and members.id."""
    from bot.features import default_features

    declared = {col for f in default_features() for col in f.member_columns}
    declared.add(("members", "id"))
    for table in _tables(conn):
        for column in _columns(conn, table):
            if "member" in column:
                declared.add((table, column))
    return declared


def needles_for(
    conn: sqlite3.Connection | PgConnection, member: str, also: Iterable[str] = ()
) -> Needles:
    """The needles of a member given by id or name (and `also` texts)."""
    needles = Needles()
    needles.add(*also)
    ids: list[int] = []
    if member.strip().isdigit():
        ids = [int(member)]
    else:
        needles.add(member)
        ids = [int(r[0]) for r in conn.execute(
            "SELECT id FROM members WHERE lower(name) = lower(?) ORDER BY id", (member.strip(),)
        )]  # fmt: skip
    if len(ids) > 1:
        needles.note = (
            f"{member!r} is the name of {len(ids)} members (ids {', '.join(map(str, ids))}); "
            f"auditing id {ids[0]}. Pass --member ID for another."
        )
    for ident in ids[:1]:
        needles.member = ident
        for (name,) in conn.execute("SELECT name FROM members WHERE id = ?", (ident,)):
            needles.add(name)
        handle = "handle" in _columns(conn, "identities")
        sql = "SELECT user" + (", handle" if handle else "") + " FROM identities WHERE member = ?"
        for row in conn.execute(sql, (ident,)):
            needles.add(*row)
        for (text,) in conn.execute(
            "SELECT DISTINCT text FROM activity WHERE member = ? AND text IS NOT NULL", (ident,)
        ):
            needles.add(text, *_URL.findall(text))
    return needles


def audit(
    target: str | Path, member: str, also: Iterable[str] = (), files: Iterable[Path] = ()
) -> Report:
    """Every row and file location of the store at `target` (a SQLite file or a PostgreSQL
    URL) and of `files` mentioning `member`."""
    report = Report()
    engine = Engine(target)
    if engine.postgres:
        conn: sqlite3.Connection | PgConnection = engine.connect()
        paths = list(files)
    else:
        db = engine.path
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        paths = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm")), *files]
    try:
        needles = needles_for(conn, member, also)
        report.note = needles.note
        columns = member_columns(conn)
        for table in _tables(conn):
            _scan_table(conn, table, columns, needles, report)
    finally:
        conn.close()
        engine.dispose()
    if engine.postgres:
        server = "the PostgreSQL server's own files are not scanned (its rows are)"
        report.note = "; ".join(n for n in (report.note, server) if n)
    for path in _files(paths):
        _scan_file(path, needles, report)
    return report


def _scan_table(
    conn: sqlite3.Connection | PgConnection,
    table: str,
    columns: set[tuple[str, str]],
    needles: Needles,
    report: Report,
) -> None:
    label = "rowid="
    if isinstance(conn, PgConnection) or _without_rowid(conn, table):
        label = "row "  # no rowid: the rows are numbered in scan order
        sql = f'SELECT row_number() OVER () AS n, * FROM "{table}"'
    else:
        sql = f'SELECT rowid, * FROM "{table}"'  # table names come from the schema
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description][1:]
    for rowid, *values in cur:
        for column, value in zip(names, values, strict=True):
            where = f"{table} {label}{rowid}: {column}"
            if (
                isinstance(value, int)
                and needles.member is not None
                and value == needles.member
                and (table, column) in columns
            ):
                report.rows.append(f"{where} = {value}")
            elif isinstance(value, str) and any(n in value for n in needles.texts):
                report.rows.append(f"{where} = {_short(value)}")


def _without_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except sqlite3.OperationalError:
        return True
    return False


def _scan_file(path: Path, needles: Needles, report: Report) -> None:
    data = path.read_bytes()
    for needle in sorted(needles.texts):
        raw = needle.encode("utf-8")
        at = data.find(raw)
        while at >= 0:
            report.files.append(f"{path} @ {at}: {_short(needle)}")
            at = data.find(raw, at + 1)


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in found:
            if p.is_file() and p.resolve() not in seen:
                seen.add(p.resolve())
                yield p


def _tables(conn: sqlite3.Connection | PgConnection) -> list[str]:
    if isinstance(conn, PgConnection):
        return conn.engine.tables(conn)
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def _columns(conn: sqlite3.Connection | PgConnection, table: str) -> list[str]:
    if isinstance(conn, PgConnection):
        return conn.engine.columns(conn, table)
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
