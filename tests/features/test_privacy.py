"""Members own their data: toggles, export, and forget leaving nothing behind."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from adapters.fake import FakeAdapter
from bot.chat_event import ChatEvent
from bot.cli import main
from bot.config import Config
from bot.core import Core
from bot.feature import Feature
from bot.features import default_features
from bot.privacy_audit import audit, member_columns
from bot.replies import Visibility
from bot.storage.store import Store
from tests.conftest import Clock
from tests.privacy_scan import file_traces, traces

pytestmark = pytest.mark.engines


async def _member_id(core: Core, user: str) -> int:
    row = core.store.rows("SELECT member FROM identities WHERE user = ?", (user,))
    return int(row[0]["member"])


async def test_privacy_shows_settings_privately(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/privacy")
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "tracking: on" in sent.text
    assert "named: on" in sent.text


async def test_one_setting_says_what_on_means_and_how_to_change_it(chat: FakeAdapter) -> None:
    await chat.say("ana", "/privacy named off")
    [sent] = await chat.say("ana", "/privacy named")
    assert sent.text == (
        "named is off in fake:space-1 (on means: name me in digests, leaderboards and stats). "
        "Change it with /privacy named on|off."
    )


async def test_tracking_off_deletes_and_stops_logging(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "logged before")
    await chat.say("bo", "bo stays")
    [sent] = await chat.say("ana", "/privacy tracking off")
    assert "no longer logged" in sent.text
    await chat.say("ana", "not logged")
    await chat.push(chat.event("ana", kind="reaction"))
    ana = await _member_id(core, "ana")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE member = ?", (ana,)) == 0
    assert core.store.scalar("SELECT tracking FROM members WHERE id = ?", (ana,)) == 0
    assert core.store.scalar("SELECT count(*) FROM activity") == 1
    [sent] = await chat.say("bo", "/stats Ana")
    assert "turned activity tracking off" in sent.text
    await chat.say("ana", "/privacy tracking on")
    await chat.say("ana", "logged again")
    assert core.store.scalar("SELECT count(*) FROM activity WHERE member = ?", (ana,)) == 1


async def test_privacy_rejects_unknown_settings(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/privacy tracing off")
    assert "one of: tracking, matching, named" in sent.text
    assert "Did you mean tracking?" in sent.text


async def test_export_sends_a_json_file_privately(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "my words")
    await chat.push(chat.event("ana", kind="reaction"))
    [sent] = await chat.say("ana", "/export")
    assert sent.target.user == "ana"
    assert sent.target.chat is None
    assert sent.reply.attachment is not None
    data = json.loads(sent.reply.attachment.data)
    assert data["member"]["name"] == "Ana"
    assert data["identities"] == [{"platform": "fake", "user": "ana", "handle": "ana"}]
    assert [a["text"] for a in data["activity"]] == ["my words", None]
    assert [a["kind"] for a in data["activity"]] == ["message", "reaction"]


async def test_forget_asks_first_and_cancel_keeps_everything(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "keep me")
    [sent] = await chat.say("ana", "/forget")
    assert [b.label for b in sent.reply.buttons] == ["Yes, delete everything", "Cancel"]
    cancel = sent.reply.buttons[1].callback
    [sent] = await chat.press("ana", cancel, direct=False)
    assert "Nothing was deleted" in sent.text
    assert core.store.scalar("SELECT count(*) FROM activity") == 1


async def test_forget_leaves_nothing_of_the_member_in_any_table(
    core: Core, chat: FakeAdapter, config: Config
) -> None:
    await chat.say("ana", "ana's secret plans for Ana Corp")
    await chat.push(chat.event("ana", kind="reaction"))
    await chat.say("bo", "hello from bo")
    await chat.say("ana", "/privacy named off")
    ana = await _member_id(core, "ana")
    [sent] = await chat.say("ana", "/forget")
    yes = sent.reply.buttons[0].callback
    [refused] = await chat.press("bo", yes, direct=False)
    assert "belongs to someone else" in refused.text
    [done] = await chat.press("ana", yes, direct=False)
    assert "deleted" in done.text
    declared = [column for f in core.features for column in f.member_columns]
    assert traces(core.store, ana, ["ana", "Ana"], declared) == []
    assert core.store.scalar("SELECT count(*) FROM activity") == 1  # bo's message stays
    core.store.flush()
    assert audit(config.store, str(ana), ["ana's secret plans"]).rows == []  # what ops run
    # pressing again later is harmless
    [again] = await chat.press("ana", yes, direct=False)
    assert "belongs to someone else" in again.text or "deleted" in again.text


async def test_forget_covers_every_declared_member_column(core: Core, chat: FakeAdapter) -> None:
    await chat.say("admin", "/digest schedule weekly mon 09:00 Europe/Berlin")
    await chat.say("admin", "/event create 2026-11-20T18:00 Demo night")
    await chat.say("admin", "/event rsvp 1")
    admin = await _member_id(core, "admin")
    assert core.store.scalar("SELECT created_by FROM schedules") == admin
    [confirm] = await chat.say("admin", "/forget")
    await chat.press("admin", confirm.reply.buttons[0].callback, direct=False)
    declared = [column for f in core.features for column in f.member_columns]
    assert ("schedules", "created_by") in declared
    assert traces(core.store, admin, ["Admin"], declared) == []
    assert core.store.scalar("SELECT count(*) FROM schedules") == 1  # the schedule stays


# -- erasure leaves no bytes behind ---------------------------------------------------------

ZELDA = {"user": "u-58213", "name": "Zelda Quarrington", "handle": "zq_founder"}
ZELDA_TEXTS = [
    "Kelp battery roadmap for Quarrington Labs, draft seven",
    "our deck is at https://quarrington.example/deck-2026 for the curious",
]


def _needles() -> list[str]:
    return [
        ZELDA["user"],
        ZELDA["name"],
        ZELDA["handle"],
        *ZELDA_TEXTS,
        "https://quarrington.example/deck-2026",
        "Quarrington Labs makes kelp batteries",
    ]


async def _zelda_everywhere(core: Core, chat: FakeAdapter) -> int:
    """Zelda in every place the bot keeps member data, then her member id."""
    chat.admins.add(ZELDA["user"])
    z = {"name": ZELDA["name"], "handle": ZELDA["handle"]}
    for text in ZELDA_TEXTS:
        await chat.say(ZELDA["user"], text, **z)
    await chat.say("bo", "bo talks about batteries too")
    await chat.say(
        ZELDA["user"], "/profile set headline Quarrington Labs makes kelp batteries", **z
    )
    await chat.say(ZELDA["user"], "/profile set roles founder", **z)
    await chat.say(ZELDA["user"], "/link", **z)
    [scheduled] = await chat.say(ZELDA["user"], "/rounds schedule weekly", direct=True, **z)
    assert core.store.scalar("SELECT count(*) FROM schedules") == 1, scheduled.text
    assert ZELDA["user"] in core.store.scalar("SELECT target FROM schedules")
    assert core.embedder is not None
    await core.embedder.aencode(ZELDA_TEXTS)  # what the topic worker does in the background
    assert core.store.scalar("SELECT count(*) FROM vectors") >= 2
    return await _member_id(core, ZELDA["user"])


@pytest.mark.engines("sqlite")  # scans the SQLite files themselves
async def test_forget_leaves_no_trace_in_the_database_files(
    cached_core: Core, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = FakeAdapter(cached_core)
    zelda = await _zelda_everywhere(cached_core, chat)
    assert cached_core.embedder is not None
    vectors = [v.tobytes() for v in await cached_core.embedder.aencode(ZELDA_TEXTS)]
    needles = [n.encode() for n in _needles()]
    assert file_traces(db_path.parent, needles)  # the scan finds her before
    before = audit(db_path, str(zelda))
    assert before.rows
    assert not before.clean
    cached_core.store.conn.execute("PRAGMA wal_checkpoint")  # as SQLite does every 1,000 pages
    # erased cells are zeroed (Debian's SQLite does it by default; other builds need this)
    assert cached_core.store.conn.execute("PRAGMA secure_delete").fetchone() == (1,)

    [confirm] = await chat.say(ZELDA["user"], "/forget")
    await chat.press(ZELDA["user"], confirm.reply.buttons[0].callback, direct=False)

    assert file_traces(db_path.parent, needles) == []
    assert file_traces(db_path.parent, vectors) == []
    assert cached_core.store.scalar("SELECT count(*) FROM schedules") == 0  # it posted to her DM
    assert cached_core.store.scalar("SELECT count(*) FROM activity") == 1  # bo's stays
    assert main(["privacy", "audit", "--db", str(db_path), "--member", str(zelda),
                 *(f"--also={n}" for n in _needles()), "--files", str(db_path.parent)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip().endswith("0 rows, 0 file hits")


async def test_tracking_off_deletes_the_embeddings_of_the_messages_too(
    cached_core: Core, db_path: Path
) -> None:
    chat = FakeAdapter(cached_core)
    for text in ZELDA_TEXTS:
        await chat.say(ZELDA["user"], text)
    assert cached_core.embedder is not None
    await cached_core.embedder.aencode(ZELDA_TEXTS)
    await cached_core.embedder.aencode(["bo's message stays cached"])
    assert cached_core.store.scalar("SELECT count(*) FROM vectors") == 3
    cached_core.store.conn.execute("PRAGMA wal_checkpoint")
    await chat.say(ZELDA["user"], "/privacy tracking off")
    assert cached_core.store.scalar("SELECT count(*) FROM vectors") == 1
    texts = [t.encode() for t in ZELDA_TEXTS]
    assert file_traces(db_path.parent, texts) == []


def test_the_audit_names_every_row_and_file_hit(store_target: str | Path, engine: str) -> None:
    store = Store(store_target)
    community = store.community("c", "C")
    ana = store.member(community, "fake", "ana-991", "Ana Quill", 0)
    chat = store.chat(community, "fake", "general")
    store.add_activity(community, ana.id, chat, 1, 0, 5, "Quill Ventures memo")
    store.close()
    report = audit(store_target, "Ana Quill")
    row = "rowid=" if engine == "sqlite" else "row "  # PostgreSQL has no rowid: rows are numbered
    assert any(r.startswith(f"activity {row}1: member = ") for r in report.rows)
    assert any(f"members {row}1: name = 'Ana Quill'" in r for r in report.rows)
    assert any("identities" in r and "'ana-991'" in r for r in report.rows)
    assert any("activity" in r and "'Quill Ventures memo'" in r for r in report.rows)
    if engine == "sqlite":
        assert any("convene.db @" in f and "'Quill Ventures memo'" in f for f in report.files)
        assert report.note == ""
    else:
        assert report.files == []
        assert report.note == "the PostgreSQL server's own files are not scanned (its rows are)"
    assert report.summary == f"{len(report.rows)} rows, {len(report.files)} file hits"
    store = Store(store_target)
    store.member(community, "fake", "ana-992", "Ana Quill", 0)  # a second Ana Quill
    store.close()
    again = audit(store_target, "Ana Quill").note
    assert "is the name of 2 members (ids 1, 2); auditing id 1" in again
    if engine == "sqlite":
        assert main(["privacy", "audit", "--db", str(store_target / "nope"), "--member", "1"]) == 2


# -- export covers every table ---------------------------------------------------------------

# the export section for each table that holds member data; a new table with member data
# must be added here (and to its feature's exporter), or this test fails
EXPORT_OF = {
    "activity": "activity",
    "member_days": "member_days",  # the activity rollup (bot/storage/rollups.py)
    "members": "member",
    "identities": "identities",
    "profiles": "profile",
    "intro_requests": ("intro_requests_sent", "intro_requests_received"),
    "match_blocks": "blocked_members",
    "match_history": "match_history",
    "match_followups": "follow_ups",
    "match_outcomes": "outcomes",
    "events": "events_created",
    "event_rsvps": "event_rsvps",
    "event_checkins": "event_checkins",
    "event_reminders_sent": "event_reminders_sent",
    "round_members": "intro_rounds",
    "schedules": "schedules_created",
    "link_codes": "link_codes",
    "link_failures": "wrong_link_codes",
    "links": "linked_accounts",
}
PRIVATE_TO_OTHERS = {("match_outcomes", "other_member")}  # their answers about you


def _rows_about(core: Core, member: int) -> dict[str, int]:
    """Per table, the rows with the member's id in a member column (not others' answers)."""
    conn = core.store.conn
    core.store.flush()
    columns = member_columns(conn) - PRIVATE_TO_OTHERS
    found: dict[str, int] = {}
    for table in {t for t, _ in columns}:
        mine = [c for t, c in columns if t == table]
        if table not in core.store.tables():
            continue
        where = " OR ".join(f'"{c}" = ?' for c in mine)
        n = core.store.scalar(
            f'SELECT count(*) FROM "{table}" WHERE {where}', (member,) * len(mine)
        )
        if n:
            found[table] = int(n)
    return found


async def test_export_covers_every_table_and_no_private_answer_of_others(
    cached_core: Core, clock: Clock
) -> None:
    core, chat = cached_core, FakeAdapter(cached_core)  # matching needs an embedder
    chat.admins.add("admin")
    from bot.features.events.feature import send_due_reminders
    from bot.features.matching.outcomes import send_due_followups
    from tests.matching_helpers import FOUNDER, INVESTOR, make_profile

    await make_profile(chat, "ana", FOUNDER)
    await make_profile(chat, "bo", INVESTOR)
    await chat.say("ana", "hello everyone")
    await chat.say("cy", "hi")
    await chat.say("ana", "/block cy")
    await chat.say("admin", "/event create 2026-11-20T18:00 Demo night")
    await chat.say("ana", "/event rsvp 1")
    await chat.say("ana", "/rounds join")
    await chat.say("ana", "/link")
    await chat.say("ana", "/link WRONGCODE")
    ana, bo = await _member_id(core, "ana"), await _member_id(core, "bo")
    sent = await chat.press("ana", f"intro:{bo}", direct=False)
    yes = next(b.callback for s in sent for b in s.reply.buttons if b.label == "Accept")
    await chat.press("bo", yes)
    clock.advance(days=8)
    await send_due_followups(core)
    asks = {s.target.user: s for s in chat.sent if s.reply.title == "How did your intro go?"}
    # bo answers "met, not useful": his private answer about ana
    bo_answer = next(b.callback for b in asks["bo"].reply.buttons if "not useful" in b.label)
    await chat.press("bo", bo_answer)
    ana_answer = next(b.callback for b in asks["ana"].reply.buttons if "useful" in b.label)
    await chat.press("ana", ana_answer)
    clock.advance(days=9, hours=7)  # a day before the event: its reminder goes out
    assert await send_due_reminders(core) == 1

    [export] = await chat.say("ana", "/export")
    assert export.reply.attachment is not None
    data = json.loads(export.reply.attachment.data)
    about = _rows_about(core, ana)
    assert set(about) <= set(EXPORT_OF), f"tables with ana's data but no export: {about}"
    assert set(about) >= set(EXPORT_OF) - {
        "event_checkins",
        "events",
        "schedules",
        "links",
        "match_history",
    }
    for table, count in about.items():
        keys = EXPORT_OF[table]
        sections = [data[k] for k in ((keys,) if isinstance(keys, str) else keys)]
        exported = sum(1 if isinstance(s, dict) else len(s) for s in sections)
        assert exported == count, (table, exported, count)
    assert {o["member"] for o in data["outcomes"]} == {ana}  # never bo's answer about ana
    assert core.store.scalar(
        "SELECT count(*) FROM match_outcomes WHERE member = ? AND other_member = ? "
        "AND answered_at IS NOT NULL",
        (bo, ana),
    )


# -- admins erase on request -----------------------------------------------------------------


async def test_an_admin_erases_a_member_on_request(
    core: Core, chat: FakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.say("ana", "ana wants out")
    await chat.say("bo", "bo stays")
    ana = await _member_id(core, "ana")
    [refused] = await chat.say("bo", "/forget Ana")
    assert "Only admins" in refused.text
    [confirm] = await chat.say("admin", "/forget @ana")
    assert "everything Convene stores about Ana" in confirm.text
    assert [b.label for b in confirm.reply.buttons] == ["Yes, erase Ana", "Cancel"]
    yes = confirm.reply.buttons[0].callback
    [stolen] = await chat.press("bo", yes, direct=False)  # only that admin's press counts
    assert "belongs to someone else" in stolen.text
    assert core.store.scalar("SELECT count(*) FROM members WHERE id = ?", (ana,)) == 1
    with caplog.at_level(logging.INFO, logger="convene.privacy"):
        [done] = await chat.press("admin", yes)  # pressed in a DM works too
    assert "everything about Ana" in done.text
    assert "This was logged" in done.text
    declared = [column for f in core.features for column in f.member_columns]
    assert traces(core.store, ana, ["ana wants out", "Ana"], declared) == []
    assert "erased a member on request" in caplog.text
    admin = await _member_id(core, "admin")
    assert core.store.rows("SELECT by_member, on_request FROM erasure_log") == [
        {"by_member": admin, "on_request": 1}
    ]
    [again] = await chat.press("admin", yes)
    assert "expired" in again.text


# -- derived data goes with its source ---------------------------------------------------------

CHARTS: list[Path] = []


class Snippets(
    Feature,
    name="snippets",
    migrations=[["CREATE TABLE digest_snippets (community INTEGER, quote TEXT)"]],
):
    """Like a digest cache: quotes in a table and a chart file naming the text."""

    def on_message(self, community: int, member: int, event: ChatEvent) -> None:
        with self.core.store.transaction() as c:
            c.execute("INSERT INTO digest_snippets VALUES (?, ?)", (community, event.text))
        (CHARTS[0] / f"chart-{len(list(CHARTS[0].iterdir()))}.txt").write_text(event.text)

    def erase_texts(self, community: int, texts: list[str]) -> None:
        with self.core.store.transaction() as c:
            c.executemany("DELETE FROM digest_snippets WHERE quote = ?", [(t,) for t in texts])
        for chart in CHARTS[0].iterdir():
            if chart.read_text() in texts:
                chart.unlink()


@pytest.mark.parametrize("erase", ["/forget", "/privacy tracking off"])
async def test_derived_data_on_disk_and_in_tables_goes_with_its_source(
    config: Config, clock: Clock, tmp_path: Path, erase: str
) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    CHARTS[:] = [charts]
    core = Core(config, Store(config.database), [*default_features(), Snippets], clock=clock)
    try:
        chat = FakeAdapter(core)
        for text in ZELDA_TEXTS:
            await chat.say("zelda", text)
        await chat.say("bo", "bo's quote stays")
        assert len(list(charts.iterdir())) == 3
        [sent] = await chat.say("zelda", erase)
        if erase == "/forget":
            await chat.press("zelda", sent.reply.buttons[0].callback, direct=False)
        quotes = core.store.rows("SELECT quote FROM digest_snippets")
        assert quotes == [{"quote": "bo's quote stays"}]
        assert [p.read_text() for p in charts.iterdir()] == ["bo's quote stays"]
        assert file_traces(tmp_path, [t.encode() for t in ZELDA_TEXTS]) == []
    finally:
        await core.close()


async def test_texts_waiting_for_the_model_are_dropped_on_erasure(cached_core: Core) -> None:
    from bot.features.digests.feature import worker

    chat = FakeAdapter(cached_core)
    for text in ZELDA_TEXTS:
        await chat.say("zelda", text)
    await chat.say("bo", "bo waits for the model too")
    queue = worker(cached_core).queue
    assert set(ZELDA_TEXTS) <= set(queue)  # not started: nothing was embedded yet
    await chat.say("zelda", "/privacy tracking off")
    assert list(queue) == ["bo waits for the model too"]
