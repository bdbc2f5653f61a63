"""Activity rollups agree with the activity log (bot/storage/rollups.py), on both engines."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from bot.storage import rollups
from bot.storage.activity import daily_counts, ranking
from bot.storage.store import Store

pytestmark = pytest.mark.engines
START = 1_700_000_000


def _fill(store: Store, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    community = store.community("c", "C")
    chat = store.chat(community, "fake", "general")
    members = [store.member(community, "fake", f"u{i}", f"U{i}", START).id for i in range(6)]
    at = START
    for _ in range(rows):
        at += rng.randint(0, 1800)
        store.add_activity(
            community, rng.choice(members), chat, at, rng.choice([0, 0, 0, 1]), 5, "x"
        )
    store.flush()


def _raw_days(conn: sqlite3.Connection, start: int, end: int, offset: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT (at + ?) / 86400, count(*) FROM activity WHERE community = 1 AND kind = 0 "
        "AND at >= ? AND at < ? GROUP BY 1",
        (offset, start, end),
    )
    return {int(d): int(n) for d, n in rows}


def _raw_members(conn: sqlite3.Connection, start: int, end: int) -> dict[int, int]:
    rows = conn.execute(
        "SELECT member, count(*) FROM activity WHERE community = 1 AND kind = 0 AND at >= ? "
        "AND at < ? GROUP BY member",
        (start, end),
    )
    return {int(m): int(n) for m, n in rows}


def test_rollups_match_the_log_for_any_window_and_timezone(store_target: str | Path) -> None:
    store = Store(store_target, batch_size=97)  # many small flushes, like a live bot
    _fill(store, 3000)
    last = store.scalar("SELECT max(at) FROM activity")
    rng = random.Random(5)
    for _ in range(40):
        start = rng.randint(START - 5000, last)
        end = rng.randint(start, last + 5000)
        offset = rng.choice([0, 3600, -5 * 3600, 19800])  # +5:30 is not whole hours: edges
        if offset % 3600 == 0:
            got = daily_counts(store.conn, 1, start, end, offset)
            assert got == _raw_days(store.conn, start, end, offset)
        assert dict(ranking(store.conn, 1, start, end)) == _raw_members(store.conn, start, end)
    store.close()


def test_forgetting_and_merging_members_keep_rollups_true(store_target: str | Path) -> None:
    from bot.storage.activity import delete_member_activity

    store = Store(store_target, batch_size=50)
    _fill(store, 800)
    delete_member_activity(store, 1, 2)
    with store.transaction() as c:  # what /link does to the member columns
        c.execute("UPDATE activity SET member = 1 WHERE member = 3")
        c.execute("UPDATE member_days SET member = 1 WHERE member = 3")
    rollups.compact_all(store.conn)
    last = int(store.scalar("SELECT max(at) FROM activity")) + 1
    assert daily_counts(store.conn, 1, START, last, 0) == _raw_days(store.conn, START, last, 0)
    assert dict(ranking(store.conn, 1, START, last)) == _raw_members(store.conn, START, last)
    assert 2 not in dict(ranking(store.conn, 1, START, last))
    store.close()


def test_an_older_database_gets_its_rollups_on_open(store_target: str | Path) -> None:
    path = store_target
    store = Store(path)
    _fill(store, 500)
    with store.transaction() as c:  # as if written before the rollups existed
        c.execute("DROP TABLE activity_hours")
        c.execute("DROP TABLE member_days")
        c.execute("DELETE FROM schema_version WHERE component = 'rollups'")
    store.close()
    store = Store(path)
    last = int(store.scalar("SELECT max(at) FROM activity")) + 1
    assert daily_counts(store.conn, 1, START, last, 0) == _raw_days(store.conn, START, last, 0)
    store.close()


def test_out_of_order_history_is_compacted_to_one_row_per_key(
    store_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollups, "COMPACT_AFTER", 50)
    store = Store(store_target, batch_size=60)
    community = store.community("c", "C")
    chat = store.chat(community, "fake", "general")
    members = [store.member(community, "fake", f"u{i}", f"U{i}", START).id for i in range(4)]
    for cycle in range(5):  # the same ten days written five times over, like a re-import
        for i in range(400):
            at = START + (i * 2161 + cycle * 7) % (10 * 86400)
            store.add_activity(community, members[i % 4], chat, at, 0, 5, None)
    store.flush()
    keys = store.scalar(
        "SELECT count(*) FROM (SELECT DISTINCT community, day, member, kind FROM member_days) AS k"
    )
    # each flush appends a row per key it touched (about 330 rows for 43 keys); what was
    # appended since the last compaction is fewer than COMPACT_AFTER rows
    assert store.scalar("SELECT count(*) FROM member_days") < keys + rollups.COMPACT_AFTER
    last = int(store.scalar("SELECT max(at) FROM activity")) + 1
    assert daily_counts(store.conn, 1, START, last, 0) == _raw_days(store.conn, START, last, 0)
    assert dict(ranking(store.conn, 1, START, last)) == _raw_members(store.conn, START, last)
    store.close()
