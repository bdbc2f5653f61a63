"""[discord] shard_count and shard_ids: parsed into the Discord config, bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load, parse

ROOT = Path(__file__).resolve().parents[2]


def test_no_shards_by_default() -> None:
    discord = parse({"discord": {"enabled": True}}).discord
    assert discord.shard_count is None
    assert discord.shard_ids is None
    assert load(ROOT / "config.example.toml").discord.shard_count is None


def test_shards_of_this_process_are_parsed() -> None:
    discord = parse({"discord": {"shard_count": 4, "shard_ids": [3, 2]}}).discord
    assert discord.shard_count == 4
    assert discord.shard_ids == (2, 3)
    assert discord.token_env == "DISCORD_TOKEN"


def test_a_count_alone_runs_every_shard_and_auto_asks_discord() -> None:
    assert parse({"discord": {"shard_count": 2}}).discord.shard_ids is None
    auto = parse({"discord": {"shard_count": "auto"}}).discord
    assert (auto.shard_count, auto.shard_ids) == ("auto", None)


def test_the_example_lines_work_when_uncommented(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace("# shard_count = 4", "shard_count = 4").replace(
        "# shard_ids = [0, 1]", "shard_ids = [0, 1]"
    )
    (tmp_path / "convene.toml").write_text(text, encoding="utf-8")
    discord = load(tmp_path / "convene.toml").discord
    assert (discord.shard_count, discord.shard_ids) == (4, (0, 1))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"shard_count": 0}, r"shard_count = 0 is not valid: .*at least 1.*Fix: e\.g\."),
        ({"shard_count": -2}, r"shard_count = -2 is not valid"),
        ({"shard_count": "four"}, r"shard_count = 'four' is not valid.*\"auto\""),
        ({"shard_count": True}, r"shard_count = True is not valid"),
        ({"shard_count": 2.5}, r"shard_count = 2\.5 is not valid"),
        ({"shard_ids": [0, 1]}, r"shard_ids = \[0, 1\] needs the total.*Fix: add shard_count"),
        (
            {"shard_count": "auto", "shard_ids": [0]},
            r"shard_ids = \[0\] needs the total number of shards",
        ),
        ({"shard_count": 4, "shard_ids": [0, 4, 7]}, r"shard_ids \[4, 7\] are outside 0\.\.3"),
        ({"shard_count": 4, "shard_ids": [-1]}, r"shard_ids \[-1\] are outside 0\.\.3"),
        ({"shard_count": 4, "shard_ids": [1, 2, 1]}, r"shard_ids lists \[1\] more than once"),
        ({"shard_count": 4, "shard_ids": []}, r"shard_ids = \[\] is not valid.*non-empty"),
        ({"shard_count": 4, "shard_ids": 1}, r"shard_ids = 1 is not valid.*shard_ids = \[0, 1\]"),
        ({"shard_count": 4, "shard_ids": ["0"]}, r"shard_ids = \['0'\] is not valid"),
    ],
)
def test_bad_shards_name_the_key_and_the_fix(body: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as raised:
        parse({"discord": body}, source=Path("convene.toml"))
    message = str(raised.value)
    assert message.startswith("convene.toml: [discord] ")
    assert "Fix:" in message
    assert "\n" not in message
