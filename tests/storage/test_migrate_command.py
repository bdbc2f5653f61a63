"""`convene migrate`: a SQLite store copied into PostgreSQL, verified, safe to run twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from adapters.fake import FakeAdapter
from bot.cli import main
from bot.config import Config
from bot.core import Core
from bot.storage.store import Store
from tests.conftest import Clock
from tests.importers.big_export import write_export
from tests.pg import PgServer


async def _sqlite_store(path: Path, clock: Clock) -> None:
    core = Core(Config(database=path), Store(path), clock=clock)
    chat = FakeAdapter(core)
    chat.admins.add("admin")
    await chat.say("admin", "/digest schedule weekly mon 09:00 UTC")
    for i in range(30):
        await chat.say(f"m{i % 7}", f"message {i} about fundraising")
    await chat.say("m1", "/profile set headline Climate fintech, pre-seed")
    await core.close()


def _counts_sqlite(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def _count_pg(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


async def test_migrate_copies_every_table_and_is_safe_to_rerun(
    pg_server: PgServer, db_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    await _sqlite_store(db_path, clock)
    url = pg_server.new_database()
    source = _counts_sqlite(db_path)
    assert source["activity"] >= 30
    assert source["profiles"] == 1

    assert main(["migrate", "--to", url, "--from", str(db_path)]) == 0
    first = capsys.readouterr().out
    assert "every row count matches" in first
    for table, n in source.items():
        if table not in ("schema_version", "sqlite_sequence"):
            assert _count_pg(url, table) == n, table

    assert main(["migrate", "--to", url, "--from", str(db_path)]) == 0  # again: nothing doubles
    assert "every row count matches" in capsys.readouterr().out
    assert _count_pg(url, "activity") == source["activity"]

    core = Core(Config(store_url=url), Store(url), clock=clock)  # the bot runs on the copy
    chat = FakeAdapter(core)
    [shown] = await chat.say("m1", "/profile")
    assert "Climate fintech" in shown.text
    await chat.say("newcomer", "hello")  # new ids continue after the copied ones
    await core.close()
    assert _count_pg(url, "members") == source["members"] + 1


def test_migrate_copies_a_store_that_imported_history(
    pg_server: PgServer, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import's own table (made by the first `convene import`) is copied too; it used to
    stop the migration with "the source's import schema is version 1, newer than this"."""
    export = write_export(tmp_path / "result.json", 300)
    assert main(["import", "telegram", str(export), "--community", "Founders", "--db",
                 str(db_path), "--no-embed"]) == 0  # fmt: skip
    url = pg_server.new_database()
    source = _counts_sqlite(db_path)
    assert source["imported"] == 300

    assert main(["migrate", "--to", url, "--from", str(db_path)]) == 0
    assert "every row count matches" in capsys.readouterr().out
    assert _count_pg(url, "imported") == 300
    assert _count_pg(url, "activity") == source["activity"]


def test_migrate_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--to", "postgresql://", "--from", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--to" in err
    assert "Fix:" in err
    url = "postgresql://convene@127.0.0.1:1/none"
    assert main(["migrate", "--to", url, "--from", str(tmp_path / "x.db")]) == 2
    assert "No SQLite store at" in capsys.readouterr().err
