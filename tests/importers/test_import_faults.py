"""Imports under faults: bad records are reported and skipped, a refused import leaves no
database behind, and a kill -9 in the middle of a big import loses nothing on re-run (on
both engines; the tests about the SQLite file itself on SQLite)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage.store import Store
from tests.conftest import store_args
from tests.importers.big_export import write_export
from tests.storage.rows import count

pytestmark = pytest.mark.engines

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
NO_EMBED = "--no-embed"  # these tests are about the rows; the embedding warm-up has its own


def convene(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def store(store_target: str | Path, tmp_path: Path) -> list[str]:
    """The `convene` options naming this test's store."""
    return store_args(store_target, tmp_path)


def test_bad_records_are_named_and_skipped_and_the_rest_imports(
    tmp_path: Path, store: list[str], store_target: str | Path
) -> None:
    data = json.loads((DATA / "telegram_group_export.json").read_text("utf-8"))
    messages = [m for m in data["messages"] if m.get("type") == "message"]
    messages[0]["text"] = "half an emoji \ud83d here"  # a lone surrogate
    messages[1]["date_unixtime"] = str(10**20)
    messages[2].pop("date_unixtime")
    messages[2]["date"] = "10000-01-01T00:00:00"  # a year past 9999
    bad_ids = [messages[1]["id"], messages[2]["id"]]
    export = tmp_path / "result.json"
    export.write_text(json.dumps(data), encoding="utf-8")  # json escapes the surrogate
    result = convene("import", "telegram", str(export), "--community", "Berlin", *store, NO_EMBED)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for msg_id in bad_ids:
        assert re.search(rf"message id {msg_id} .*out of range.*Skipped\.", result.stderr)
    assert f"message {messages[0]['id']}: its text held characters" in result.stderr
    assert "bad records were skipped or repaired" in result.stdout
    repaired = "SELECT count(*) FROM activity WHERE text = 'half an emoji \ufffd here'"
    assert count(store_target, repaired) == 1

    again = convene("import", "telegram", str(export), "--community", "Berlin", *store, NO_EMBED)
    assert re.search(r"Imported 0 records", again.stdout)  # the good ones all landed


def test_discord_timestamp_past_9999_is_one_sentence(tmp_path: Path, store: list[str]) -> None:
    data = json.loads((DATA / "discord_general.json").read_text("utf-8"))
    data["messages"][3]["timestamp"] = "10000-01-01T00:00:00+00:00"
    data["messages"][4]["timestamp"] = "9999-12-31T23:59:59-05:00"  # past 9999 in UTC
    export = tmp_path / "export.json"
    export.write_text(json.dumps(data), encoding="utf-8")
    result = convene("import", "discord", str(export), *store, NO_EMBED)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len(re.findall(r"message #[34] .*out of range.*Skipped\.", result.stderr)) == 2


@pytest.mark.engines("sqlite")  # about the SQLite file
def test_a_refused_import_leaves_no_database_behind(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = convene(
        "import", "telegram", str(DATA / "telegram_corrupt_export.json"),
        "--community", "Berlin", "--db", str(db),
    )  # fmt: skip
    assert result.returncode == 2
    assert "line 41" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_refused_import_keeps_an_existing_database(
    store_target: str | Path, store: list[str]
) -> None:
    Store(store_target).close()
    result = convene(
        "import", "telegram", str(DATA / "telegram_corrupt_export.json"),
        "--community", "Berlin", *store,
    )  # fmt: skip
    assert result.returncode == 2
    assert "line 41" in result.stderr
    assert count(store_target, "SELECT count(*) FROM schema_version") > 0  # kept, and usable
    assert count(store_target) == 0


def test_kill_9_at_40_percent_of_a_big_import_then_a_rerun_loses_nothing(
    tmp_path: Path, store: list[str], store_target: str | Path
) -> None:
    total = 20_000
    export = write_export(tmp_path / "result.json", total)
    db = store_target
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "import", "telegram", str(export),
         "--community", "Big", *store, NO_EMBED],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stderr is not None
    seen = b""
    done = 0
    while done < total * 0.4:
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, "the import ended before 40%"
        seen += chunk
        found = re.findall(rb"\] ([\d,]+)/", seen[-200:])
        done = int(found[-1].replace(b",", b"")) if found else 0
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    landed = count(db)
    assert landed < total  # it really died part-way
    assert count(db, "SELECT count(*) FROM imported") == landed  # markers only with rows

    rerun = convene("import", "telegram", str(export), "--community", "Big", *store, NO_EMBED)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Imported {total - landed:,} records ({landed:,} already there)" in rerun.stdout
    assert count(db) == total
    assert count(db, "SELECT count(DISTINCT at) FROM activity") == total
    if isinstance(db, Path):
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
