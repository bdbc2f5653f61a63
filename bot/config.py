"""Typed configuration loaded from TOML and validated at start.

Secrets never live in the file: it names the environment variables that hold them.
Every error names the key, the bad value and the fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """The configuration is wrong; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    enabled: bool = False
    token_env: str = ""

    def token(self, platform: str) -> str:
        """The token from the environment, or a ConfigError saying which variable to set."""
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise ConfigError(
                f"[{platform}] is enabled but the environment variable {self.token_env} is "
                f"empty. Fix: export {self.token_env}=<your bot token>, or set "
                f"[{platform}] enabled = false."
            )
        return value


# -- [telegram] mode (adapters/telegram/webhook.py) ------------------------------------------
TELEGRAM_MODES = ("polling", "webhook")
WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ports Telegram posts webhooks to
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret_token


@dataclass(frozen=True, slots=True)
class TelegramConfig(PlatformConfig):
    """Telegram: polling (one process) or a webhook (several processes behind a proxy).

    In webhook mode Telegram posts each update to `webhook_url`; this process answers on
    `listen`:`port`, behind the HTTPS proxy that publishes that URL.
    """

    mode: str = "polling"
    webhook_url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8080
    secret_env: str = "TELEGRAM_WEBHOOK_SECRET"

    @property
    def webhook(self) -> bool:
        return self.mode == "webhook"

    def secret(self) -> str:
        """The webhook's secret token from the environment, checked as Telegram would."""
        value = os.environ.get(self.secret_env, "").strip()
        if not value:
            raise ConfigError(
                f'[telegram] mode = "webhook" but the environment variable {self.secret_env} '
                f"is empty. Fix: export {self.secret_env}=<a random secret of letters, digits, "
                "_ and ->, for example from `openssl rand -hex 32`, the same in every process."
            )
        if not _SECRET.match(value):
            raise ConfigError(
                f"{self.secret_env} is not a valid webhook secret: Telegram accepts 1 to 256 "
                "letters, digits, _ and -. Fix: e.g. `openssl rand -hex 32`."
            )
        return value


def _telegram(where: str, raw: dict[str, Any]) -> TelegramConfig:
    body = raw.get("telegram", {})
    mode = body.get("mode", "polling")
    if mode not in TELEGRAM_MODES:
        raise ConfigError(
            f'{where}[telegram] mode = "{mode}" is not valid. Fix: mode = "polling" (one '
            'process) or mode = "webhook" (several processes behind an HTTPS proxy).'
        )
    url = body.get("webhook_url", "").strip()
    if mode == "webhook":
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(
                f'{where}[telegram] mode = "webhook" needs webhook_url, the public HTTPS address '
                f'Telegram posts updates to (now "{url}"). Fix: e.g. webhook_url = '
                '"https://bot.example.org/telegram".'
            )
        try:
            public_port = parts.port
        except ValueError:
            public_port = -1
        if public_port is not None and public_port not in WEBHOOK_PORTS:
            raise ConfigError(
                f'{where}[telegram] webhook_url = "{url}" uses port {parts.port or "?"}, but '
                "Telegram posts webhooks only to ports 443, 80, 88 or 8443. Fix: publish it "
                "on one of those (the proxy may forward to any local port)."
            )
    port = body.get("port", 8080)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}[telegram] port = {port} is not valid. Fix: e.g. port = 8080.")
    return TelegramConfig(
        enabled=body.get("enabled", False),
        token_env=body.get("token_env", "TELEGRAM_TOKEN"),
        mode=mode,
        webhook_url=url,
        listen=body.get("listen", "127.0.0.1"),
        port=port,
        secret_env=body.get("secret_env", "TELEGRAM_WEBHOOK_SECRET"),
    )


# -- end [telegram] mode -----------------------------------------------------------------------


# -- [discord] shards (adapters/discord) ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class DiscordConfig(PlatformConfig):
    """[discord]: the token, and the gateway shards this process runs.

    `shard_count` None (the default) is one plain connection; "auto" runs every shard
    Discord recommends in this process; a number N with `shard_ids` runs those of N shards
    (the other processes sharing the token run the rest).
    """

    shard_count: int | Literal["auto"] | None = None
    shard_ids: tuple[int, ...] | None = None  # None: every shard of shard_count


