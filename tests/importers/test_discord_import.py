"""DiscordChatExporter JSON imports: parsing, idempotent writes, clear refusals."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.importers.discord_export import parse_file, run_import
from bot.importers.records import ImportFormatError
from bot.storage.store import ACTIVITY_KINDS, Store

pytestmark = pytest.mark.engines
DATA = Path(__file__).parents[1] / "data"
GENERAL = DATA / "discord_general.json"
GUILD = "1089532014722129920"


@pytest.fixture
def store(store_target: str | Path) -> Store:
    s = Store(store_target)
    yield s
    s.close()


def test_parse_maps_types_and_skips_bots_and_system_messages() -> None:
    export = parse_file(GENERAL)
    assert (export.guild_id, export.guild_name) == (GUILD, "Founders Lounge")
    assert export.channel_name == "general"
    kinds = [(r.ref, r.kind) for r in export.records]
    assert kinds == [
        ("1160000000000000001", "join"),
        ("1160000000000000002", "message"),
        ("1160000000000000003", "message"),  # a Reply is a message
        ("1160000000000000003:🚀:312000000000000102", "reaction"),
        ("1160000000000000003:🚀:312000000000000103", "reaction"),
        ("1160000000000000006", "message"),
        ("1160000000000000008", "message"),
        ("1160000000000000009", "join"),
        ("1160000000000000010", "message"),
    ]
    # Carl-bot twice (a message and a slash command); a pin and a thread creation.
    assert (export.stats.bots, export.stats.system, export.stats.duplicates) == (2, 2, 1)


def test_names_timestamps_and_text() -> None:
    records = {r.ref: r for r in parse_file(GENERAL).records}
    assert records["1160000000000000002"].name == "Ana — Bloomfin"  # nickname wins
    assert records["1160000000000000003"].name == "chidi_o"  # no nickname key
    assert records["1160000000000000009"].name == "eve"  # empty nickname
    ben = records["1160000000000000006"]
    assert ben.at == datetime(2024, 3, 5, 22, 40, 12, 320000, tzinfo=UTC)  # -05:00 offset
    assert ben.text.startswith("We're opening our pre-seed")
    assert records["1160000000000000001"].text == ""


def test_import_writes_once_and_rerun_adds_nothing(store: Store) -> None:
    first = run_import(store, GENERAL, None, store_text=True)
    assert (first.added, first.skipped) == (9, 0)
    community = store.space_community("discord", GUILD)
    assert community is not None
    assert store.scalar("SELECT name FROM communities WHERE id = ?", (community,)) == (
        "Founders Lounge"
    )
    assert store.scalar("SELECT key FROM communities WHERE id = ?", (community,)) == (
        f"discord:{GUILD}"
    )
    counts = dict(
        store.conn.execute(
            "SELECT kind, count(*) FROM activity WHERE community = ? GROUP BY kind", (community,)
        ).fetchall()
    )
    assert counts == {
        ACTIVITY_KINDS["message"]: 5,
        ACTIVITY_KINDS["join"]: 2,
        ACTIVITY_KINDS["reaction"]: 2,
    }
    assert store.scalar("SELECT count(*) FROM members WHERE community = ?", (community,)) == 5

    again = run_import(store, GENERAL, None, store_text=True)
    assert (again.added, again.skipped) == (0, 9)
    assert store.scalar("SELECT count(*) FROM activity") == 9


def test_text_kept_only_when_asked(store: Store) -> None:
    run_import(store, GENERAL, "Lounge", store_text=False)
    assert store.scalar("SELECT count(*) FROM activity WHERE text IS NOT NULL") == 0
    assert store.scalar("SELECT max(length) FROM activity") > 50
    assert store.scalar("SELECT name FROM communities") == "Lounge"


def test_join_time_comes_from_history(store: Store) -> None:
    run_import(store, GENERAL, None, store_text=False)
    joined = store.scalar("SELECT joined_at FROM members WHERE name = 'chidi_o'")
    assert joined == int(datetime(2024, 3, 4, 8, 12, 44, 213000, tzinfo=UTC).timestamp())


def test_folder_of_channel_exports(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(GENERAL, folder)
    shutil.copy(DATA / "discord_intros.json", folder)
    result = run_import(store, folder, None, store_text=True)
    assert result.added == 11
    chats = store.conn.execute("SELECT title FROM chats ORDER BY title").fetchall()
    assert [c[0] for c in chats] == ["general", "intros"]


def test_existing_link_is_reused(store: Store) -> None:
    community = store.community("startups", "Startups")
    store.link_space("discord", GUILD, community)
    run_import(store, GENERAL, None, store_text=False)
    assert store.scalar("SELECT count(*) FROM communities") == 1
    assert store.scalar("SELECT count(DISTINCT community) FROM activity") == 1


def test_progress_every_500(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = json.loads(GENERAL.read_text(encoding="utf-8"))
    template = data["messages"][1]
    data["messages"] = [{**template, "id": str(1200000000000000000 + i)} for i in range(1001)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(data), encoding="utf-8")
    assert run_import(store, big, None, store_text=False).added == 1001
    err = capsys.readouterr().err
    assert "500 records" in err
    assert "1,000 records" in err


def test_corrupt_file_names_the_line(store: Store) -> None:
    with pytest.raises(
        ImportFormatError, match=r"discord_corrupt\.json is not valid JSON.*line 61"
    ):
        run_import(store, DATA / "discord_corrupt.json", None, store_text=False)
    assert store.scalar("SELECT count(*) FROM activity") == 0


def test_not_an_export_says_so() -> None:
    with pytest.raises(ImportFormatError, match="not a DiscordChatExporter export"):
        parse_file(DATA / "discord_not_export.json")


def test_bad_message_names_index_and_id(tmp_path: Path, store: Store) -> None:
    data = json.loads(GENERAL.read_text(encoding="utf-8"))
    data["messages"][5]["timestamp"] = "last tuesday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run_import(store, bad, None, store_text=False)
    (problem,) = result.problems
    assert re.search(r"message #5 \(id 1160000000000000006\).*ISO 8601.*Skipped\.", problem)
    # The bad message is skipped; the rest imports.
    good = run_import(store, GENERAL, None, store_text=False)
    assert good.added == 1  # only the message that was skipped before
    assert store.scalar("SELECT count(*) FROM activity") == good.added + result.added


def test_missing_file_and_author(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="does not exist"):
        parse_file(tmp_path / "nope.json")
    data = json.loads(GENERAL.read_text(encoding="utf-8"))
    del data["messages"][0]["author"]
    bad = tmp_path / "noauthor.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    (problem,) = parse_file(bad).stats.problems
    assert re.search(r"message #0 .* has no author", problem)
