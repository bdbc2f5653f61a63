"""`convene migrate`: copy a SQLite store into PostgreSQL, table by table, and verify it.

The target gets the full schema first (every feature's migrations, as the bot creates it);
then each table of the source is copied in batches with ``ON CONFLICT DO NOTHING`` (rows
already there are kept, so a second run adds nothing), identity counters are moved past
the copied ids, and the row counts of every table are compared. Safe to re-run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.storage.engine import Engine, PgConnection, StoreError

BATCH = 5000
_SKIP = {"schema_version", "sqlite_sequence", "sqlite_stat1"}


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's outcome: rows in the source, rows in the target after the copy."""

    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def create_schema(url: str) -> None:
    """Create (or bring forward) every table the bot uses in the target store."""
    from bot.config import Config
    from bot.core import Core
    from bot.importers.records import IMPORT_MIGRATIONS
    from bot.storage.store import Store

    store = Store(url)
    try:
        Core(Config(store_url=url), store)  # runs every feature's migrations
        store.migrate("import", IMPORT_MIGRATIONS)  # made by the first `convene import`
    finally:
        store.close()


def copy_store(
    source: Path, url: str, *, progress: Callable[[str], None] = lambda _: None
) -> list[TableCopy]:
    """Copy every table of the SQLite file `source` into the PostgreSQL store at `url`.

    Raises:
        StoreError: the source is missing or newer than this Convene, or a row does not fit.
    """
    if not source.exists():
        raise StoreError(f"No SQLite store at {source}. Fix: pass --from PATH.")
    create_schema(url)
    engine = Engine(url)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = engine.connect()
    assert isinstance(dst, PgConnection)
    try:
        _check_versions(src, dst)
        targets = set(engine.tables(dst))
        results = []
        for table in _in_reference_order(dst, [t for t in engine.tables(src) if t not in _SKIP]):
            if table not in targets:
                raise StoreError(
                    f"The source has a table {table!r} this Convene does not know. "
                    "Fix: migrate with the Convene version that wrote the file."
                )
            results.append(_copy_table(engine, src, dst, table))
            progress(f"{table}: {results[-1].target} of {results[-1].source} rows")
        return results
    finally:
        src.close()
        dst.close()
        engine.dispose()


def _in_reference_order(dst: PgConnection, tables: list[str]) -> list[str]:
    """Tables ordered so that a table comes after the tables its foreign keys point to."""
    refs: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in dst.pg.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f'"
    ):
        child, parent = child.strip('"'), parent.strip('"')
        if child in refs and parent in refs and child != parent:
            refs[child].add(parent)
    ordered: list[str] = []
    while refs:
        ready = sorted(t for t, parents in refs.items() if not parents - set(ordered))
        if not ready:  # a cycle: keep the rest in name order
            ready = sorted(refs)
        for table in ready:
            ordered.append(table)
            del refs[table]
    return ordered


def _check_versions(src: sqlite3.Connection, dst: PgConnection) -> None:
    theirs = dict(src.execute("SELECT component, version FROM schema_version").fetchall())
    ours = dict(dst.execute("SELECT component, version FROM schema_version").fetchall())
    for component, version in theirs.items():
        if version > ours.get(component, 0):
            raise StoreError(
                f"The source's {component} schema is version {version}, newer than this "
                "Convene knows. Fix: upgrade Convene, then migrate."
            )


def _copy_table(
    engine: Engine, src: sqlite3.Connection, dst: PgConnection, table: str
) -> TableCopy:
    columns = [c for c in engine.columns(src, table) if c in set(engine.columns(dst, table))]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("%s" for _ in columns)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING'
    total = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    before = dst.pg.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    if before < total:
        rows = src.execute(f'SELECT {names} FROM "{table}"')
        with dst, dst.pg.cursor() as cur:
            while batch := rows.fetchmany(BATCH):
                try:
                    cur.executemany(insert, batch)
                except Exception as exc:
                    raise StoreError(f"Cannot copy a row of {table}: {exc}".strip()) from None
    if "id" in columns:
        dst.pg.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false) '
            f"WHERE pg_get_serial_sequence('\"{table}\"', 'id') IS NOT NULL"
        )
    after = dst.pg.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return TableCopy(table, int(total), int(after))
