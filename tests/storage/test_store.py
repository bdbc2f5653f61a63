"""The store on a real SQLite file (and, for tests marked `engines`, on PostgreSQL too):
migrations, batching, flushing, bad paths."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import Config
from bot.storage.engine import Engine
from bot.storage.migrations import CORE_MIGRATIONS
from bot.storage.store import Store, StoreError, migrate


def _activity_count(target: str | Path) -> int:
    engine = Engine(target)  # a connection of its own, as another process has
    conn = engine.connect()
    try:
        return conn.execute("SELECT count(*) FROM activity").fetchone()[0]
    finally:
        conn.close()
        engine.dispose()


def test_new_file_is_in_wal_mode_with_a_schema_version(db_path: Path) -> None:
    store = Store(db_path)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = store.scalar("SELECT version FROM schema_version WHERE component = 'core'")
    assert version == len(CORE_MIGRATIONS)
    store.close()


@pytest.mark.engines
def test_migrations_bring_an_existing_store_forward_and_keep_its_data(
    engine: str, db_path: Path, request: pytest.FixtureRequest
) -> None:
    target: str | Path = db_path
    if engine == "postgresql":  # a database of its own: this test changes the schema
        target = request.getfixturevalue("pg_server").new_database()
    store = Store(target)
    community = store.community("k", "Kept")
    store.close()
    extra = [[*CORE_MIGRATIONS[0]], ["ALTER TABLE communities ADD COLUMN motto TEXT"]]
    conn = store.engine.connect()
    try:
        migrate(conn, "core", extra[:1])  # already at 1: nothing to do
        assert migrate(conn, "core", extra) == 2
        conn.commit()
        row = conn.execute("SELECT id, name, motto FROM communities").fetchone()
        assert tuple(row) == (community, "Kept", None)
        version = "SELECT version FROM schema_version WHERE component = 'core'"
        assert conn.execute(version).fetchone()[0] == 2
    finally:
        conn.close()
        store.engine.dispose()


@pytest.mark.engines
def test_a_feature_migrates_its_own_tables_independently(store_target: str | Path) -> None:
    store = Store(store_target)
    store.migrate("notes", [["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"]])
    store.migrate("notes", [["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"]])  # again
    assert store.scalar("SELECT version FROM schema_version WHERE component = 'notes'") == 1
    store.close()


def test_a_database_from_a_newer_convene_is_refused_untouched(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE schema_version SET version = 99 WHERE component = 'core'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade Convene"):
        Store(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == 99
    conn.close()


def test_unwritable_path_is_one_clear_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Choose a writable path"):
        Store(blocker / "sub" / "convene.db")


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 200)
    with pytest.raises(StoreError, match="Cannot open the database"):
        Store(path)


@pytest.mark.engines
def test_writes_are_batched_then_flushed(store_target: str | Path) -> None:
    store = Store(store_target, batch_size=100)
    community = store.community("k", "K")
    member = store.member(community, "fake", "u1", "Ana", 0).id
    chat = store.chat(community, "fake", "general")
    for i in range(99):
        store.add_activity(community, member, chat, i, 0, 1, None)
    assert store.pending == 99
    assert _activity_count(store_target) == 0  # nothing committed row by row
    store.add_activity(community, member, chat, 100, 0, 1, None)  # full: to the writer
    assert store.settle()
    assert store.pending == 0
    assert _activity_count(store_target) == 100
    store.close()


@pytest.mark.engines
def test_close_flushes_what_is_buffered(store_target: str | Path) -> None:
    store = Store(store_target)
    community = store.community("k", "K")
    member = store.member(community, "fake", "u1", "Ana", 0).id
    chat = store.chat(community, "fake", "general")
    store.add_activity(community, member, chat, 5, 0, 3, "hey")
    assert _activity_count(store_target) == 0
    store.close()
    assert _activity_count(store_target) == 1


@pytest.mark.engines
async def test_the_core_flushes_within_a_second(config: Config, store_target: str | Path) -> None:
    import asyncio

    from adapters.fake import FakeAdapter
    from bot.core import Core

    core = Core(config, Store(config.store))
    await core.start()
    chat = FakeAdapter(core)
    await chat.say("ana", "buffered")
    assert _activity_count(store_target) == 0
    await asyncio.sleep(1.3)
    assert _activity_count(store_target) == 1
    await core.close()


@pytest.mark.engines
def test_member_lookups_are_parameterized(store_target: str | Path) -> None:
    store = Store(store_target)
    community = store.community("k", "K")
    store.member(community, "fake", "u1", "Robert'); DROP TABLE members;--", 0)
    store.member(community, "fake", "u2", "100%_real", 0)
    assert store.find_members(community, "Robert'); DROP TABLE members;--")
    assert [name for _, name in store.find_members(community, "100%")] == ["100%_real"]
    assert store.find_members(community, "_") == []  # "_" and "%" are literal, not wildcards
    store.close()


@pytest.mark.engines
def test_vector_cache_round_trip(store_target: str | Path) -> None:
    import numpy as np

    store = Store(store_target)
    vec = np.arange(4, dtype=np.float32)
    store.put_many("m", {"h1": vec})
    found = store.get_many("m", ["h1", "h2"])
    assert list(found) == ["h1"]
    assert np.array_equal(found["h1"], vec)
    assert store.get_many("other-model", ["h1"]) == {}
    store.close()


@pytest.mark.engines
async def test_read_runs_off_the_loop_and_sees_buffered_rows(store_target: str | Path) -> None:
    import threading

    store = Store(store_target)
    community = store.community("k", "K")
    member = store.member(community, "fake", "u1", "Ana", 0).id
    store.add_activity(community, member, store.chat(community, "fake", "g"), 5, 0, 2, "hi")

    def query(conn: sqlite3.Connection) -> tuple[int, int]:
        return threading.get_ident(), conn.execute("SELECT count(*) FROM activity").fetchone()[0]

    thread, rows = await store.read(query)
    assert thread != threading.get_ident()
    assert rows == 1
    store.close()


@pytest.mark.engines
def test_a_community_is_found_by_key_or_name_in_any_case(store_target: str | Path) -> None:
    store = Store(store_target)
    try:
        angels = store.community("telegram:-100", "Angels of Lisbon")
        store.community("discord:42", "Founders")
        assert store.community_named("  angels of LISBON ") == angels
        assert store.community_named("TELEGRAM:-100") == angels
        assert store.community_named("Angels") is None  # whole names only
    finally:
        store.close()