def _discord(where: str, raw: dict[str, Any]) -> DiscordConfig:
    body = raw.get("discord", {})
    base = _platform(raw, "discord", "DISCORD_TOKEN")
    count, ids = body.get("shard_count"), body.get("shard_ids")
    if count is not None and count != "auto" and (type(count) is not int or count < 1):
        raise ConfigError(
            f"{where}[discord] shard_count = {count!r} is not valid: it must be a whole number "
            'of at least 1, or "auto". Fix: e.g. shard_count = 4 (and shard_ids = [0, 1] in '
            "this process), or delete it for one connection."
        )
    if ids is None:
        return DiscordConfig(base.enabled, base.token_env, count, None)
    if count is None or count == "auto":
        raise ConfigError(
            f"{where}[discord] shard_ids = {ids!r} needs the total number of shards. Fix: add "
            "shard_count = <shards in all processes together>, e.g. shard_count = 4."
        )
    if not isinstance(ids, list) or not ids or not all(type(i) is int for i in ids):
        raise ConfigError(
            f"{where}[discord] shard_ids = {ids!r} is not valid: it must be a non-empty list "
            "of shard numbers. Fix: e.g. shard_ids = [0, 1]."
        )
    if outside := sorted({i for i in ids if not 0 <= i < count}):
        raise ConfigError(
            f"{where}[discord] shard_ids {outside} are outside 0..{count - 1} (shard_count = "
            f"{count}). Fix: use shard numbers from 0 to {count - 1}, or raise shard_count."
        )
    if twice := sorted({i for i in ids if ids.count(i) > 1}):
        raise ConfigError(
            f"{where}[discord] shard_ids lists {twice} more than once. Fix: name each shard "
            "once, e.g. shard_ids = [0, 1]."
        )
    return DiscordConfig(base.enabled, base.token_env, count, tuple(sorted(ids)))


# -- end [discord] shards ---------------------------------------------------------------------


# -- [dashboard] (bot/dashboard) --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """The organizer's web dashboard: off by default, on localhost unless told otherwise."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8750
    public_url: str = ""  # e.g. "https://convene.example.org" behind a reverse proxy


def _dashboard(where: str, raw: dict[str, Any]) -> DashboardConfig:
    body = raw.get("dashboard", {})
    port = body.get("port", 8750)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}[dashboard] port = {port} is not valid. Fix: e.g. port = 8750.")
    url = body.get("public_url", "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(
            f'{where}[dashboard] public_url = "{url}" is not valid: it must start with https:// '
            'or http://. Fix: e.g. public_url = "https://convene.example.org".'
        )
    return DashboardConfig(body.get("enabled", False), body.get("host", "127.0.0.1"), port, url)


