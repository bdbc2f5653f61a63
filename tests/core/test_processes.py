"""Two bot processes on one store: the next update may land on the other one.

Each test runs two `Core`s, each with a `Store` of its own on one SQLite file or one
PostgreSQL database, as two processes would, driven through `FakeAdapter`s of one platform
and group. What one core changes, the other must act on: throttles, opt-outs, erasures,
profiles, confirmations and the dashboard's admin flags.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import psycopg
import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.dashboard import store as ds
from bot.features import dashboard
from bot.features.digests.feature import Digests
from bot.storage import writer
from bot.storage.store import Store
from tests.conftest import Clock
from tests.fake_embedder import FakeEmbedder
from tests.features.test_linking import LINKED, link, member_of
from tests.matching_helpers import FOUNDER, INVESTOR, make_profile, member_id

pytestmark = pytest.mark.engines
NEVER = 1e9  # a poll interval that never runs out: only the store's own checks can help


def _core(config: Config, clock: Clock) -> Core:
    store = Store(config.store)
    return Core(config, store, clock=clock, embedder=FakeEmbedder(cache=store))


@pytest.fixture
async def cores(config: Config, clock: Clock) -> AsyncIterator[tuple[Core, Core]]:
    a, b = _core(config, clock), _core(config, clock)
    yield a, b
    await a.close()
    await b.close()


def chats(a: Core, b: Core) -> tuple[FakeAdapter, FakeAdapter]:
    one, two = FakeAdapter(a), FakeAdapter(b)
    one.admins.add("admin")
    two.admins.add("admin")
    return one, two


def texts(core: Core) -> list[str]:
    return [r["text"] for r in core.store.rows("SELECT text FROM activity ORDER BY id")]


async def test_wrong_checkin_codes_on_two_processes_are_throttled_together(
    cores: tuple[Core, Core], clock: Clock
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    await on_a.say("admin", "/event create 2026-11-02T18:00 Demo night")
    code = str(a.store.scalar("SELECT code FROM events WHERE id = 1"))
    clock.advance(hours=5, minutes=30)  # the check-in window is open
    for chat in (on_a, on_b, on_a, on_b, on_a):
        [wrong] = await chat.say("ana", "/checkin 1 NOPE42")
        assert "not the check-in code" in wrong.text
    [held] = await on_b.say("ana", f"/checkin 1 {code}")  # even the right code waits now
    assert held.text == "Too many wrong codes in a row; try again in a few minutes."
    clock.advance(minutes=10, seconds=1)
    [ok] = await on_b.say("ana", f"/checkin 1 {code}")
    assert ok.text.startswith("Checked in at #1 Demo night.")


async def test_an_opt_out_on_one_process_stops_the_other_storing_buffered_rows(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = NEVER  # B's member cache stays stale: the writer must catch it
    await on_b.say("ana", "logged before")
    await on_b.say("bo", "bo stays")
    [done] = await on_a.say("ana", "/privacy tracking off")
    assert "no longer logged" in done.text
    await on_b.say("ana", "said after opting out")
    b.store.flush()
    assert texts(a) == ["bo stays"]


async def test_an_opt_out_on_one_process_reaches_the_others_listeners(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = 0  # B reads the counters on every event
    worker = b.feature(Digests).worker
    await on_b.say("ana", "we are raising a seed round")
    assert "we are raising a seed round" in worker.queue
    await on_a.say("ana", "/privacy tracking off")
    await on_b.say("ana", "a secret plan for the next quarter")
    assert "a secret plan for the next quarter" not in worker.queue
    await worker.drain()  # what B queued before the opt-out never reaches the model
    assert b.embedder is not None
    assert b.embedder.encoded_texts == 0
    assert a.store.scalar("SELECT count(*) FROM vectors") == 0
    await on_a.say("ana", "/privacy tracking on")
    await on_b.say("ana", "logged again")
    b.store.flush()
    assert texts(a) == ["logged again"]


async def test_a_member_new_since_the_last_change_is_recorded_on_the_other(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = NEVER  # B has not seen the change below: its rows are older
    await on_b.say("bo", "bo first")
    await on_a.say("bo", "/privacy tracking off")  # moves the members counter
    await on_a.say("cy", "cy joins on A")  # a member made under the new counter
    await on_b.say("cy", "and talks on B")
    b.store.flush()
    assert sorted(texts(a)) == ["and talks on B", "cy joins on A"]


async def test_an_erasure_on_one_process_is_not_undone_by_the_others_cache(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = NEVER
    await on_b.say("ana", "hello from the other process")
    ana = member_id(a, "ana")
    [ask] = await on_a.say("ana", "/forget")
    [done] = await on_a.press("ana", ask.reply.buttons[0].callback, direct=False)
    assert "deleted" in done.text
    await on_b.say("ana", "still typing on the other process")
    b.store.flush()
    assert a.store.scalar("SELECT count(*) FROM activity WHERE member = ?", (ana,)) == 0
    orphans = "SELECT count(*) FROM activity WHERE member NOT IN (SELECT id FROM members)"
    assert a.store.scalar(orphans) == 0
    assert "still typing on the other process" not in texts(a)


async def test_after_an_erasure_the_other_process_meets_the_member_anew(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = 0
    await on_b.say("ana", "hello")  # buffered on B; SQLite gives Ana's id out again later
    [ask] = await on_a.say("ana", "/forget")
    await on_a.press("ana", ask.reply.buttons[0].callback, direct=False)
    await on_b.say("ana", "hello again")
    assert b.store.rows(
        "SELECT m.name, a.text FROM activity a JOIN members m ON m.id = a.member"
    ) == [{"name": "Ana", "text": "hello again"}]
    assert a.store.scalar("SELECT count(*) FROM activity") == 1


async def test_a_profile_edited_on_one_process_is_matched_on_the_other(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    await make_profile(on_a, "ana", FOUNDER)
    await make_profile(on_a, "bo", INVESTOR)
    [before] = await on_b.say("ana", "/match")
    assert "Bo — Partner at a seed fund" in before.text
    # the same second on the test clock: the profile's timestamp alone does not change
    await on_a.say("bo", "/profile set headline Angel investor backing climate fintech")
    [after] = await on_b.say("ana", "/match")
    assert "Bo — Angel investor backing climate fintech" in after.text
    await on_a.say("bo", "/privacy matching off")
    [hidden] = await on_b.say("ana", "/match")
    assert "Bo" not in hidden.text


async def test_a_fresh_process_rebuilds_the_matcher_without_the_model(
    cores: tuple[Core, Core], config: Config, clock: Clock
) -> None:
    a, _ = cores
    on_a = FakeAdapter(a)
    await make_profile(on_a, "ana", FOUNDER)
    await make_profile(on_a, "bo", INVESTOR)
    [first] = await on_a.say("ana", "/match")
    assert a.embedder is not None
    assert a.embedder.encoded_texts > 0
    c = _core(config, clock)  # a process started later: every vector is in the store
    try:
        [again] = await FakeAdapter(c).say("ana", "/match")
        assert again.text == first.text
        assert c.embedder is not None
        assert c.embedder.encoded_texts == 0
    finally:
        await c.close()


async def test_an_erasure_asked_on_one_process_is_confirmed_on_the_other(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    await on_a.say("ana", "hello")
    ana = member_id(a, "ana")
    [ask] = await on_a.say("admin", "/forget Ana")
    [done] = await on_b.press("admin", ask.reply.buttons[0].callback)
    assert done.text == "Done: everything about Ana in fake:space-1 is deleted. This was logged."
    assert a.store.scalar("SELECT count(*) FROM members WHERE id = ?", (ana,)) == 0
    [again] = await on_b.press("admin", ask.reply.buttons[0].callback)
    assert again.text == "That button has expired or belongs to someone else."


async def test_an_admin_demoted_on_the_other_process_loses_the_dashboard(
    cores: tuple[Core, Core],
) -> None:
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = 0
    await dashboard.serve(a, port=0)
    await on_b.say("admin", "hello")  # B has read the admin flags: none recorded yet
    [link] = await on_a.say("admin", "/dashboard")
    assert "Your dashboard link" in link.text
    community, admin = 1, member_id(a, "admin")
    assert ds.is_admin(a.store, community, admin)
    on_b.admins.discard("admin")  # the platform no longer reports them as an admin
    await on_b.say("admin", "still here")
    assert not ds.is_admin(a.store, community, admin)


@pytest.mark.engines("sqlite")  # /link itself does not run on PostgreSQL yet (UPDATE OR IGNORE)
async def test_accounts_linked_on_one_process_are_one_member_on_the_other(
    config: Config, clock: Clock
) -> None:
    linked = replace(config, communities=(LINKED,))
    a, b = _core(linked, clock), _core(linked, clock)
    try:
        b.store.poll_seconds = 0
        dc_a, tg_a = (
            FakeAdapter(a, name="discord", space="g1"),
            FakeAdapter(a, name="telegram", space="-100"),
        )
        tg_b = FakeAdapter(b, name="telegram", space="-100")
        await tg_b.say("ana_tg", "hi from telegram")  # B knows the Telegram account's member
        dropped = member_of(a, "telegram", "ana_tg")
        await link(dc_a, tg_a, "ana", "ana_tg")
        kept = member_of(a, "discord", "ana")
        assert member_of(a, "telegram", "ana_tg") == kept != dropped
        await tg_b.say("ana_tg", "after the link")
        b.store.flush()
        rows = a.store.rows("SELECT member, text FROM activity ORDER BY id")
        # what B held for the merged-away member when the link was made is left out
        assert rows == [{"member": kept, "text": "after the link"}]
    finally:
        await a.close()
        await b.close()


@pytest.mark.engines("postgresql")
async def test_on_postgresql_a_change_waits_for_the_batch_in_flight(
    cores: tuple[Core, Core], store_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's writer is inside its transaction (rows copied, not committed) when A turns Ana's
    tracking off: A waits for B's commit, then erases what B wrote."""
    a, b = cores
    on_a, on_b = chats(a, b)
    b.store.poll_seconds = NEVER
    await on_b.say("ana", "written while the opt-out is made")
    entered, release, waited = threading.Event(), threading.Event(), threading.Event()
    add = writer.rollups.add

    def held(conn: object, rows: list) -> None:  # the first batch (B's) pauses mid-transaction
        if not entered.is_set():
            entered.set()
            release.wait(30)
        add(conn, rows)  # type: ignore[arg-type]

    def watch() -> None:  # release B once A's transaction waits for a lock
        with psycopg.connect(store_target, autocommit=True) as conn:
            for _ in range(300):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()
                if row and row[0]:
                    waited.set()
                    break
                time.sleep(0.05)
        release.set()

    monkeypatch.setattr(writer.rollups, "add", held)
    b.store.submit()
    assert await asyncio.to_thread(entered.wait, 30)
    watcher = threading.Thread(target=watch)
    watcher.start()
    [done] = await on_a.say("ana", "/privacy tracking off")
    watcher.join()
    assert "no longer logged" in done.text
    assert waited.is_set()
    b.store.flush()
    assert texts(a) == []
