"""Opening stored history: `convene digest --period`, `convene chat` without a database,
`convene eval forecast` (bot/features/digests/history.py, evaluation.py, bot/cli.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.features.digests.history import parse_period
from bot.importers.discord_export import run_import
from bot.storage.store import Store
from tests.conftest import store_args

pytestmark = pytest.mark.engines

TOPICS = [
    "Our seed round closed, the investors asked about the cap table",
    "How do you price a B2B SaaS plan for small teams?",
    "Looking for a technical co-founder who knows Rust and embedded devices",
]


def _export(path: Path) -> Path:
    """A DiscordChatExporter file: three members chatting from September to December 2019."""
    start = datetime(2019, 9, 2, 10, tzinfo=UTC)
    messages = []
    for i in range(240):
        at = start + timedelta(hours=11 * i)
        messages.append(
            {
                "id": str(5000 + i),
                "type": "Default",
                "timestamp": at.isoformat(),
                "content": f"{TOPICS[i % 3]} ({i})",
                "author": {"id": str(100 + i % 3), "name": ["ana", "ben", "cho"][i % 3]},
            }
        )
    doc = {"guild": {"id": "77", "name": "Founders Lounge"}, "channel": {"id": "8", "name": "general"},
           "messages": messages}  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def imported(store_target: str | Path, tmp_path: Path) -> list[str]:
    """The `convene` options naming a store holding the imported export."""
    store = Store(store_target)
    run_import(store, _export(tmp_path / "export.json"), None, store_text=True)
    store.close()
    return store_args(store_target, tmp_path)


def test_periods_are_named_plainly() -> None:
    assert parse_period("2019-11") == (datetime(2019, 11, 1).date(), datetime(2019, 12, 1).date())
    assert parse_period("2019-12")[1] == datetime(2020, 1, 1).date()
    assert parse_period("2019-W45")[0] == datetime(2019, 11, 4).date()
    with pytest.raises(ValueError, match="names no period"):
        parse_period("November")


@pytest.mark.model
def test_digest_of_a_past_period_from_an_imported_export(
    imported: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nov"
    code = main(["digest", *imported, "--community", "Founders Lounge",
                 "--period", "2019-11", "--out", str(out)])  # fmt: skip
    assert code == 0
    text = (out / "digest.txt").read_text(encoding="utf-8")
    assert "01 Nov–30 Nov 2019" in text
    # 11-hour steps: November 2019 holds 65 or 66 of the messages
    assert "Messages: 6" in text
    assert (out / "digest.png").read_bytes().startswith(b"\x89PNG")
    table = (out / "topics.csv").read_text(encoding="utf-8").splitlines()
    assert table[0] == "rank,topic,status,messages,growth,example"
    assert len(table) >= 2
    printed = capsys.readouterr().out
    assert "Written:" in printed


def test_unknown_community_lists_the_stored_ones(
    imported: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["digest", *imported, "--community", "Nope", "--period", "2019-11"])
    assert code == 2
    printed = capsys.readouterr().out
    assert "No community called 'Nope'" in printed
    assert "Founders Lounge" in printed
    assert "240 messages, 2019-09-02" in printed


def test_chat_without_a_database_says_how_to_make_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["chat"]) == 2
    assert "convene demo" in capsys.readouterr().err
    assert not (tmp_path / "convene-demo.db").exists()  # nothing created silently


def test_eval_forecast_prints_the_backtest_table(
    imported: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "forecast", *imported, "--community", "Founders Lounge"]) == 0
    printed = capsys.readouterr().out
    assert "per week" in printed
    for method in ("naive", "damped trend", "least squares"):
        assert method in printed
    assert "range held" in printed


@pytest.mark.engines("sqlite")  # `convene chat` (the console) opens SQLite files
def test_console_opens_an_imported_community_as_of_a_past_day(imported: list[str]) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *imported,
         "--community", "founders lounge", "--at", "2019-11-30"],
        input="/activity 30\n/leaderboard 30\n:quit\n",
        capture_output=True, text=True, timeout=120, check=False, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Opening Founders Lounge: 240 stored messages." in out
    assert "Sat 30 Nov 2019 23:59" in out
    # the 30 days before 30 Nov 2019 hold 66 of the messages, spread over ana, ben and cho;
    # nothing after the console's day counts
    assert "Messages: 66 (2.2 a day)" in out
    board = out.split("== Leaderboard, last 30 days ==")[1]
    counts = [int(n) for n in re.findall(r"— (\d+) messages", board)[:3]]
    assert sum(counts) == 66
