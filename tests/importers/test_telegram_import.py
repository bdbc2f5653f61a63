"""Telegram Desktop JSON export → activity: every quirk of the real format, idempotent writes."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.importers.records import ImportedRecord, ImportFormatError
from bot.importers.telegram_export import (
    bot_api_chat_id,
    flatten_text,
    load_export,
    read_records,
    run_import,
    sender_id,
)
from bot.storage.store import ACTIVITY_KINDS, Store

pytestmark = pytest.mark.engines
DATA = Path(__file__).parents[1] / "data"
GROUP = DATA / "telegram_group_export.json"
FULL = DATA / "telegram_full_export.json"
GROUP_CHAT = "-1002001234567"


@pytest.fixture
def records() -> list[ImportedRecord]:
    return read_records(GROUP)


@pytest.fixture
def store(store_target: str | Path) -> Iterator[Store]:
    s = Store(store_target)
    yield s
    s.close()


def by_ref(records: list[ImportedRecord], ref: str, kind: str = "message") -> ImportedRecord:
    [found] = [r for r in records if r.ref == ref and r.kind == kind]
    return found


def activity_rows(store: Store) -> list[dict]:
    return store.rows(
        "SELECT a.kind, a.length, a.text, a.at, m.name FROM activity a "
        "JOIN members m ON m.id = a.member ORDER BY a.at, a.id"
    )


# -- the format's quirks ---------------------------------------------------------------------


def test_chat_id_becomes_the_bot_api_id(records: list[ImportedRecord]) -> None:
    assert {r.chat for r in records} == {GROUP_CHAT}
    assert {r.chat_title for r in records} == {"Berlin Founders"}
    assert bot_api_chat_id(4005006, "private_group") == -4005006
    assert bot_api_chat_id(-1009, "private_supergroup") == -1009
    assert bot_api_chat_id(77, "personal_chat") == 77


def test_text_as_list_of_strings_and_entities_is_flattened(records: list[ImportedRecord]) -> None:
    rec = by_ref(records, "6")
    assert rec.text == (
        "We're hiring a founding engineer — details at https://example.org/jobs cc @omar_h"
    )
    assert flatten_text(["a", {"type": "bold", "text": "b"}, 3, {"type": "x"}]) == "ab"


def test_date_unixtime_string_is_the_time_not_the_local_date(
    records: list[ImportedRecord],
) -> None:
    # the file's "date" is the exporting computer's local time (UTC+2 here)
    rec = by_ref(records, "3")
    assert rec.at == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_deleted_account_keeps_its_id_with_a_placeholder_name(
    records: list[ImportedRecord],
) -> None:
    rec = by_ref(records, "12")
    assert (rec.user, rec.name) == ("1006", "Deleted Account")


def test_from_id_prefixes(records: list[ImportedRecord]) -> None:
    assert by_ref(records, "7").user == "1003"
    assert by_ref(records, "13").user == "-1002001234567"  # posted as the channel
    assert sender_id("user42") == "42"
    assert sender_id("chat42") == "-42"
    assert sender_id(None) is None


def test_service_messages_become_joins_and_leaves(records: list[ImportedRecord]) -> None:
    joins = sorted((r.ref, r.user) for r in records if r.kind == "join")
    assert joins == [
        ("1:1001", "1001"),  # created the group
        ("1:1003", "1003"),  # listed at creation (name resolved from later messages)
        ("4:1002", "1002"),  # invite_members: names resolved to ids
        ("4:1005", "1005"),
        ("5:1004", "1004"),  # join_group_by_link: the actor
    ]
    leaves = sorted((r.ref, r.user, r.name) for r in records if r.kind == "leave")
    assert leaves == [
        ("16:1005", "1005", "Jonas Weber"),  # left by themselves
        ("17:name:Spam Bot 3000", "name:Spam Bot 3000", "Spam Bot 3000"),  # never wrote
    ]
    refs = {r.ref.split(":")[0] for r in records}
    assert not {"2", "14", "19"} & refs  # migrate, pin and title change are not activity


def test_edited_message_counts_once_with_its_final_text(records: list[ImportedRecord]) -> None:
    rec = by_ref(records, "7")
    assert rec.text.startswith("Raising a pre-seed")
    assert rec.at == datetime(2024, 6, 1, 15, 0, tzinfo=UTC)  # sent, not edited, time
    assert len([r for r in records if r.ref == "7"]) == 1


def test_forwarded_message_is_the_forwarders_activity(records: list[ImportedRecord]) -> None:
    rec = by_ref(records, "8")
    assert (rec.user, rec.name, rec.text) == ("1005", "Jonas Weber", "Great thread on pricing")


def test_media_placeholders_are_messages_with_empty_text(records: list[ImportedRecord]) -> None:
    assert by_ref(records, "9").text == ""  # photo
    assert by_ref(records, "11").text == ""  # sticker
    assert by_ref(records, "10").text == "Our deck, feedback welcome"  # file with a caption


def test_reactions_use_the_exports_clock_offset(records: list[ImportedRecord]) -> None:
    reactions = sorted((r.user, r.at) for r in records if r.kind == "reaction")
    assert reactions == [
        ("1002", datetime(2024, 6, 1, 22, 10, tzinfo=UTC)),
        ("1004", datetime(2024, 6, 1, 22, 15, tzinfo=UTC)),
    ]


def test_full_account_export_imports_only_group_chats() -> None:
    chats = load_export(FULL)
    assert [(c.id, c.title) for c in chats] == [
        ("-4005006", "Angels Circle"),
        (GROUP_CHAT, "Berlin Founders"),
    ]
    texts = [r.text for r in read_records(FULL)]
    assert "Any deal flow in health tech this month?" in texts
    assert not any("private hello" in t or "Issue #12" in t for t in texts)


# -- bad files -------------------------------------------------------------------------------


def test_corrupt_file_is_refused_with_the_line() -> None:
    with pytest.raises(ImportFormatError, match=r"not valid JSON: .* at line 41, column 1\."):
        read_records(DATA / "telegram_corrupt_export.json")


def test_json_that_is_not_an_export_says_so() -> None:
    with pytest.raises(ImportFormatError, match="not a Telegram chat export"):
        read_records(DATA / "telegram_not_export.json")


def test_message_without_a_date_is_named(tmp_path: Path) -> None:
    data = json.loads(GROUP.read_text("utf-8"))
    for key in ("date", "date_unixtime"):
        del data["messages"][6][key]
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data), "utf-8")
    problems: list[str] = []
    records = read_records(path, problems)
    (problem,) = problems
    assert re.search(r"message id 7 \(number 7\) has no usable date.*Skipped\.", problem)
    assert "7" not in {r.ref for r in records}
    assert len(records) == len(read_records(GROUP)) - 1


def test_a_date_that_is_not_iso_says_so(tmp_path: Path) -> None:
    data = json.loads(GROUP.read_text("utf-8"))
    del data["messages"][6]["date_unixtime"]
    data["messages"][6]["date"] = "yesterday"
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data), "utf-8")
    problems: list[str] = []
    read_records(path, problems)
    (problem,) = problems
    assert "message id 7 (number 7) has a date that is not ISO 8601: 'yesterday'" in problem


def test_html_export_and_missing_file_are_explained(tmp_path: Path) -> None:
    html = tmp_path / "messages.html"
    html.write_text("<!DOCTYPE html>\n<html><body></body></html>", "utf-8")
    with pytest.raises(ImportFormatError, match="HTML export"):
        read_records(html)
    with pytest.raises(ImportFormatError, match="does not exist"):
        read_records(tmp_path / "nope.json")


def test_a_refused_file_writes_nothing(store: Store) -> None:
    with pytest.raises(ImportFormatError):
        run_import(store, DATA / "telegram_corrupt_export.json", "Berlin", store_text=True)
    assert store.scalar("SELECT count(*) FROM communities") == 0


# -- writing ---------------------------------------------------------------------------------


def test_import_writes_activity_and_a_rerun_adds_nothing(
    store: Store, records: list[ImportedRecord]
) -> None:
    out = io.StringIO()
    first = run_import(store, GROUP, "Berlin Founders", store_text=True, out=out)
    assert (first.added, first.skipped) == (len(records), 0)
    rows = activity_rows(store)
    assert len(rows) == len(records)
    kinds = [r["kind"] for r in rows]
    assert kinds.count(ACTIVITY_KINDS["join"]) == 5
    assert kinds.count(ACTIVITY_KINDS["leave"]) == 2
    assert kinds.count(ACTIVITY_KINDS["reaction"]) == 2
    photo = next(r for r in rows if r["at"] == int(by_ref(records, "9").at.timestamp()))
    assert (photo["length"], photo["text"]) == (0, None)
    assert any(r["text"] == "Text with <b>tags</b> and _underscores_" for r in rows)

    community = store.space_community("telegram", GROUP_CHAT)
    assert store.scalar("SELECT key FROM communities WHERE id = ?", (community,)) == (
        f"telegram:{GROUP_CHAT}"
    )
    members_before = store.scalar("SELECT count(*) FROM members")

    again = run_import(store, GROUP, "Berlin Founders", store_text=True, out=io.StringIO())
    assert (again.added, again.skipped) == (0, len(records))
    assert len(activity_rows(store)) == len(records)
    assert store.scalar("SELECT count(*) FROM members") == members_before
    assert out.getvalue().endswith(f"] {len(records)}/{len(records)}\n")


def test_rerun_from_a_fresh_process_adds_nothing(store_target: str | Path) -> None:
    first = Store(store_target)
    added = run_import(first, GROUP, "Berlin", store_text=False, out=io.StringIO()).added
    first.close()
    second = Store(store_target)
    try:
        result = run_import(second, GROUP, "Berlin", store_text=False, out=io.StringIO())
        assert (result.added, result.skipped) == (0, added)
        assert second.scalar("SELECT count(*) FROM activity WHERE text IS NOT NULL") == 0
    finally:
        second.close()


def test_members_first_seen_goes_back_to_the_history(store: Store) -> None:
    run_import(store, GROUP, "Berlin Founders", store_text=False, out=io.StringIO())
    joined = store.scalar("SELECT joined_at FROM members WHERE name = 'Maya Chen'")
    assert joined == int(datetime(2024, 6, 1, 10, 0, tzinfo=UTC).timestamp())


def test_imports_into_the_named_community_and_links_the_chat(store: Store) -> None:
    existing = store.community("discord:1", "Berlin Founders")
    run_import(store, GROUP, "Berlin Founders", store_text=False, out=io.StringIO())
    assert store.space_community("telegram", GROUP_CHAT) == existing


def test_a_group_the_bot_already_serves_keeps_its_community_and_gets_the_name(
    store: Store,
) -> None:
    live = store.community(f"telegram:{GROUP_CHAT}", f"telegram:{GROUP_CHAT}")
    store.link_space("telegram", GROUP_CHAT, live)
    run_import(store, GROUP, "Berlin Founders", store_text=False, out=io.StringIO())
    assert store.scalar("SELECT count(*) FROM communities") == 1
    assert store.scalar("SELECT name FROM communities WHERE id = ?", (live,)) == "Berlin Founders"


def test_chat_linked_to_another_community_is_refused(store: Store) -> None:
    other = store.community(f"telegram:{GROUP_CHAT}", "Other Club")
    store.link_space("telegram", GROUP_CHAT, other)
    store.community("discord:9", "Berlin Founders")
    with pytest.raises(ImportFormatError, match="already belongs to the community 'Other Club'"):
        run_import(store, GROUP, "Berlin Founders", store_text=False, out=io.StringIO())
    assert store.scalar("SELECT count(*) FROM activity") == 0


def test_progress_bar_every_500_records(tmp_path: Path, store: Store) -> None:
    messages = [
        {
            "id": i,
            "type": "message",
            "date": "2024-01-01T00:00:00",
            "date_unixtime": str(1704067200 + i),
            "from": f"Member {i % 7}",
            "from_id": f"user{i % 7}",
            "text": f"hello {i}",
        }
        for i in range(1, 1201)
    ]
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps({"name": "Big", "type": "public_supergroup", "id": 5, "messages": messages}),
        "utf-8",
    )
    out = io.StringIO()
    result = run_import(store, path, "Big", store_text=False, out=out)
    assert result.added == 1200
    frames = out.getvalue().split("\r")[1:]
    assert [f.split("] ")[1].strip() for f in frames] == ["500/1,200", "1,000/1,200", "1,200/1,200"]
    assert frames[-1].startswith("[" + "#" * 30 + "]")
