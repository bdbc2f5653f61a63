"""Scan a store for traces of one member (used by privacy tests): every table's cells, and
the bytes of every file under a folder (the database, its WAL, anything the bot wrote)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.storage.store import Store


def traces(
    store: Store, member: int, needles: list[str], declared: Iterable[tuple[str, str]] = ()
) -> list[str]:
    """Cells that still mention the member: ids in member-ish or declared member columns
    (`Feature.member_columns`), or any needle text."""
    declared = set(declared)
    store.flush()
    found = []
    for table in store.tables():
        if table.startswith("sqlite_"):
            continue
        cur = store.conn.execute(f'SELECT * FROM "{table}"')  # table names come from the schema
        columns = [d[0] for d in cur.description]
        for row in cur.fetchall():
            for column, value in zip(columns, row, strict=True):
                holds_member = "member" in column or (table, column) in declared
                if isinstance(value, int) and holds_member and value == member:
                    found.append(f"{table}.{column} = {value}")
                if table == "members" and column == "id" and value == member:
                    found.append(f"members.id = {value}")
                if isinstance(value, str) and any(n in value for n in needles):
                    found.append(f"{table}.{column} = {value!r}")
    return found


def file_traces(folder: Path, needles: Iterable[bytes]) -> list[str]:
    """Files under `folder` whose bytes hold one of the needles (as "name: needle")."""
    needles = list(needles)
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{path.name}: {n[:40]!r}" for n in needles if n in data]
    return hits
