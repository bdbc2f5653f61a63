"""Telegram in webhook mode: the real python-telegram-bot behind the real uvicorn and
Starlette on a loopback port, with the fake Bot API posting updates to it as Telegram does.

Assertions are on what reached the fake server (setWebhook, sendMessage, the status of each
POST) and on what the core stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot
from telegram.error import Conflict
from telegram.ext import Application

from adapters.telegram.adapter import ALLOWED_UPDATES, TelegramAdapter
from adapters.telegram.webhook import HEALTH_PATH, SECRET_HEADER, WebhookServer, WebhookSettings
from bot.app import platform_adapters
from bot.config import Config, ConfigError, parse
from bot.core import Core
from bot.features import default_features
from bot.storage.store import Store
from tests.adapters.test_telegram_adapter import (
    ANN,
    BOB,
    GROUP,
    activity,
    eventually,
    make_adapter,
    probe,
)
from tests.fakes.telegram_server import FakeBotAPI

URL = "https://bot.example.org/telegram"
SECRET = "s3cret-Token_42"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.group(GROUP, "Berlin Founders")
        for uid, name in ((ANN, "Ann"), (BOB, "Bob")):
            server.user(uid, name, username=name.lower())
        yield server


async def new_core(path: Path) -> Core:
    return Core(Config(database=path), Store(path), [*default_features(), probe])


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    core = await new_core(tmp_path / "c.db")
    yield core
    await core.close()


def webhook_adapter(core: Core, fake: FakeBotAPI, **kwargs: object) -> TelegramAdapter:
    return make_adapter(core, fake, webhook=WebhookSettings(URL, SECRET, "127.0.0.1", 0), **kwargs)


def local(adapter: TelegramAdapter, path: str = "/telegram") -> str:
    assert adapter.webhook_server is not None
    return f"http://127.0.0.1:{adapter.webhook_server.port}{path}"


@pytest.fixture
async def bot(core: Core, fake: FakeBotAPI) -> AsyncIterator[TelegramAdapter]:
    adapter = webhook_adapter(core, fake)
    await adapter.start()
    fake.upstreams = [local(adapter)]  # the proxy in front of this process
    yield adapter
    await adapter.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


def update(update_id: int, text: str) -> bytes:
    message = {
        "message_id": 7000 + update_id,
        "date": 1_790_000_000,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Berlin Founders"},
        "from": {"id": ANN, "is_bot": False, "first_name": "Ann"},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def stored_texts(core: Core) -> list[str]:
    core.store.flush()
    return [str(row["text"]) for row in activity(core, "message")]


async def test_start_sets_the_webhook_with_the_url_the_secret_and_the_update_kinds(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    (call,) = fake.calls_to("setWebhook")
    assert call.params["url"] == URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    assert not fake.calls_to("getUpdates")
    assert not fake.calls_to("deleteWebhook")
    assert fake.webhook is not None


async def test_an_update_posted_to_the_webhook_reaches_the_core_and_the_reply_arrives(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    group = fake.chats[GROUP]
    fake.message(group, fake.user(BOB), "just chatting")
    fake.message(group, fake.user(ANN), "/echo through the webhook")
    await fake.wait_for(lambda: len(fake.sent(GROUP)) == 1, what="the echo")
    assert "through the webhook" in fake.texts(GROUP)[0]
    assert [status for _, _, status in fake.deliveries] == [200, 200]
    await eventually(lambda: "just chatting" in stored_texts(core))


async def test_a_button_pressed_through_the_webhook_runs_its_callback(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    group = fake.chats[GROUP]
    fake.message(group, fake.user(ANN), "/vote")
    await fake.wait_for(lambda: bool(fake.buttons(GROUP)), what="the keyboard")
    fake.press_label(group, fake.user(BOB), "Yes", to=GROUP)
    await fake.wait_for(lambda: len(fake.sent(GROUP)) == 2, what="the vote")
    assert fake.texts(GROUP)[-1] == "Bob voted yes"
    assert fake.calls_to("answerCallbackQuery")


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: SECRET + "x"}])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    bot: TelegramAdapter,
    fake: FakeBotAPI,
    core: Core,
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.telegram")
    status = await post(local(bot), update(9001, "forged message"), headers)
    assert status == 403
    assert any(
        "refused a POST" in r.getMessage() and "403" in r.getMessage() for r in caplog.records
    )
    fake.message(fake.chats[GROUP], fake.user(ANN), "/echo real one")  # what follows still works
    await fake.wait_for(lambda: len(fake.sent(GROUP)) == 1, what="the echo")
    assert "forged message" not in stored_texts(core)
    assert not any("forged" in text for text in fake.texts())


@pytest.mark.parametrize(
    "body", [b"not json {", b"[1, 2]", b'{"message": {"text": "no id"}}', b'{"update_id": "7"}']
)
async def test_a_body_that_is_not_an_update_is_400(
    bot: TelegramAdapter, core: Core, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.telegram")
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    assert await post(local(bot), body, headers) == 400
    assert any("400" in r.getMessage() for r in caplog.records)
    assert await post(local(bot), update(9002, "a good one after"), headers) == 200
    await eventually(lambda: "a good one after" in stored_texts(core))
    assert len(stored_texts(core)) == 1


async def test_health_answers_while_running(bot: TelegramAdapter) -> None:
    async with aiohttp.ClientSession() as http, http.get(local(bot, HEALTH_PATH)) as r:
        assert r.status == 200
        assert (await r.json())["ok"] is True


async def test_a_process_that_is_not_taking_updates_answers_503_so_telegram_retries(
    fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.telegram")
    app = Application.builder().token(fake.token).base_url(fake.base_url).updater(None).build()
    server = WebhookServer(app, WebhookSettings(URL, SECRET, "127.0.0.1", 0))
    await server.start()  # PTB's application is not running: starting up, or stopping
    try:
        headers = {SECRET_HEADER: SECRET}
        assert (
            await post(f"http://127.0.0.1:{server.port}/telegram", update(1, "x"), headers) == 503
        )
        health = f"http://127.0.0.1:{server.port}{HEALTH_PATH}"
        async with aiohttp.ClientSession() as http, http.get(health) as r:
            assert r.status == 503
    finally:
        await server.stop()
    assert app.update_queue.empty()
    assert any("503" in r.getMessage() for r in caplog.records)


async def test_shutdown_handles_what_was_accepted_keeps_the_webhook_and_closes_the_port(
    core: Core, fake: FakeBotAPI
) -> None:
    adapter = webhook_adapter(core, fake)
    await adapter.start()
    fake.upstreams = [local(adapter)]
    port_url = local(adapter, HEALTH_PATH)
    for i in range(20):
        fake.message(fake.chats[GROUP], fake.user(ANN), f"before stop {i}")
    await fake.wait_consumed()  # every POST answered 200: queued in PTB, maybe not handled
    await asyncio.wait_for(adapter.stop(), 60)
    assert sorted(stored_texts(core)) == sorted(f"before stop {i}" for i in range(20))
    assert not fake.calls_to("deleteWebhook")  # the other processes still take updates
    assert fake.webhook is not None
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.get(port_url):
            pass
    await adapter.stop()  # a second stop is harmless


async def test_a_taken_port_is_a_config_error(core: Core, fake: FakeBotAPI) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        adapter = make_adapter(core, fake, webhook=WebhookSettings(URL, SECRET, "127.0.0.1", port))
        with pytest.raises(ConfigError, match=rf"port = {port}: cannot listen there.*Fix"):
            await adapter.start()
    assert adapter.app is None
    assert not fake.calls_to("setWebhook")


async def test_a_url_telegram_refuses_is_a_config_error_and_nothing_keeps_running(
    core: Core, fake: FakeBotAPI
) -> None:
    settings = WebhookSettings("http://bot.example.org/telegram", SECRET, "127.0.0.1", 0)
    adapter = make_adapter(core, fake, webhook=settings)
    with pytest.raises(ConfigError, match=r"Telegram refused the webhook.*https://"):
        await adapter.start()
    assert adapter.app is None
    assert adapter.webhook_server is None


async def test_getupdates_is_a_conflict_while_a_webhook_is_set(fake: FakeBotAPI) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as raw:
        await raw.set_webhook(URL, secret_token=SECRET)
        with pytest.raises(Conflict, match="webhook is active"):
            await raw.get_updates(timeout=0)
        await raw.delete_webhook()
        assert await raw.get_updates(timeout=0) == ()


async def test_a_polling_process_beside_webhook_ones_is_logged_on_both_sides(
    tmp_path: Path, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.telegram")
    hooked, polling = await new_core(tmp_path / "a.db"), await new_core(tmp_path / "b.db")
    webhook = webhook_adapter(hooked, fake, webhook_check=0.1)
    poller = make_adapter(polling, fake, poll_timeout=1)
    await webhook.start()
    fake.upstreams = [local(webhook)]
    try:
        await poller.start()  # PTB deletes the webhook before polling
        await fake.wait_calls("setWebhook", 2)  # the webhook process set it again
        await eventually(lambda: any("Conflict" in r.getMessage() for r in caplog.records))
    finally:
        await poller.stop()
        await webhook.stop()
        await hooked.close()
        await polling.close()
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("another process changed it" in line for line in said)
    assert any("another process takes this bot's updates" in line for line in said)


async def test_failed_deliveries_reported_by_telegram_are_logged(
    core: Core, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="convene.telegram")
    adapter = webhook_adapter(core, fake, webhook_check=0.1)
    await adapter.start()
    try:
        fake.upstreams = [local(adapter, "/wrong-path")]  # a proxy forwarding to the wrong path
        fake.message(fake.chats[GROUP], fake.user(ANN), "lost on the way")
        await eventually(lambda: any("could not deliver" in r.getMessage() for r in caplog.records))
        fake.upstreams = [local(adapter)]  # fixed: Telegram's retry gets through
        await eventually(lambda: "lost on the way" in stored_texts(core))
    finally:
        await adapter.stop()
    assert {status for _, _, status in fake.deliveries} >= {404, 200}


def test_the_config_builds_a_webhook_adapter(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:TEST-token")
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    telegram = {"enabled": True, "mode": "webhook", "webhook_url": URL, "port": 8099}
    config = parse({"telegram": {**telegram, "secret_env": "HOOK_SECRET"}})
    (adapter,) = platform_adapters(core, config)
    assert isinstance(adapter, TelegramAdapter)
    assert adapter.webhook == WebhookSettings(URL, SECRET, "127.0.0.1", 8099)
    monkeypatch.delenv("HOOK_SECRET")
    with pytest.raises(ConfigError, match="HOOK_SECRET is empty"):
        platform_adapters(core, config)
