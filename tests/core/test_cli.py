"""The `convene` command line: help, and one clear line for every kind of bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import store_args

DATA = Path(__file__).parents[1] / "data"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "chat", "run", "import", "eval", "discord"):
        assert command in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: convene" in capsys.readouterr().out


def test_malformed_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[privacy]\ntext_retention_days = "forever"\n')
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "text_retention_days = 'forever'" in err
    assert "Fix:" in err


def test_enabled_platform_without_token_names_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONVENE_MISSING_TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\nenabled = true\ntoken_env = "CONVENE_MISSING_TOKEN"\n')
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "CONVENE_MISSING_TOKEN is empty" in err
    assert "Traceback" not in err


def test_import_of_a_corrupt_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "import", "telegram", str(DATA / "telegram_corrupt_export.json"),
            "--community", "Guild", "--db", str(tmp_path / "c.db"),
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "line" in err
    assert "Traceback" not in err


def test_import_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "discord", str(tmp_path / "nope.json")]) == 2
    assert "no file or folder" in capsys.readouterr().err


@pytest.mark.engines
def test_import_then_reimport_adds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store_target: str | Path
) -> None:
    args = ["import", "discord", str(DATA / "discord_general.json"),
            *store_args(store_target, tmp_path)]  # fmt: skip
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "Imported 0 records" not in first
    assert "Imported 0 records" in second
    embedded = re.search(r"Embedded (\d+) texts; kept topic summaries of (\d+) weeks", first)
    assert embedded, first  # the warm-up read the store the import wrote
    assert int(embedded.group(1)) > 0


def test_eval_on_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main(["eval", "matching", "--db", str(missing)]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", "must hold a JSON object with a 'profiles' list"),
        ('{"profiles": ["ana"]}', "each profile must be a JSON object, not a string"),
        (None, "no file at"),
    ],
)
def test_eval_set_that_is_not_a_labelled_set_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    path = tmp_path / "set.json"
    if content is not None:
        path.write_text(content)
    assert main(["eval", "matching", "--set", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert expected in err


def test_privacy_audit_of_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not sqlite at all " * 100)
    assert main(["privacy", "audit", "--db", str(path), "--member", "ana"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"convene: Cannot open the database {path}: file is not a database."


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_dashboard_port_out_of_range_is_a_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["dashboard", "--db", str(tmp_path / "x.db"), "--port", port])
    assert done.value.code == 2
    assert f"{port!r} is not a port: use a number from 1 to 65535" in capsys.readouterr().err


@pytest.mark.engines
def test_eval_picks_a_community_by_name_like_the_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store_target: str | Path
) -> None:
    from bot.storage.store import Store

    store = Store(store_target)
    store.community("discord:1", "Founders Guild")
    store.close()
    db = store_args(store_target, tmp_path)
    assert main(["eval", "matching", *db, "--community", "Guild"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "convene: no community called 'Guild' in this database (there are: 'Founders Guild')."
    )
    assert main(["eval", "matching", *db, "--community", "founders guild"]) == 0
