"""The activity writer's bulk path on both engines: batches that waited together commit in
one transaction in order, and a row the bulk path refuses is written alone or set aside
(bot/storage/writer.py)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.storage import rollups, versions, writer
from bot.storage.store import Store
from bot.storage.writer import Batch, Queue

pytestmark = pytest.mark.engines


def _setup(store: Store) -> tuple[int, int, int]:
    community = store.community("k", "K")
    member = store.member(community, "fake", "u1", "Ana", 0).id
    return community, member, store.chat(community, "fake", "general")


def test_batches_waiting_together_commit_in_one_transaction_in_order(
    store_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(store_target)
    community, member, chat = _setup(store)
    counter = store.version(versions.MEMBERS, fresh=True)
    queue = Queue()
    for b in range(6):  # batches of ten rows, as a writer that fell behind finds them
        rows = [(community, member, chat, 1000 + b * 10 + i, 0, 1, None) for i in range(10)]
        version = -1 if b == 5 else counter  # the last buffered under another counter
        queue.put(Batch(rows, {member: 1000 + b * 10 + 9}, version))
    written: list[int] = []
    real = writer.write_batch

    def counted(conn: Any, batch: Batch) -> int:
        done = real(conn, batch)
        written.append(done)  # one call is one transaction
        return done

    monkeypatch.setattr(writer, "write_batch", counted)
    monkeypatch.setattr(writer, "MERGE_ROWS", 30)
    conn = store.engine.connect()
    try:
        assert queue.commit_all(conn, threading.RLock()) == 60
    finally:
        conn.close()
    # three batches in one transaction, then two (the cap), then the one of another counter
    assert written == [30, 20, 10]
    assert not queue.batches
    ats = [r["at"] for r in store.rows("SELECT at FROM activity ORDER BY id")]
    assert ats == list(range(1000, 1060))
    assert store.member_info(member)["last_seen"] == 1059
    assert rollups.total(store.conn, community, 0, 2000) == 60
    store.close()


def test_a_row_the_bulk_path_refuses_is_written_alone_or_set_aside(
    store_target: str | Path,
) -> None:
    store = Store(store_target)
    community, member, chat = _setup(store)
    for i in range(50):
        store.add_activity(community, member, chat, 10 + i, 0, 2, "ok")
    store.add_activity(community, member, chat, 100, 0, 3, "a\x00b")  # PostgreSQL: no NUL
    store.add_activity(community, 10**20, chat, 101, 0, 2, "too big")  # past 64 bits
    for i in range(50):
        store.add_activity(community, member, chat, 200 + i, 0, 2, "ok")
    store.flush()
    assert store.scalar("SELECT count(*) FROM activity") == 101
    text = store.scalar("SELECT text FROM activity WHERE at = 100")
    assert text in ("a\x00b", "a\ufffdb")  # kept as it is (SQLite) or made valid (PostgreSQL)
    (letter,) = store.dead_letters()
    assert json.loads(letter["data"])["member"] == 10**20
    assert rollups.total(store.conn, community, 0, 1000) == 101  # the counts agree
    assert store.member_info(member)["last_seen"] == 249
    store.close()
