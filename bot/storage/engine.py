"""The database engine behind the store: a SQLite file (the default) or PostgreSQL.

`Engine.connect` returns a DB-API connection that behaves like Python's ``sqlite3``
connection on either engine, so the store modules keep one way to talk to the database:
``conn.execute(sql, params)``, ``conn.executemany``, ``with conn:`` for one transaction,
cursors with ``fetchone``/``fetchall``/``rowcount``/``lastrowid``/``description``, rows
that index by position and by column name.

On PostgreSQL, SQLAlchemy parses and validates the URL and pools psycopg 3 connections;
each statement goes through `bot.storage.dialect.to_postgres` (cached per statement).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from psycopg.adapt import Loader
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.storage.dialect import to_postgres


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


def is_postgres(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def check_url(url: str, where: str = "[store] url") -> str:
    """The URL in SQLAlchemy's psycopg form, or a StoreError naming the key and the fix."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or not parsed.host or not parsed.database:
        raise StoreError(
            f'{where} = "{url}" is not a PostgreSQL URL with a host and a database. '
            'Fix: e.g. url = "postgresql://convene@127.0.0.1:5432/convene" '
            "(the password from PGPASSWORD), or a SQLite file path."
        )
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class Row(tuple):
    """A result row: by position like a tuple, by column name like ``sqlite3.Row``."""

    __slots__ = ()
    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    if cursor.description is None:
        return None
    names = {d.name: i for i, d in enumerate(cursor.description)}
    cls = type("Row", (Row,), {"__slots__": (), "_names": names})
    return lambda values: cls(values)


class _NumericLoader(Loader):
    """``numeric`` (what sum() of integers gives) as int when whole, else float, like SQLite."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        return int(text) if text.lstrip("-").isdigit() else float(text)


class PgCursor(psycopg.Cursor[Any]):
    """A psycopg cursor with ``sqlite3``'s ``lastrowid`` (from ``RETURNING id``)."""

    lastrowid: int | None = None


_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?(\w+)", re.IGNORECASE)


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)  # SQLite stores booleans as integers; the columns are integers
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _params(params: Any) -> Any:
    if isinstance(params, dict):
        return {k: _param(v) for k, v in params.items()}
    return tuple(_param(v) for v in params)