# -- end [dashboard] ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommunityConfig:
    """A community: one or more platform groups sharing one state."""

    name: str
    key: str
    discord_guilds: tuple[str, ...] = ()
    telegram_chats: tuple[str, ...] = ()
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the bot needs to start. Defaults are what a newcomer wants."""

    database: Path = Path("convene.db")
    store_url: str = ""  # a postgresql:// URL; empty = the SQLite file `database`
    timezone: str = "UTC"
    model: str = "bundled"
    precision: str = "auto"
    store_message_text: bool = True
    text_retention_days: int = 30
    weekly_request_cap: int = 5
    cooldown_weeks: int = 12
    console_admins: tuple[str, ...] = ("organizer",)
    discord: DiscordConfig = DiscordConfig(token_env="DISCORD_TOKEN")
    telegram: TelegramConfig = TelegramConfig(token_env="TELEGRAM_TOKEN")
    communities: tuple[CommunityConfig, ...] = ()
    dashboard: DashboardConfig = DashboardConfig()
    source: Path | None = field(default=None, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def store(self) -> str | Path:
        """Where the store lives: the PostgreSQL URL, else the SQLite file."""
        return self.store_url or self.database


_SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "store": {"url": str},
    "bot": {"database": str, "timezone": str, "model": str, "precision": str},
    "privacy": {"store_message_text": bool, "text_retention_days": int},
    "matching": {"weekly_request_cap": int, "cooldown_weeks": int},
    "console": {"admins": list},
    "discord": {"enabled": bool, "token_env": str, "shard_count": object, "shard_ids": object},
    "telegram": {
        "enabled": bool,
        "token_env": str,
        "mode": str,
        "webhook_url": str,
        "listen": str,
        "port": int,
        "secret_env": str,
    },
    "communities": {},
    "dashboard": {"enabled": bool, "host": str, "port": int, "public_url": str},
}
_EXAMPLES = {
    "database": '"convene.db"',
    "url": '"convene.db" or "postgresql://convene@db.example.org/convene"',
    "timezone": '"Europe/Berlin"',
    "model": '"bundled"',
    "precision": '"auto"',
    "store_message_text": "true",
    "text_retention_days": "30",
    "weekly_request_cap": "5",
    "cooldown_weeks": "12",
    "admins": '["organizer"]',
    "enabled": "true",
    "token_env": '"TELEGRAM_TOKEN"',
    "host": '"127.0.0.1"',
    "port": "8750",
    "public_url": '"https://convene.example.org"',
    "mode": '"polling"',
    "webhook_url": '"https://bot.example.org/telegram"',
    "listen": '"127.0.0.1"',
    "secret_env": '"TELEGRAM_WEBHOOK_SECRET"',
}


def load(path: str | Path) -> Config:
    """Read and validate a config file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"No config file at {path}. Fix: copy config.example.toml to {path} and edit it."
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a folder, not a config file. Fix: give the .toml file."
        ) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} is not UTF-8 text (line {line}, byte {exc.start}). Fix: save it as UTF-8 "
            "in your editor."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    return parse(raw, source=path)


def parse(raw: dict[str, Any], *, source: Path | None = None) -> Config:
    """Validate a parsed TOML document into a Config."""
    where = f"{source}: " if source else ""
    for section, body in raw.items():
        if section not in _SECTIONS:
            raise ConfigError(
                f"{where}unknown section [{section}]. "
                f"Fix: use one of {', '.join('[' + s + ']' for s in _SECTIONS)}."
            )
        if section == "communities":
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"{where}[{section}] must be a table of keys.")
        for key, value in body.items():
            _check(where, section, key, value)

    def get(section: str, key: str, default: Any) -> Any:
        return raw.get(section, {}).get(key, default)

    timezone = get("bot", "timezone", "UTC")
    _check_timezone(where, "bot", "timezone", timezone)
    precision = get("bot", "precision", "auto")
    if precision not in ("auto", "fp32", "bf16"):
        raise ConfigError(
            f'{where}[bot] precision = "{precision}" is not valid. Fix: "auto", "fp32" or "bf16".'
        )
    retention = get("privacy", "text_retention_days", 30)
    _check_range(where, "privacy", "text_retention_days", retention, 36_500, "100 years")
    cap = get("matching", "weekly_request_cap", 5)
    _check_range(where, "matching", "weekly_request_cap", cap, 1_000, "a thousand")
    cooldown = get("matching", "cooldown_weeks", 12)
    _check_range(where, "matching", "cooldown_weeks", cooldown, 5_200, "100 years")
    admins = get("console", "admins", ["organizer"])
    if not all(isinstance(a, str) and a for a in admins):
        raise ConfigError(f'{where}[console] admins must be a list of names, e.g. ["organizer"].')
    database, store_url = _store(where, raw, source)
    return Config(
        database=database,
        store_url=store_url,
        timezone=timezone,
        model=get("bot", "model", "bundled"),
        precision=precision,
        store_message_text=get("privacy", "store_message_text", True),
        text_retention_days=retention,
        weekly_request_cap=cap,
        cooldown_weeks=cooldown,
        console_admins=tuple(admins),
        discord=_discord(where, raw),
        telegram=_telegram(where, raw),
        communities=_communities(where, raw.get("communities", []), timezone),
        dashboard=_dashboard(where, raw),
        source=source,
    )


