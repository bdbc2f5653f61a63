"""[dashboard] config and `convene dashboard`: errors that name the fix, a link that opens."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.config import Config, ConfigError, DashboardConfig, load, parse
from bot.core import Core
from bot.dashboard.cli import pick_community, serve_store
from bot.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_config_keeps_the_dashboard_off_on_localhost() -> None:
    assert load(ROOT / "config.example.toml").dashboard == DashboardConfig()
    assert DashboardConfig().host == "127.0.0.1"


def test_dashboard_config_is_read() -> None:
    raw = {"dashboard": {"enabled": True, "port": 9000, "public_url": "https://dash.example.org"}}
    cfg = parse(raw).dashboard
    assert (cfg.enabled, cfg.host, cfg.port, cfg.public_url) == (
        True,
        "127.0.0.1",
        9000,
        "https://dash.example.org",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"port": 0}, r"\[dashboard\] port = 0 is not valid\. Fix: e\.g\. port = 8750"),
        ({"port": "80"}, r"\[dashboard\] port = '80' is not valid: it must be a whole number"),
        ({"public_url": "dash.example.org"}, r"public_url .* must start with https://"),
        ({"url": "x"}, r"\[dashboard\] has an unknown key 'url'\. Fix: use one of enabled"),
    ],
)
def test_bad_dashboard_config_names_the_key_and_the_fix(body: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse({"dashboard": body})


def test_choosing_the_community(core: Core) -> None:
    store = core.store
    assert pick_community(store, None) == (None, pick_community(store, None)[1])
    assert "no community yet" in pick_community(store, None)[1]
    one = store.community("console:local", "Launchpad Collective")
    assert pick_community(store, None) == (one, "")
    two = store.community("telegram:-100", "Angels")
    assert "--community" in pick_community(store, None)[1]
    assert pick_community(store, "angels") == (two, "")
    assert pick_community(store, "console:local") == (one, "")
    assert "there are: 'Launchpad Collective', 'Angels'" in pick_community(store, "Nope")[1]


def test_the_cli_refuses_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dashboard", "--db", str(tmp_path / "none.db")]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


@pytest.mark.engines
async def test_convene_dashboard_prints_a_link_that_opens_the_community(config: Config) -> None:
    store = Store(config.store)
    community = store.community("console:local", "Launchpad Collective")
    store.close()
    out, stop = io.StringIO(), asyncio.Event()
    task = asyncio.create_task(serve_store(config, None, None, 0, out=out, stop=stop))
    for _ in range(200):
        if "login/" in out.getvalue():
            break
        await asyncio.sleep(0.02)
    link = re.search(r"http://127\.0\.0\.1:\d+/login/\S+", out.getvalue())
    assert link, out.getvalue()
    assert "Dashboard of Launchpad Collective" in out.getvalue()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(link.group(0)) as r:
            assert r.status == 200
            assert f"/c/{community}/activity" in await r.text()
        async with http.get(link.group(0).split("/login/")[0] + f"/c/{community}/activity") as r:
            assert r.status == 200  # the cookie jar kept the session
            assert "Launchpad Collective" in await r.text()
    stop.set()
    assert await task == 0