class PgConnection:
    """A psycopg connection with the ``sqlite3.Connection`` surface the store uses.

    Outside a transaction each statement commits on its own. ``BEGIN`` (``IMMEDIATE`` or
    not), `commit` and `rollback` work as on SQLite; ``with conn:`` opens a transaction
    unless one is open and, if it opened it, commits it at the end (rolls back on error).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw = engine.sa_engine.raw_connection()
        conn = self._raw.driver_connection
        assert isinstance(conn, psycopg.Connection)
        conn.autocommit = True
        conn.cursor_factory = PgCursor
        conn.row_factory = _row_factory
        conn.adapters.register_loader("numeric", _NumericLoader)
        self.pg: psycopg.Connection[Any] = conn
        self._opened: list[bool] = []
        self.row_factory: Any = None  # accepted for sqlite3 compatibility; rows always have names

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        cursor = self.pg.cursor()
        assert isinstance(cursor, PgCursor)
        text = to_postgres(sql)
        if text is None:
            return cursor
        if _BEGIN.match(text):
            if not self.in_transaction:
                cursor.execute("BEGIN")
            return cursor
        match = _INSERT.match(sql)
        returning = (
            match is not None
            and match.group(1).lower() in self.engine.id_tables(self)
            and " RETURNING " not in text.upper()
        )
        if returning:
            text += " RETURNING id"
        cursor.execute(text, _params(params))
        if returning:
            row = cursor.fetchone()
            cursor.lastrowid = int(row[0]) if row else None
        if _DDL_CHANGE.match(sql):
            self.engine.forget_id_tables()
        return cursor

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> PgCursor:
        """Many rows in one pipelined round trip (psycopg's executemany)."""
        cursor = self.pg.cursor()
        assert isinstance(cursor, PgCursor)
        text = to_postgres(sql)
        if text is not None:
            rows = [_params(p) for p in seq]
            if rows:
                cursor.executemany(text, rows)
        return cursor

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Bulk-load rows with ``COPY … FROM STDIN`` (PostgreSQL's bulk path).

        Values go as they are, with none of `execute`'s conversions (the hot path's rows are
        integers and clean text): a value PostgreSQL refuses (a NUL, a boolean for an integer
        column) fails the whole COPY with a `psycopg.DataError`, and the caller then inserts
        row by row (the activity writer does), where `execute` converts it.
        """
        names = ", ".join(f'"{c}"' for c in columns)
        with self.pg.cursor() as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def executescript(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.execute(statement)

    def __enter__(self) -> PgConnection:
        opened = not self.in_transaction
        if opened:
            self.pg.execute("BEGIN")
        self._opened.append(opened)
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if self._opened.pop():
            self.rollback() if kind else self.commit()

    def commit(self) -> None:
        if self.in_transaction:
            self.pg.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.pg.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self.pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @property
    def total_changes(self) -> int:
        return 0

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()
        self._raw.close()


def bulk_insert(
    conn: sqlite3.Connection | PgConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Append rows by the engine's bulk path: ``COPY`` on PostgreSQL (`PgConnection.copy_rows`),
    one ``executemany`` on SQLite. `table` and `columns` are constants of the caller."""
    if isinstance(conn, PgConnection):
        conn.copy_rows(table, columns, rows)
        return
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


_BEGIN = re.compile(r"^\s*BEGIN\b", re.IGNORECASE)
_DDL_CHANGE = re.compile(r"^\s*(CREATE|ALTER|DROP)\s+TABLE", re.IGNORECASE)


class Engine:
    """Where the store lives: a SQLite file path or a ``postgresql://`` URL."""

    def __init__(self, target: str | Path) -> None:
        self.postgres = is_postgres(target)
        self.dialect = "postgresql" if self.postgres else "sqlite"
        self._id_tables: set[str] | None = None
        self._lock = threading.Lock()
        if self.postgres:
            self.url = check_url(str(target))
            self.path = Path()
            self.sa_engine = sqlalchemy.create_engine(self.url, pool_size=5, max_overflow=20)
        else:
            self.url = ""
            self.path = Path(target)

    def __str__(self) -> str:
        if self.postgres:
            return make_url(self.url).render_as_string(hide_password=True)
        return str(self.path)

    def connect(self, *, timeout: float = 30) -> sqlite3.Connection | PgConnection:
        """A new connection (the caller closes it)."""
        if self.postgres:
            try:
                return PgConnection(self)
            except (sqlalchemy.exc.OperationalError, psycopg.OperationalError) as exc:
                orig = getattr(exc, "orig", None) or exc
                reason = str(orig).strip().splitlines()[0].removeprefix("connection failed: ")
                raise StoreError(
                    f"Cannot connect to PostgreSQL at {self}: {reason}. "
                    "Check that the server runs and [store] url is right."
                ) from None
        return sqlite3.connect(self.path, check_same_thread=False, timeout=timeout)

    def id_tables(self, conn: PgConnection) -> set[str]:
        """Tables with an identity ``id`` column (inserts into them return the new id)."""
        with self._lock:
            if self._id_tables is None:
                rows = conn.pg.execute(
                    "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
                    "AND is_identity = 'YES' AND table_schema = current_schema()"
                ).fetchall()
                self._id_tables = {r[0] for r in rows}
            return self._id_tables

    def forget_id_tables(self) -> None:
        with self._lock:
            self._id_tables = None

    def tables(self, conn: Any) -> list[str]:
        """The names of the tables behind a connection (of either engine)."""
        if isinstance(conn, PgConnection):
            sql = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            )
            return [r[0] for r in conn.pg.execute(sql)]
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        return [r[0] for r in conn.execute(sql)]

    def columns(self, conn: Any, table: str) -> list[str]:
        """The column names of one table, in order (a connection of either engine)."""
        if isinstance(conn, PgConnection):
            sql = (
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = %s ORDER BY ordinal_position"
            )
            return [r[0] for r in conn.pg.execute(sql, (table,))]
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]

    def unique_keys(self, conn: Any, table: str) -> list[tuple[str, ...]]:
        """The column sets of one table's primary key and unique constraints."""
        if isinstance(conn, PgConnection):
            sql = (
                "SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE i.indrelid = to_regclass(%s) AND i.indisunique GROUP BY i.indexrelid"
            )
            return [tuple(r[0]) for r in conn.pg.execute(sql, (f'"{table}"',))]
        keys = [
            tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{ix[1]}")'))
            for ix in conn.execute(f'PRAGMA index_list("{table}")')
            if ix[2]
        ]
        pk = [(c[5], c[1]) for c in conn.execute(f'PRAGMA table_info("{table}")') if c[5]]
        if pk and not any(set(k) == {n for _, n in pk} for k in keys):
            keys.append(tuple(n for _, n in sorted(pk)))  # an INTEGER PRIMARY KEY (the rowid)
        return keys

    def move_value(
        self, conn: Any, table: str, column: str, old: object, new: object, **only: object
    ) -> int:
        """Set `column` from `old` to `new` in every row (with the columns in `only` equal to
        their values) where that breaks no unique key.

        SQLite's ``UPDATE OR IGNORE``, written so both engines run it: a row whose moved
        copy would collide with an existing row keeps `old` (the caller decides its fate).
        The names come from code (feature declarations), never from input.
        """
        clashes = [
            "NOT EXISTS (SELECT 1 FROM {t} AS o WHERE o.{c} = :new{rest})".format(
                t=f'"{table}"',
                c=f'"{column}"',
                rest="".join(f' AND o."{k}" = "{table}"."{k}"' for k in key if k != column),
            )
            for key in self.unique_keys(conn, table)
            if column in key
        ]
        where = "".join(f' AND "{k}" = :only_{k}' for k in only)
        where += "".join(f" AND {clash}" for clash in clashes)
        sql = f'UPDATE "{table}" SET "{column}" = :new WHERE "{column}" = :old{where}'
        params = {"new": new, "old": old, **{f"only_{k}": v for k, v in only.items()}}
        return int(conn.execute(sql, params).rowcount)

    def dispose(self) -> None:
        if self.postgres:
            self.sa_engine.dispose()