def _store(where: str, raw: dict[str, Any], source: Path | None) -> tuple[Path, str]:
    """`[store] url` (a SQLite path or a postgresql:// URL); `[bot] database` is its old name."""
    url = raw.get("store", {}).get("url")
    old = raw.get("bot", {}).get("database")
    if url is not None and old is not None:
        raise ConfigError(
            f"{where}both [store] url and [bot] database are set. "
            "Fix: keep [store] url and delete [bot] database."
        )
    value = (url if url is not None else old) or "convene.db"
    key = "[store] url" if url is not None else "[bot] database"
    if value.startswith(("postgresql:", "postgres:")):
        from bot.storage.engine import StoreError, check_url

        try:
            check_url(value, where=f"{where}{key}")
        except StoreError as exc:
            raise ConfigError(str(exc)) from None
        return Path("convene.db"), value
    if "://" in value:
        raise ConfigError(
            f'{where}{key} = "{value}" is not supported: Convene stores in a SQLite file or '
            'PostgreSQL. Fix: e.g. url = "convene.db" or url = "postgresql://host/convene".'
        )
    database = Path(value)
    if source and not database.is_absolute():
        database = source.parent / database
    return database, ""


def _check(where: str, section: str, key: str, value: Any) -> None:
    expected = _SECTIONS[section].get(key)
    if expected is None:
        known = ", ".join(_SECTIONS[section]) or "none"
        raise ConfigError(
            f"{where}[{section}] has an unknown key {key!r}. Fix: use one of {known}."
        )
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        kind = {str: "a string", bool: "true or false", int: "a whole number", list: "a list"}
        raise ConfigError(
            f"{where}[{section}] {key} = {value!r} is not valid: it must be "
            f"{kind.get(expected, str(expected))}. Fix: e.g. {key} = {_EXAMPLES.get(key, '…')}."
        )


def _check_range(where: str, section: str, key: str, value: int, top: int, said: str) -> None:
    if not 1 <= value <= top:
        bound = "at least 1" if value < 1 else f"at most {top:,} ({said})"
        raise ConfigError(
            f"{where}[{section}] {key} = {value} is not valid: it must be {bound}. "
            f"Fix: e.g. {key} = {_EXAMPLES[key]}."
        )


def _check_timezone(where: str, section: str, key: str, value: Any) -> None:
    section = section if section.startswith("[") else f"[{section}]"
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}{section} {key} = {value!r} is not valid: it must be a timezone name in "
            'quotes. Fix: e.g. timezone = "Europe/Berlin" (not an offset such as 5).'
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'{where}{section} {key} = "{value}" is not a known timezone. '
            'Fix: use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC".'
        ) from None


def _platform(raw: dict[str, Any], name: str, env: str) -> PlatformConfig:
    body = raw.get(name, {})
    return PlatformConfig(enabled=body.get("enabled", False), token_env=body.get("token_env", env))


def _communities(where: str, items: Any, timezone: str) -> tuple[CommunityConfig, ...]:
    if not isinstance(items, list):
        raise ConfigError(f"{where}communities must be written as [[communities]] tables.")
    result = []
    for i, item in enumerate(items, 1):
        label = f"[[communities]] #{i}"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f'{where}{label} needs a name. Fix: name = "Founders Guild".')
        unknown = set(item) - {"name", "key", "discord_guilds", "telegram_chats", "timezone"}
        if unknown:
            raise ConfigError(
                f"{where}{label} has unknown key(s) {', '.join(sorted(unknown))}. Fix: use "
                "name, key, discord_guilds, telegram_chats, timezone."
            )
        tz = item.get("timezone", timezone)
        _check_timezone(where, label, "timezone", tz)
        ids: dict[str, tuple[str, ...]] = {}
        for field_name in ("discord_guilds", "telegram_chats"):
            values = item.get(field_name, [])
            if not isinstance(values, list):
                raise ConfigError(
                    f'{where}{label} {field_name} must be a list of ids, e.g. ["1234567890"].'
                )
            ids[field_name] = tuple(str(v) for v in values)
        key = item.get("key") or "community:" + item["name"].strip().lower().replace(" ", "-")
        result.append(CommunityConfig(item["name"], key, timezone=tz, **ids))
    return tuple(result)
