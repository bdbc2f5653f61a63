"""The console adapter end to end: `convene chat` in a subprocess with piped stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _chat(db: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--db", str(db)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )


def test_console_chat_end_to_end(db_path: Path) -> None:
    result = _chat(
        db_path,
        [
            "hello everyone",
            ":as dana",
            "hi, I am new here",
            "another one from dana",
            "/leaderboard",
            "/stats organizer",
            "/leaderbord",
            "/leaderboard many",
            "/forget",
            ":2",
            ":7",
            ":quit",
        ],
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "== Leaderboard, last 7 days ==" in out
    assert "1. dana — 2 messages" in out
    assert "2. organizer — 1 message" in out
    assert "== Stats for organizer ==" in out
    assert "There is no /leaderbord command. Did you mean /leaderboard?" in out
    assert "Usage: /leaderboard [days]" in out
    assert "[1] Yes, delete everything  [2] Cancel" in out
    assert "settings in Console. It cannot be undone." in out  # the community's name, not a key
    assert "Nothing was deleted." in out
    assert "(no such button" in out
    assert "Bye." in out
    assert "Traceback" not in out + result.stderr


def test_console_keeps_data_between_sessions(db_path: Path) -> None:
    _chat(db_path, ["first session message", ":quit"])
    result = _chat(db_path, ["/stats"])  # ends at end of input, without :quit
    assert result.returncode == 0, result.stderr
    assert "Messages: 1" in result.stdout


def test_unwritable_database_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _chat(blocker / "sub" / "c.db", [":quit"])
    assert result.returncode == 2
    assert result.stderr.strip().startswith("convene: Cannot create the folder")
    assert "Traceback" not in result.stderr


def test_one_button_is_offered_as_one_choice(db_path: Path) -> None:
    when = (datetime.now(UTC) + timedelta(days=30)).strftime(
        "%Y-%m-%dT18:30"
    )  # the console's clock
    result = _chat(db_path, [f"/event create {when} Demo night", "/events"])
    assert result.returncode == 0, result.stderr
    assert "(type :1 to choose)" in result.stdout
    assert ":1 to :1" not in result.stdout
