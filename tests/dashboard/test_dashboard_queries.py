"""The dashboard's rollups, queries and page tables on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core import Core
from bot.dashboard import pages
from bot.dashboard.rollup import refresh
from bot.features.privacy import forget_member
from tests.dashboard.seed import DAY, event, intro, member, posted_digest, say, ts

pytestmark = pytest.mark.engines
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture
def conn(core: Core) -> Iterator[sqlite3.Connection]:
    """A reader's connection of its own, as the dashboard's pages get (`Store.read`)."""
    core.store.flush()
    connection = core.store.engine.connect()
    yield connection  # type: ignore[misc]
    connection.close()


def build(
    core: Core, conn: sqlite3.Connection, slug: str, c: int, item: str = "", **args: str
) -> pages.Page:
    core.store.flush()
    builder = pages.DETAILS[slug] if item else pages.PAGES[slug][1]
    return pages.build(conn, c, builder, args, NOW, "UTC", item)


def rows(page: pages.Page, table: str) -> list[tuple[object, ...]]:
    return page.table(table).rows


def test_rollup_counts_every_message_once_and_catches_up(
    core: Core, conn: sqlite3.Connection
) -> None:
    c = core.store.community("c:a", "A")
    ann, bob = member(core, c, "Ann", ts("2026-10-01")), member(core, c, "Bob", ts("2026-10-01"))
    for d in range(1, 11):
        for _ in range(d):
            say(core, c, ann, ts(f"2026-11-{d:02d}", 9))
        say(core, c, bob, ts(f"2026-11-{d:02d}", 23))
    core.store.flush()
    assert refresh(conn) == 65
    assert refresh(conn) == 0  # nothing new: nothing counted twice
    say(core, c, bob, ts("2026-11-10", 10))
    core.store.flush()
    assert refresh(conn) == 1
    bare = conn.execute(
        "SELECT count(*) FROM activity WHERE community = ? AND kind = 0", (c,)
    ).fetchone()[0]
    rolled = conn.execute(
        "SELECT sum(messages) FROM dash_day_chat WHERE community = ?", (c,)
    ).fetchone()[0]
    assert rolled == bare == 66
    page = build(core, conn, "activity", c, **{"from": "2026-11-01", "to": "2026-11-10"})
    daily = {r[0]: r[1:] for r in rows(page, "daily")}
    assert daily["2026-11-03"] == (4, 2, 0)
    assert daily["2026-11-10"] == (12, 2, 0)
    assert sum(r[1] for r in rows(page, "daily")) == 66


def test_days_are_the_community_local_days(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:tz", "Tokyo")
    core.store.set_setting(c, "timezone", "Asia/Tokyo")  # UTC+9
    ann = member(core, c, "Ann", ts("2026-10-01"))
    say(core, c, ann, ts("2026-11-05", 20))  # 05:00 on the 6th in Tokyo
    page = build(core, conn, "activity", c, **{"from": "2026-11-05", "to": "2026-11-06"})
    assert [r[:2] for r in rows(page, "daily")] == [("2026-11-05", 0), ("2026-11-06", 1)]


def test_activity_weeks_channels_platforms_and_new_members(
    core: Core, conn: sqlite3.Connection
) -> None:
    c = core.store.community("c:a", "A")
    ann = member(core, c, "Ann", ts("2026-10-20"))
    bob = member(core, c, "Bob", ts("2026-11-03"))
    for d in (2, 3, 4):
        say(core, c, ann, ts(f"2026-11-{d:02d}"), chat="general")
    say(core, c, bob, ts("2026-11-04"), chat="hiring")
    say(core, c, bob, ts("2026-11-10"), chat="hiring")
    page = build(core, conn, "activity", c, **{"from": "2026-11-02", "to": "2026-11-15"})
    assert rows(page, "weekly") == [("2026-11-02", 7, 4, 2, 1), ("2026-11-09", 7, 1, 1, 0)]
    assert rows(page, "channels") == [("general", "fake", 3), ("hiring", "fake", 2)]
    assert rows(page, "platforms") == [("fake", 5)]
    assert page.charts
    assert "<svg" in page.charts[0]


def test_cohort_table_shows_each_months_newcomers_retained(
    core: Core, conn: sqlite3.Connection
) -> None:
    c = core.store.community("c:a", "A")
    sept = [member(core, c, f"S{i}", ts("2026-09-10")) for i in range(4)]
    octo = [member(core, c, f"O{i}", ts("2026-10-10")) for i in range(2)]
    for m in sept:
        say(core, c, m, ts("2026-09-12"))
    for m in sept[:2]:
        say(core, c, m, ts("2026-10-12"))
    say(core, c, sept[0], ts("2026-11-12"))
    say(core, c, octo[0], ts("2026-11-12"))
    page = build(core, conn, "activity", c, **{"from": "2026-09-01", "to": "2026-11-30"})
    cohorts = rows(page, "cohorts")
    assert cohorts[0][:5] == ("2026-09", 4, "100%", "50%", "25%")
    assert cohorts[1][:4] == ("2026-10", 2, "0%", "50%")
    assert cohorts[1][4] == ""  # December has not happened yet in this range


def test_engagement_levels_movement_quiet_founders_and_hidden_names(
    core: Core, conn: sqlite3.Connection
) -> None:
    c = core.store.community("c:a", "A")
    start = ts("2026-09-01")
    busy = member(core, c, "Busy Founder", start, role="founder")
    shy = member(core, c, "Shy Founder", start, role="founder")
    steady = member(core, c, "Steady Mentor", start, role="mentor")
    core.store.set_member(shy, named=0)
    end = date(2026, 11, 29)  # a Sunday
    # Four-week windows, Monday to Sunday: Nov 2 - Nov 29 is the last, Oct 5 - Nov 1 before.
    for d in range(14):  # both founders were core in the window before, silent in the last
        day = ts("2026-10-06") + d * DAY
        say(core, c, busy, day)
        say(core, c, shy, day)
        say(core, c, steady, day)
    for d in range(5):
        say(core, c, steady, ts("2026-11-10") + d * DAY)
    page = build(core, conn, "engagement", c, **{"from": "2026-10-06", "to": end.isoformat()})
    levels = {(r[0], r[1]): r[2:] for r in rows(page, "levels")}
    assert levels[("2026-11-01", "all members")] == (3, 0, 0, 0, 0)
    assert levels[("2026-11-29", "founder")] == (0, 0, 0, 2, 0)
    assert levels[("2026-11-29", "mentor")] == (0, 1, 0, 0, 0)
    assert ("core", "quiet", 2) in rows(page, "movement")
    assert rows(page, "quiet_founders") == [("Busy Founder", 14, 0)]  # the shy one only counted
    assert any("1 more founder went quiet" in n for n in page.notes)


def test_overloaded_mentors(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:a", "A")
    mentor = member(core, c, "Mia Mentor", ts("2026-09-01"), role="mentor")
    calm = member(core, c, "Carl Mentor", ts("2026-09-01"), role="mentor")
    asking = [member(core, c, f"F{i}", ts("2026-09-01"), role="founder") for i in range(4)]
    for i, f in enumerate(asking):
        intro(core, c, f, mentor, ts("2026-11-10") + i * 3600, "pending" if i else "accepted")
    intro(core, c, asking[0], calm, ts("2026-11-10"), "declined")
    page = build(core, conn, "engagement", c, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert rows(page, "mentors") == [
        ("Mia Mentor", 4, 1, 3, "25%", "yes"),
        ("Carl Mentor", 1, 1, 0, "100%", ""),
    ]


def test_matching_funnel_by_role_pair(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:a", "A")
    at = ts("2026-11-05")
    founders = [member(core, c, f"F{i}", at - 30 * DAY, role="founder") for i in range(4)]
    investor = member(core, c, "Ivy", at - 30 * DAY, role="investor")
    mentor = member(core, c, "Mo", at - 30 * DAY, role="mentor")
    intro(core, c, founders[0], investor, at, "accepted", met=True, useful=True)
    intro(core, c, founders[1], investor, at, "accepted", met=True, useful=False)
    intro(core, c, founders[2], investor, at, "accepted", met=False)
    intro(core, c, founders[3], investor, at, "declined")
    intro(core, c, founders[0], mentor, at, "pending")
    from bot.features.matching.intro_store import add_history

    add_history(core.store, c, [(founders[1], mentor, 0.4, 0.4, 0.4)], "round:1:0", at)
    page = build(core, conn, "matching", c, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert rows(page, "funnel") == [
        ("suggested", 6, ""),
        ("requested", 5, "83%"),
        ("accepted", 3, "60%"),
        ("met", 2, "67%"),
        ("useful", 1, "50%"),
    ]
    by_pair = {r[0]: r[1:] for r in rows(page, "role_pairs")}
    assert by_pair["founder ↔ investor"] == (4, 4, 3, 2, 1, "75%")
    assert by_pair["founder ↔ mentor"] == (2, 1, 0, 0, 0, "–")
    assert any("Acceptance rate: 75%" in n for n in page.notes)
    assert "Not enough outcomes" in page.report  # the re-ranker's CV report is shown


def test_events_rsvps_attendance_no_shows_and_intros(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:a", "A")
    people = [member(core, c, f"P{i}", ts("2026-09-01"), role="founder") for i in range(5)]
    starts = ts("2026-11-12", 18)
    e = event(core, c, "Pitch night", starts, rsvps=people[:4], came=people[:3])
    intro(core, c, people[0], people[1], starts + 3600, "accepted")  # two attendees
    intro(core, c, people[0], people[3], starts + 3600, "accepted")  # a no-show: not counted
    page = build(core, conn, "events", c, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert rows(page, "events") == [("Pitch night", "2026-11-12 18:00", "held", 4, 3, 1, 1)]
    assert page.table("events").links == {0: f"events/{e}"}
    other = core.store.community("c:b", "B")
    theirs = event(
        core, other, "Their event", starts, [member(core, other, "Z", ts("2026-09-01"))], []
    )
    detail = build(core, conn, "events", c, item=str(e))
    assert [r[0] for r in rows(detail, "people")] == ["P0", "P1", "P2", "P3"]
    with pytest.raises(pages.NotFound):
        build(core, conn, "events", c, item=str(theirs))


def test_topics_rise_and_quote_only_members_who_allow_it(
    core: Core, conn: sqlite3.Connection
) -> None:
    c = core.store.community("c:a", "A")
    ann = member(core, c, "Ann", ts("2026-09-01"))
    hidden = member(core, c, "Hal", ts("2026-09-01"))
    core.store.set_member(hidden, named=0)
    for d in range(28):
        say(core, c, ann, ts("2026-11-03") + d * DAY, "weekly update about the product roadmap")
    for d in range(6):
        say(core, c, ann, ts("2026-11-18") + d * DAY, f"our pricing experiment number {d}")
        say(core, c, hidden, ts("2026-11-18") + d * DAY, "pricing is secret stuff")
    page = build(core, conn, "topics", c, **{"from": "2026-11-03", "to": "2026-11-30"})
    trends = {r[0]: r[5] for r in rows(page, "topics")}
    assert trends["pricing"] == "rising"
    assert trends["product roadmap"] in ("steady", "fading")
    assert "roadmap" not in trends  # left to the phrase it almost always comes in
    assert "ann" not in trends  # member names never name a topic
    detail = build(
        core, conn, "topics", c, item="pricing", **{"from": "2026-11-03", "to": "2026-11-30"}
    )
    quotes = rows(detail, "quotes")
    assert quotes
    assert {q[1] for q in quotes} == {"Ann"}
    assert all("secret" not in q[2] for q in quotes)
    assert any("1 more member wrote" in n for n in detail.notes)
    with pytest.raises(pages.NotFound):
        build(core, conn, "topics", c, item="nonsense")


def test_digest_archive_lists_scheduled_runs(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:a", "A")
    posted_digest(core, c, ts("2026-11-16", 9))
    posted_digest(core, c, ts("2026-11-23", 9), "failed")
    page = build(core, conn, "digests", c)
    assert rows(page, "archive") == [
        ("2026-11-23 09:00", "failed", "fake #general", "2026-11-23 09:00", "2026-11-23 09:00"),
        ("2026-11-16 09:00", "sent", "fake #general", "2026-11-16 09:00", "2026-11-16 09:00"),
    ]


def test_forget_removes_a_member_from_the_rollups(core: Core, conn: sqlite3.Connection) -> None:
    c = core.store.community("c:a", "A")
    ann, bob = member(core, c, "Ann", ts("2026-10-01")), member(core, c, "Bob", ts("2026-10-01"))
    say(core, c, ann, ts("2026-11-02"))
    say(core, c, bob, ts("2026-11-02"))
    core.store.flush()
    refresh(conn)
    forget_member(core.store, core.features, c, ann)
    left = conn.execute("SELECT member FROM dash_day_member WHERE community = ?", (c,)).fetchall()
    assert left == [(bob,)]


@pytest.mark.parametrize(
    ("args", "first", "last", "problem"),
    [
        ({}, "2026-10-05", "2026-11-30", ""),  # eight full weeks and this one so far
        ({"from": "2026-11-01", "to": "2026-11-07"}, "2026-11-01", "2026-11-07", ""),
        ({"from": "yesterday"}, "2026-10-05", "2026-11-30", "YYYY-MM-DD"),
        ({"from": "2026-11-08", "to": "2026-11-07"}, "2026-10-05", "2026-11-30", "starts after"),
        ({"to": "2026-11-07"}, "2026-09-13", "2026-11-07", ""),
        ({"from": "2019-01-01", "to": "2026-11-30"}, "2023-11-29", "2026-11-30", "three years"),
    ],
)
def test_date_range(args: dict[str, str], first: str, last: str, problem: str) -> None:
    rng, said = pages.parse_range(args, date(2026, 11, 30), 0)
    assert (rng.first.isoformat(), rng.last.isoformat()) == (first, last)
    assert problem in said
    assert (said == "") == (problem == "")


def test_a_backlog_is_folded_in_steps_by_several_readers_without_double_counting(
    core: Core, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.dashboard import rollup

    monkeypatch.setattr(rollup, "CHUNK", 7)
    monkeypatch.setattr(pages, "FOLD_PER_PAGE", 10)
    c = core.store.community("c:a", "A")
    ann = member(core, c, "Ann", ts("2026-10-01"))
    for i in range(50):
        say(core, c, ann, ts("2026-11-02") + i * 60)
    page = build(core, conn, "activity", c, **{"from": "2026-11-02", "to": "2026-11-02"})
    assert rows(page, "daily")[0][1] == 10  # one page view folds at most FOLD_PER_PAGE rows
    assert page.behind == 40
    assert "Still counting about 40 earlier messages" in page.notes[0]
    other = core.store.engine.connect()
    try:
        while rollup.backlog(conn):
            rollup.refresh(other, max_rows=7)
            rollup.refresh(conn, max_rows=3)
    finally:
        other.close()
    page = build(core, conn, "activity", c, **{"from": "2026-11-02", "to": "2026-11-02"})
    assert rows(page, "daily")[0][1] == 50
    assert page.behind == 0
    # One active day, though its messages were folded in eight steps by two readers.
    assert conn.execute("SELECT days FROM dash_member_week").fetchall() == [(1,)]
    assert not any("Still counting" in n for n in page.notes)


@pytest.mark.engines("sqlite")  # the first dashboard schema predates PostgreSQL stores
def test_a_store_from_the_first_dashboard_schema_is_refolded(tmp_path: Path) -> None:
    from bot.config import Config
    from bot.dashboard.store import MIGRATIONS
    from bot.storage.store import Store, migrate

    path = tmp_path / "old.db"
    old = Store(path)
    migrate(old.conn, "dashboard", MIGRATIONS[:1])  # as the first release left it
    c = old.community("c:a", "A")
    chat = old.chat(c, "fake", "general")
    m = old.member(c, "fake", "ann", "Ann", ts("2026-10-01")).id
    for i in range(3):
        old.add_activity(c, m, chat, ts("2026-11-02") + i, 0, 5, "hello")
    old.flush()
    with old.transaction() as tx:  # folded by the old code: week rows without active days
        tx.execute("INSERT INTO dash_day_chat VALUES (?, ?, ?, 3)", (c, 20394, chat))
        tx.execute("INSERT INTO dash_member_week VALUES (?, 2914, ?)", (c, m))
        tx.execute("INSERT INTO dash_rollup_state VALUES (1, 3)")
    old.close()
    core = Core(Config(database=path), Store(path))
    try:
        conn = sqlite3.connect(path)
        page = build(core, conn, "activity", c, **{"from": "2026-11-02", "to": "2026-11-08"})
        assert rows(page, "weekly") == [("2026-11-02", 7, 3, 1, 0)]
        assert conn.execute("SELECT days FROM dash_member_week").fetchall() == [(1,)]
        conn.close()
    finally:
        core.store.close()


def test_readers_folding_at_once_count_every_message_once(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two page views in two threads fold the same backlog at the same time (on PostgreSQL a
    transaction alone would not stop both from folding the same ids)."""
    import threading

    from bot.dashboard import rollup

    monkeypatch.setattr(rollup, "CHUNK", 5)
    c = core.store.community("c:a", "A")
    ann = member(core, c, "Ann", ts("2026-10-01"))
    for i in range(300):
        say(core, c, ann, ts("2026-11-02") + i * 60)
    core.store.flush()
    connections = [core.store.engine.connect() for _ in range(3)]
    start = threading.Barrier(len(connections))

    def fold(conn: sqlite3.Connection) -> None:
        start.wait()
        rollup.refresh(conn)

    threads = [threading.Thread(target=fold, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conn = connections[0]
    try:
        assert rollup.backlog(conn) == 0
        day = "SELECT sum(messages) FROM dash_day_chat WHERE community = ?"
        assert conn.execute(day, (c,)).fetchone()[0] == 300
        per_member = "SELECT sum(messages) FROM dash_day_member WHERE community = ?"
        assert conn.execute(per_member, (c,)).fetchone()[0] == 300
    finally:
        for each in connections:
            each.close()
