"""Config loading: the example file, and errors that name the key, the value and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import _SECTIONS, ConfigError, PlatformConfig, load, parse

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_config_loads() -> None:
    config = load(ROOT / "config.example.toml")
    assert config.text_retention_days == 30
    assert config.store_message_text is True
    assert config.weekly_request_cap == 5
    assert config.discord.token_env == "DISCORD_TOKEN"
    assert not config.telegram.enabled
    assert config.database == ROOT / "convene.db"


def _documented(text: str) -> dict[str, set[str]]:
    """The keys config.example.toml shows (set or commented out), by section."""
    keys: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        header, key = re.match(r"#? ?\[+(\w+)\]+", line), re.match(r"#? ?(\w+) *=", line)
        if header:
            section = header[1]
        elif key and section:
            keys.setdefault(section, set()).add(key[1])
    return keys


def test_the_example_config_documents_every_key() -> None:
    documented = _documented((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    accepted = {s: set(keys) for s, keys in _SECTIONS.items() if s != "communities"}
    accepted["communities"] = {"name", "key", "discord_guilds", "telegram_chats", "timezone"}
    assert documented == accepted
    with pytest.raises(ConfigError, match="unknown key"):  # the check below is the real one
        parse({"communities": [{"name": "X", "colour": "red"}]})


def test_defaults_without_a_file() -> None:
    config = parse({})
    assert config.timezone == "UTC"
    assert config.model == "bundled"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"privacy": {"text_retention_days": "thirty"}},
            r"text_retention_days = 'thirty'.*whole number.*Fix: e\.g\. text_retention_days = 30",
        ),
        ({"privacy": {"text_retention_days": 0}}, r"text_retention_days = 0 .*at least 1"),
        (
            {"bot": {"timezone": "Mars/Olympus"}},
            r'timezone = "Mars/Olympus" is not a known timezone.*Europe/Berlin',
        ),
        ({"bot": {"colour": "blue"}}, r"\[bot\] has an unknown key 'colour'.*database"),
        ({"chat": {}}, r"unknown section \[chat\]"),
        ({"privacy": {"store_message_text": "yes"}}, r"store_message_text = 'yes'.*true or false"),
        ({"bot": {"precision": "int8"}}, r'precision = "int8".*"auto", "fp32" or "bf16"'),
        ({"communities": [{"discord_guilds": ["1"]}]}, r"\[\[communities\]\] #1 needs a name"),
        (
            {"communities": [{"name": "X", "telegram_chats": "-100"}]},
            r"telegram_chats must be a list",
        ),
        ({"matching": {"weekly_request_cap": True}}, r"weekly_request_cap = True.*whole number"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(raw: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse(raw)


def test_malformed_toml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[bot\ndatabase = 1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML.*line 1"):
        load(path)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"copy config\.example\.toml"):
        load(tmp_path / "nope.toml")


def test_tokens_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = PlatformConfig(enabled=True, token_env="CONVENE_TEST_TOKEN")
    monkeypatch.delenv("CONVENE_TEST_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="export CONVENE_TEST_TOKEN=<your bot token>"):
        platform.token("telegram")
    monkeypatch.setenv("CONVENE_TEST_TOKEN", " 123:abc ")
    assert platform.token("telegram") == "123:abc"


def test_linked_communities_are_parsed() -> None:
    config = parse(
        {
            "communities": [
                {"name": "Founders Guild", "discord_guilds": [123], "telegram_chats": ["-100"]}
            ]
        }
    )
    [c] = config.communities
    assert c.key == "community:founders-guild"
    assert c.discord_guilds == ("123",)
    assert c.telegram_chats == ("-100",)


# -- values that used to crash at start -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"privacy": {"text_retention_days": 1_000_000}},
            r"text_retention_days = 1000000 is not valid: it must be at most 36,500 \(100 years\)",
        ),
        ({"matching": {"cooldown_weeks": 10**12}}, r"cooldown_weeks = .* at most 5,200"),
        (
            {"communities": [{"name": "X", "timezone": 5}]},
            r"\[\[communities\]\] #1 timezone = 5 is not valid: .*timezone name in quotes",
        ),
        ({"bot": {"timezone": 5}}, r"timezone = 5 is not valid: it must be a string"),
    ],
)
def test_values_that_crashed_at_start_are_one_sentence(raw: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse(raw)


def test_a_config_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[bot]\ndatabase = "convene.db"\ntimezone = "Europe/Z\xfcrich"\n')
    with pytest.raises(
        ConfigError, match=r"config\.toml is not UTF-8 text \(line 3.*save it as UTF-8"
    ):
        load(path)


async def test_the_largest_retention_runs_at_start(tmp_path: Path) -> None:
    from bot.core import Core
    from bot.storage.store import Store

    config = parse({"privacy": {"text_retention_days": 36_500}, "bot": {"database": "c.db"}})
    core = Core(config, Store(tmp_path / "c.db"))
    await core.start()  # the retention cutoff is computed without overflowing
    await core.close()


def test_bf16_precision_is_accepted_by_the_check_and_by_the_embedder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from models.embedder import Embedder

    monkeypatch.delenv("CONVENE_PRECISION", raising=False)
    config = parse({"bot": {"precision": "bf16"}})
    embedder = Embedder(config.model, precision=config.precision)
    assert embedder.requested_precision == "bf16"
    embedder.close()


# -- [telegram] mode = "webhook" --------------------------------------------------------------


def test_telegram_webhook_mode_is_read() -> None:
    config = parse(
        {
            "telegram": {
                "mode": "webhook",
                "webhook_url": "https://bot.example.org/telegram",
                "port": 8081,
                "listen": "0.0.0.0",
                "secret_env": "HOOK_SECRET",
            }
        }
    )
    assert config.telegram.webhook
    assert (config.telegram.webhook_url, config.telegram.port) == (
        "https://bot.example.org/telegram",
        8081,
    )
    assert config.telegram.listen == "0.0.0.0"
    assert config.telegram.secret_env == "HOOK_SECRET"
    assert not parse({}).telegram.webhook  # polling stays the default


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [
        ({"mode": "hook"}, r'\[telegram\] mode = "hook" is not valid\. Fix: mode = "polling"'),
        ({"mode": "webhook"}, r"needs webhook_url.*Fix: e\.g\. webhook_url = \"https://"),
        (
            {"mode": "webhook", "webhook_url": "http://bot.example.org/hook"},
            r"needs webhook_url, the public HTTPS address",
        ),
        (
            {"mode": "webhook", "webhook_url": "https://bot.example.org:8080/hook"},
            r"uses port 8080, but Telegram posts webhooks only to ports 443, 80, 88 or 8443",
        ),
        ({"port": 0}, r"\[telegram\] port = 0 is not valid\. Fix: e\.g\. port = 8080"),
        ({"port": "8080"}, r"\[telegram\] port = '8080' is not valid: it must be a whole number"),
        ({"secret": "abc"}, r"\[telegram\] has an unknown key 'secret'.*secret_env"),
    ],
)
def test_telegram_webhook_errors_name_the_key_and_the_fix(telegram: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse({"telegram": telegram})


def test_the_webhook_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    telegram = parse(
        {"telegram": {"mode": "webhook", "webhook_url": "https://bot.example.org/t"}}
    ).telegram
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match=r"export TELEGRAM_WEBHOOK_SECRET=.*every process"):
        telegram.secret()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(ConfigError, match="1 to 256 letters, digits, _ and -"):
        telegram.secret()
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", " a-Good_secret1 ")
    assert telegram.secret() == "a-Good_secret1"
