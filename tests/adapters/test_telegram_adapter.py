"""The Telegram adapter end to end: the real python-telegram-bot against a local Bot API.

Assertions are on what reached the fake server (tests/fakes/telegram_server.py) and on what
the core stored, never on objects the test built itself.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    PersistenceInput,
    PicklePersistence,
    TypeHandler,
)

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.rate_limit import ChatRateLimiter
from adapters.telegram.render import html_chunks
from bot.commands import Arg, Args, sub
from bot.config import Config, ConfigError
from bot.context import Answer, Context
from bot.core import Core
from bot.feature import Feature
from bot.features import default_features
from bot.features.digests.feature import run_scheduled
from bot.replies import Attachment, Button, Reply, Target
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.store import load_schedule
from bot.storage.store import ACTIVITY_KINDS, Store
from tests.fake_embedder import FakeEmbedder
from tests.fakes.telegram_server import DROP, FakeBotAPI
from tests.matching_helpers import FOUNDER, INVESTOR

GROUP = -1001234
ANN, BOB, ADMIN = 501, 502, 503
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LONG_CALLBACK = "vote:" + "x" * 80

probe = Feature.define("probe")


@probe.command("echo", "Say the text back.", Arg("text", "text", "what to say"))
async def _echo(ctx: Context, args: Args) -> Answer:
    return ctx.reply(args["text"], title="Echo <of> you")


@probe.command("announce", "Post an announcement.", Arg("text", "text"), admin=True)
async def _announce(ctx: Context, args: Args) -> Answer:
    return ctx.reply(f"Announcement: {args['text']}")


@probe.command(
    "poll",
    "Polls in this group.",
    sub("show", "Show the open poll."),
    sub("close", "Close the poll.", admin=True),
    default="show",
)
async def _poll(ctx: Context, args: Args) -> Answer:
    return ctx.reply(f"poll {args['action']}")


@probe.command("vote", "Ask a question with buttons.")
async def _vote(ctx: Context, args: Args) -> Answer:
    return ctx.reply(
        "Coming Thursday?",
        buttons=(Button("Yes", "vote:yes"), Button("No", "vote:no"), Button("Long", LONG_CALLBACK)),
    )


@probe.button("vote")
async def _voted(ctx: Context, payload: str) -> Answer:
    if payload == "no":
        return ctx.private("Noted, you are not coming.")
    return ctx.reply(f"{ctx.event.name} voted {payload[:10]}")


@probe.command("chart", "Post a chart.")
async def _chart(ctx: Context, args: Args) -> Answer:
    return ctx.reply("Weekly activity", attachment=Attachment("chart.png", PNG, is_image=True))


@probe.command("long", "A very long answer.")
async def _long(ctx: Context, args: Args) -> Answer:
    return ctx.reply("\n".join(f"line {i:05d} " + "word " * 20 for i in range(200)))


@probe.command("secret", "Something only you may see.")
async def _secret(ctx: Context, args: Args) -> Answer:
    return ctx.private("Your private numbers: 42")


async def eventually(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        server.group(GROUP, "Berlin Founders")
        for uid, name in ((ANN, "Ann <Dev>"), (BOB, "Bob"), (ADMIN, "Ada Admin")):
            server.user(uid, name, username=name.split()[0].lower())
        server.set_admins(GROUP, ADMIN)
        yield server


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    store = Store(tmp_path / "c.db")
    core = Core(Config(database=tmp_path / "c.db"), store, [*default_features(), probe])
    yield core
    await core.close()


def unpaced() -> ChatRateLimiter:
    return ChatRateLimiter(per_second=1000, group_per_minute=1000, private_per_second=1000)


def make_adapter(core: Core, fake: FakeBotAPI, **kwargs: object) -> TelegramAdapter:
    options: dict = {"rate_limiter": unpaced(), "poll_timeout": 5, "send_backoff": 0.05}
    options.update(kwargs)
    return TelegramAdapter(
        core, fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, **options
    )


@pytest.fixture
async def bot(core: Core, fake: FakeBotAPI) -> AsyncIterator[TelegramAdapter]:
    adapter = make_adapter(core, fake)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def say(fake: FakeBotAPI, chat: dict, user: int, text: str, *, replies: int = 1) -> list[str]:
    """Send a message and wait for `replies` new messages from the bot (anywhere)."""
    before = len(fake.sent())
    fake.message(chat, fake.user(user), text)
    await fake.wait_for(lambda: len(fake.sent()) >= before + replies, what=f"reply to {text!r}")
    return [str(c.params.get("text", c.params.get("caption", ""))) for c in fake.sent()[before:]]


def activity(core: Core, kind: str) -> list[dict]:
    return core.store.rows(
        "SELECT i.user, a.kind, a.text FROM activity a JOIN identities i ON i.member = a.member "
        "WHERE a.kind = ?",
        (ACTIVITY_KINDS[kind],),
    )


# -- the fake Bot API itself, driven by a raw PTB Application ------------------------------


async def test_fake_serves_raw_ptb_with_offsets_and_decoding(fake: FakeBotAPI) -> None:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    seen: list[int] = []

    async def on_update(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app.add_handler(TypeHandler(Update, on_update))
    await app.initialize()
    assert app.bot.username == fake.username
    assert app.updater is not None
    await app.updater.start_polling(timeout=300)  # a long poll stays parked for minutes
    await app.start()
    group = fake.chats[GROUP]
    fake.message(group, fake.user(ANN), "first")
    fake.message(group, fake.user(ANN), "second")
    await eventually(lambda: len(seen) == 2)
    sent = await app.bot.send_message(GROUP, "42")
    await app.bot.send_photo(GROUP, PNG, caption="7", filename="c.png")
    # The parked 300 s long poll is cut short, not waited out (the bound only fails a hang).
    await asyncio.wait_for(app.updater.stop(), 60)
    await app.stop()
    await app.shutdown()

    assert seen == [1, 2]
    assert sent.text == "42"
    assert fake.calls_to("sendMessage")[0].params == {"chat_id": GROUP, "text": "42"}
    photo = fake.calls_to("sendPhoto")[0]
    assert photo.files["photo"] == ("c.png", PNG)
    assert photo.params["caption"] == "7"
    assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    last = fake.calls_to("getUpdates")[-1]
    assert last.params["timeout"] == 0
    assert last.params["offset"] == 3
    assert fake.updates == []  # updates below the confirmed offset are dropped


async def test_fake_answers_unknown_methods_and_injected_errors(fake: FakeBotAPI) -> None:
    from telegram import Bot
    from telegram.error import BadRequest, RetryAfter, TelegramError

    async with Bot(fake.token, base_url=fake.base_url) as bot:
        with pytest.raises(TelegramError, match="getCommunityPulse' not found"):
            await bot.do_api_request("getCommunityPulse", {"chat_id": GROUP})
        fake.fail("sendMessage", 400)
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(GROUP, "x")
        fake.fail("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(GROUP, "x")
        assert caught.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
        assert (await bot.send_message(GROUP, "ok")).text == "ok"
    assert [c.status for c in fake.calls if c.method != "getMe"] == [404, 400, 429, 200]
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}{fake.token}/getCommunityPulse") as response,
    ):
        body = await response.json()
    assert response.status == 404
    assert body["ok"] is False
    assert "not implemented by the fake" in body["description"]


# -- start, commands, shutdown -------------------------------------------------------------


async def test_start_publishes_commands_per_scope(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    scopes = {
        c.params["scope"]["type"]: c.params["commands"] for c in fake.calls_to("setMyCommands")
    }
    assert set(scopes) == {"all_group_chats", "all_chat_administrators", "all_private_chats"}
    group = {c["command"] for c in scopes["all_group_chats"]}
    admins = {c["command"] for c in scopes["all_chat_administrators"]}
    assert "echo" in group
    assert "announce" not in group
    assert "announce" in admins
    menus = {
        scope: {c["command"]: c["description"] for c in commands}
        for scope, commands in scopes.items()
    }
    assert menus["all_group_chats"]["poll"] == "Polls in this group. (show)"
    assert menus["all_chat_administrators"]["poll"] == "Polls in this group. (show, close)"
    assert all(c["description"] for cmds in scopes.values() for c in cmds)
    await fake.wait_for(lambda: any(c.method == "getUpdates" for c in fake.calls))
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    assert {"chat_member", "message_reaction", "callback_query"} <= set(
        polls[0].params["allowed_updates"]
    )
    assert bot.username == fake.username


async def test_every_core_command_answers_in_group_and_in_private(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    group, private = fake.chats[GROUP], fake.private(ADMIN)
    fake.message(group, fake.user(ADMIN), "hello all")  # known to the community first
    for command in core.registry:
        for chat in (group, private):
            texts = await say(fake, chat, ADMIN, f"/{command.name}")
            assert texts, command.name
            assert not any("something went wrong" in t for t in texts), (command.name, texts)


async def test_command_addressed_to_us_runs_and_to_another_bot_is_ignored(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    group = fake.chats[GROUP]
    fake.message(group, fake.user(ANN), "/echo@other_bot hi there")
    texts = await say(fake, group, ANN, f"/echo@{fake.username} hi there")
    assert texts == ["<b>Echo &lt;of&gt; you</b>\nhi there"]
    await fake.wait_consumed()
    assert len(fake.sent()) == 1  # the other bot's command got no answer


async def test_admin_only_command_refused_then_accepted(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    group = fake.chats[GROUP]
    refused = await say(fake, group, BOB, "/announce Demo day moved")
    assert "admins only" in refused[0]
    assert fake.sent()[-1].params["chat_id"] == BOB  # told privately, not in the group
    accepted = await say(fake, group, ADMIN, "/announce Demo day moved")
    assert accepted == ["Announcement: Demo day moved"]
    assert fake.sent()[-1].params["chat_id"] == GROUP
    await say(fake, group, ADMIN, "/announce again")
    assert len(fake.calls_to("getChatAdministrators")) == 1  # cached


async def test_user_text_is_escaped_for_html(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    texts = await say(fake, fake.chats[GROUP], ANN, "/echo <b>not bold</b> & _not italic_")
    call = fake.sent()[-1]
    assert call.params["parse_mode"] == "HTML"
    assert texts[0].endswith("&lt;b&gt;not bold&lt;/b&gt; &amp; _not italic_")
    assert html.unescape(texts[0].split("\n", 1)[1]) == "<b>not bold</b> & _not italic_"


async def test_wrong_arguments_get_the_usage_and_the_bot_keeps_running(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    texts = await say(fake, fake.chats[GROUP], ANN, "/echo")
    assert "Missing text" in texts[0]
    assert "Usage: /echo &lt;text&gt;" in texts[0]
    assert await say(fake, fake.chats[GROUP], ANN, "/echo still here")


async def test_button_round_trip(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    group = fake.chats[GROUP]
    await say(fake, group, ANN, "/vote")
    buttons = fake.buttons(GROUP)
    assert [label for label, _ in buttons] == ["Yes", "No", "Long"]
    datas = [data for _, data in buttons]
    assert all(len(d.encode()) <= 64 for d in datas)  # PTB's ids, not our callbacks
    assert "vote:yes" not in datas

    before = len(fake.sent())
    fake.press_label(group, fake.user(BOB), "Yes", to=GROUP)
    await fake.wait_for(lambda: len(fake.sent()) > before)
    assert fake.texts(GROUP)[-1] == "Bob voted yes"
    await fake.wait_calls("answerCallbackQuery")

    fake.press_label(group, fake.user(BOB), "Long", to=GROUP)  # 85 bytes, restored by PTB
    await fake.wait_for(lambda: fake.texts(GROUP)[-1] == "Bob voted " + "x" * 10)

    fake.press_label(group, fake.user(BOB), "No", to=GROUP)  # a private answer: an alert
    answers = await fake.wait_calls("answerCallbackQuery", 3)
    assert answers[-1].params["text"] == "Noted, you are not coming."
    assert answers[-1].params["show_alert"] is True


async def test_expired_buttons_are_answered(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    group = fake.chats[GROUP]
    fake.message(group, fake.user(ANN), "hi")
    fake.press(group, fake.user(ANN), "~999")
    fake.press(group, fake.user(ANN), "gone:1")
    answers = await fake.wait_calls("answerCallbackQuery", 2)
    expired = "That button has expired. Ask again for a new one."
    assert [a.params.get("text") for a in answers] == [expired] * 2


async def test_private_reply_falls_back_to_a_start_link(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    group = fake.chats[GROUP]
    fake.never_started.add(ANN)
    note = (await say(fake, group, ANN, "/secret"))[0]
    refused = [c for c in fake.calls if c.status == 403]
    assert refused
    assert refused[0].params["chat_id"] == ANN
    assert fake.sent()[-1].params["chat_id"] == GROUP
    link = f"https://t.me/{fake.username}?start="
    assert link in note
    assert f'<a href="tg://user?id={ANN}">Ann &lt;Dev&gt;</a>' in note  # the adapter's mention
    assert "42" not in note
    token = note.split(link, 1)[1].split()[0]

    fake.never_started.discard(ANN)  # the member opens the link and presses Start
    texts = await say(fake, fake.private(ANN), ANN, f"/start {token}")
    assert texts == ["Your private numbers: 42"]
    assert fake.sent()[-1].params["chat_id"] == ANN


async def test_photo_upload(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    await say(fake, fake.chats[GROUP], ANN, "/chart")
    [photo] = fake.calls_to("sendPhoto")
    assert photo.files["photo"] == ("chart.png", PNG)
    assert photo.params["caption"] == "Weekly activity"
    assert photo.params["chat_id"] == GROUP


async def test_export_arrives_privately_as_a_document(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.message(fake.chats[GROUP], fake.user(ANN), "Anyone raising a seed round?")
    captions = await say(fake, fake.chats[GROUP], ANN, "/export")
    [document] = fake.calls_to("sendDocument")
    assert document.params["chat_id"] == ANN
    name, data = document.files["document"]
    assert name == "convene-export.json"
    assert "Anyone raising a seed round?" in data.decode()
    assert captions == ["Here is everything Convene stores about you in Berlin Founders."]


async def test_long_text_is_split_at_4096(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    await say(fake, fake.chats[GROUP], ANN, "/long", replies=3)
    await fake.wait_for(lambda: "line 00199" in fake.texts(GROUP)[-1])
    texts = fake.texts(GROUP)
    assert len(texts) >= 3
    assert all(len(t) <= 4096 for t in texts)
    lines = "\n".join(texts).split("\n")
    assert [ln.split()[1] for ln in lines] == [f"{i:05d}" for i in range(200)]


async def test_flood_429_is_retried_after_retry_after(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.fail("sendMessage", 429, retry_after=1)
    texts = await say(fake, fake.chats[GROUP], ANN, "/echo after the flood")
    assert texts[0].endswith("after the flood")
    tries = [c for c in fake.calls if c.method == "sendMessage"]
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.95


class RecordingLimiter(ChatRateLimiter):
    """The real limiter, recording the clock reading of every post it lets through."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.released: list[float] = []

    def count(self, chat_id: int) -> None:
        self.released.append(self.clock())
        super().count(chat_id)


async def test_digest_to_many_groups_is_paced_not_dropped(core: Core, fake: FakeBotAPI) -> None:
    limiter = RecordingLimiter(per_second=6)
    adapter = make_adapter(core, fake, rate_limiter=limiter)
    await adapter.start()
    try:
        groups = [-1009000 - i for i in range(12)]
        fake.fail("sendMessage", 429, retry_after=1, when=lambda p: p["chat_id"] == groups[3])
        results = await asyncio.gather(
            *(core.send(Reply("Weekly digest", to=Target("telegram", chat=str(g)))) for g in groups)
        )
    finally:
        await adapter.stop()
    assert all(results)
    assert sorted(c.params["chat_id"] for c in fake.sent()) == sorted(groups)
    # 13 posts (one retried) at 6 a second: never more than 6 in any second, so >= 2 s.
    # Measured where the limiter releases them: the network may bunch them up later.
    times = limiter.released
    assert len(times) == 13
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 6
    assert times[-1] - times[0] >= 2.0


async def test_proactive_dm_to_a_member_who_never_started_returns_false(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.never_started.add(BOB)
    assert not await bot.deliver(Reply("Intro for you", to=Target("telegram", user=str(BOB))))
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [403]
    assert fake.calls[-1].method == "sendMessage"


# -- activity ------------------------------------------------------------------------------


async def test_messages_joins_leaves_and_reactions_are_logged(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    group = fake.chats[GROUP]
    carol = fake.user(504, "Carol")
    fake.message(group, fake.user(ANN), "Anyone raising a seed round?")
    fake.new_members(group, carol)
    fake.chat_member(group, carol, "left", "member")  # the same join, reported twice
    fake.reaction(group, fake.user(BOB), 1001)
    fake.chat_member(group, fake.user(BOB), "member", "left")
    fake.message(group, fake.user(BOB), "", command=False)
    fake.message(group, {"id": 777, "is_bot": True, "first_name": "Combot"}, "beep")
    await fake.wait_consumed()

    def logged() -> bool:
        core.store.flush()
        return len(activity(core, "leave")) == 1 and len(activity(core, "message")) == 2

    await eventually(logged)
    assert [r["user"] for r in activity(core, "join")] == ["504"]
    assert [r["user"] for r in activity(core, "reaction")] == [str(BOB)]
    assert [r["user"] for r in activity(core, "leave")] == [str(BOB)]
    texts = sorted((r["user"], r["text"]) for r in activity(core, "message"))
    assert texts == [(str(ANN), "Anyone raising a seed round?"), (str(BOB), None)]
    assert fake.sent() == []  # activity is silent


async def test_clean_shutdown_confirms_the_offset(core: Core, fake: FakeBotAPI) -> None:
    adapter = make_adapter(core, fake, poll_timeout=300)
    await adapter.start()
    group = fake.chats[GROUP]
    for i in range(3):
        fake.message(group, fake.user(ANN), f"message {i}")

    def handled() -> bool:
        core.store.flush()
        return len(activity(core, "message")) == 3

    await eventually(handled)
    await asyncio.wait_for(adapter.stop(), 60)  # the parked 300 s poll is not waited out
    last = fake.calls_to("getUpdates")[-1]
    assert last.params["timeout"] == 0
    assert last.params["offset"] == 4
    assert fake.confirmed_offset == 4
    await adapter.stop()  # a second stop is harmless


async def test_group_upgrade_keeps_its_community(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    old = {"id": -4444, "type": "group", "title": "Small"}
    fake.message(old, fake.user(ANN), "hi")
    await eventually(lambda: core.store.space_community("telegram", "-4444") is not None)
    community = core.store.space_community("telegram", "-4444")
    fake.service(old, fake.user(ANN), migrate_to_chat_id=-1004444)
    await eventually(lambda: core.store.space_community("telegram", "-1004444") == community)
    assert core.store.space_community("telegram", "-4444") is None


# -- setup problems ------------------------------------------------------------------------


async def test_invalid_token_is_one_clear_line(core: Core, fake: FakeBotAPI) -> None:
    adapter = TelegramAdapter(core, "999:wrong-token", base_url=fake.base_url)
    with pytest.raises(ConfigError) as caught:
        await adapter.start()
    message = str(caught.value)
    assert "rejected the bot token in TELEGRAM_TOKEN" in message
    assert "wrong-token" not in message
    assert "\n" not in message
    with pytest.raises(ConfigError, match="does not hold a Telegram bot token"):
        await TelegramAdapter(core, "not a token").start()


async def test_privacy_mode_is_explained_to_admins_once(core: Core) -> None:
    async with FakeBotAPI(privacy_mode=True) as fake:
        group = fake.group(GROUP)
        other = fake.group(-1005555, "Angels")
        fake.bot_admin_in.add(other["id"])  # an admin bot sees everything: nothing to say
        adapter = make_adapter(core, fake)
        await adapter.start()
        try:
            notes = await say(fake, group, ANN, "/echo@convene_test_bot hi", replies=2)
            fake.message(group, fake.user(BOB), "/echo again")
            fake.message(other, fake.user(BOB), "/echo there")
            await fake.wait_for(lambda: len(fake.sent()) >= 4)
            await fake.wait_consumed()
        finally:
            await adapter.stop()
    warnings = [t for t in fake.texts() if "privacy mode" in t]
    assert len(warnings) == 1
    assert "/setprivacy" in warnings[0]
    assert any("privacy mode" in t for t in notes)
    assert all(
        c.params["chat_id"] != other["id"] for c in fake.sent() if "privacy" in c.params["text"]
    )


async def test_admin_check_in_private_uses_the_community_groups(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.message(fake.chats[GROUP], fake.user(ADMIN), "morning")
    fake.message(fake.chats[GROUP], fake.user(BOB), "morning")
    assert await say(fake, fake.private(ADMIN), ADMIN, "/announce from my DM") == [
        "Announcement: from my DM"
    ]
    refused = await say(fake, fake.private(BOB), BOB, "/announce from my DM")
    assert "admins only" in refused[0]


async def test_anonymous_admin_posting_as_the_group_is_an_admin(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    group = fake.chats[GROUP]
    before = len(fake.sent())
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group"}  # GroupAnonymousBot
    fake.message(group, anonymous, "/announce from the admins", sender_chat=group)
    await fake.wait_for(lambda: len(fake.sent()) > before)
    assert fake.texts(GROUP)[-1] == "Announcement: from the admins"


async def test_replies_stay_in_the_forum_topic(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    before = len(fake.sent())
    fake.message(fake.chats[GROUP], fake.user(ANN), "/echo in topic", thread=77)
    await fake.wait_for(lambda: len(fake.sent()) > before)
    assert fake.sent()[-1].params["message_thread_id"] == 77


async def test_plain_start_in_private_gets_a_welcome(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.message(fake.chats[GROUP], fake.user(ANN), "hello")
    texts = await say(fake, fake.private(ANN), ANN, "/start")
    assert texts
    assert "/help" in texts[0]
    assert fake.sent()[-1].params["chat_id"] == ANN


# -- faults: 5xx, dropped connections, 429s, refusals, migrations -------------------------


async def test_5xx_and_a_dropped_connection_are_retried_and_the_reply_arrives(
    bot: TelegramAdapter, fake: FakeBotAPI
) -> None:
    fake.fail("sendMessage", 500)
    fake.fail("sendMessage", 502)
    fake.fail("sendMessage", DROP)
    texts = await say(fake, fake.chats[GROUP], ANN, "/echo through the storm")
    assert texts == ["<b>Echo &lt;of&gt; you</b>\nthrough the storm"]
    tries = [c.status for c in fake.calls if c.method == "sendMessage"]
    assert tries == [500, 502, DROP, 200]


async def test_four_429s_in_a_row_are_waited_out(bot: TelegramAdapter, fake: FakeBotAPI) -> None:
    fake.fail("sendMessage", 429, retry_after=1, times=4)
    texts = await say(fake, fake.chats[GROUP], ANN, "/echo patience")
    assert texts[0].endswith("patience")
    tries = [c for c in fake.calls if c.method == "sendMessage"]
    assert [c.status for c in tries] == [429, 429, 429, 429, 200]
    assert all(b.at - a.at >= 0.95 for a, b in itertools.pairwise(tries))


async def test_a_reply_that_still_fails_is_logged_with_its_target(
    core: Core, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = ChatRateLimiter(
        per_second=1000, group_per_minute=1000, private_per_second=1000, retry_deadline=2
    )
    adapter = make_adapter(core, fake, send_attempts=2, rate_limiter=limiter)
    await adapter.start()
    caplog.set_level(logging.INFO, logger="convene.telegram")
    try:
        digest = Reply(
            "Top topics: hiring", title="Weekly digest", to=Target("telegram", chat=str(GROUP))
        )
        fake.fail("sendMessage", 500, times=2)
        assert not await adapter.deliver(digest)
        fake.fail("sendMessage", 429, retry_after=30)  # past the 2 s deadline: no wait
        assert not await adapter.deliver(digest)
        assert await adapter.deliver(digest)
    finally:
        await adapter.stop()
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [500, 500, 429, 200]
    lost = [r.getMessage() for r in caplog.records if "was not delivered" in r.getMessage()]
    assert len(lost) == 2
    assert all(str(GROUP) in line and "'Weekly digest'" in line for line in lost)
    assert not any("hiring" in r.getMessage() for r in caplog.records)  # no member text


async def test_deliver_never_raises(core: Core, fake: FakeBotAPI) -> None:
    adapter = make_adapter(core, fake)
    to_group = Target("telegram", chat=str(GROUP))
    assert not await adapter.deliver(Reply("not connected yet", to=to_group))
    await adapter.start()
    try:
        fake.fail("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
        assert not await adapter.deliver(Reply("kicked", to=to_group))
        fake.fail("sendMessage", 400, "Bad Request: chat not found")
        assert not await adapter.deliver(Reply("gone", to=to_group))
        fake.fail("sendMessage", 409, "Conflict: something odd")
        assert not await adapter.deliver(Reply("odd", to=to_group))
        assert not await adapter.deliver(Reply("who?", to=Target("telegram", user="@someone")))
        assert not await adapter.deliver(Reply("nowhere"))
        assert await adapter.deliver(Reply("still fine", to=to_group))
    finally:
        await adapter.stop()
    assert fake.texts(GROUP) == ["still fine"]


async def test_a_group_upgraded_on_send_moves_every_target_and_the_digest_follows(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    old_id, new_id = -4444, -1004444
    old = {"id": old_id, "type": "group", "title": "Small"}
    fake.chats[old_id] = old
    fake.set_admins(old_id, ADMIN)
    fake.message(old, fake.user(ANN), "hello before the upgrade")
    await eventually(lambda: core.store.space_community("telegram", str(old_id)) is not None)
    community = core.store.space_community("telegram", str(old_id))
    fake.migrated[old_id] = new_id  # Telegram upgraded it; we only learn on the next send

    texts = await say(fake, old, ADMIN, "/digest schedule 0 * * * *")
    assert "Digest schedule" in texts[0]
    assert fake.sent()[-1].params["chat_id"] == new_id
    assert [c.status for c in fake.calls if c.params.get("chat_id") == old_id][-1] == 400
    assert core.store.space_community("telegram", str(new_id)) == community
    row = load_schedule(core.store, community, "digest")  # type: ignore[arg-type]
    assert row is not None
    assert row.target == Target("telegram", chat=str(new_id))

    scheduler = core.feature(Scheduler)
    scheduler.register_kind("digest", run_scheduled)
    before = len(fake.sent(new_id))
    ran = await scheduler.run_due(core.clock() + timedelta(hours=2), kind="digest")
    assert len(ran) == 1
    assert len(fake.sent(new_id)) > before  # the digest went to the supergroup
    assert scheduler.runs(community, "digest")[-1]["status"] == "sent"  # type: ignore[arg-type]
    assert not fake.sent(old_id)


async def test_a_group_upgrade_message_moves_the_schedule(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    old = {"id": -5555, "type": "group", "title": "Small"}
    fake.chats[-5555] = old
    fake.set_admins(-5555, ADMIN)
    await say(fake, old, ADMIN, "/digest schedule weekly mon 09:00")
    community = core.store.space_community("telegram", "-5555")
    fake.service(old, fake.user(ADMIN), migrate_to_chat_id=-1005555)
    await eventually(lambda: core.store.space_community("telegram", "-1005555") == community)
    row = load_schedule(core.store, community, "digest")  # type: ignore[arg-type]
    assert row is not None
    assert row.target.chat == "-1005555"


# -- members who never pressed Start: held deliveries -------------------------------------


@pytest.fixture
async def matching_core(tmp_path: Path) -> AsyncIterator[Core]:
    store = Store(tmp_path / "m.db")
    embedder = FakeEmbedder(cache=store)
    core = Core(Config(database=tmp_path / "m.db"), store, default_features(), embedder=embedder)
    yield core
    await core.close()


async def set_profile(fake: FakeBotAPI, user: int, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        texts = await say(fake, fake.chats[GROUP], user, f"/profile set {name} {value}")
        assert f"Saved your {name}" in texts[0], texts


async def test_an_intro_request_waits_for_a_member_who_never_pressed_start(
    matching_core: Core, fake: FakeBotAPI
) -> None:
    core = matching_core
    adapter = make_adapter(core, fake)
    await adapter.start()
    try:
        await set_profile(fake, ANN, FOUNDER)
        await set_profile(fake, BOB, INVESTOR)
        fake.never_started.add(BOB)  # as if Bob had never opened a chat with the bot

        await say(fake, fake.chats[GROUP], ANN, "/match")
        before = len(fake.sent(ANN))
        fake.press_label(fake.private(ANN), fake.user(ANN), "Request intro: Bob", to=ANN)
        await fake.wait_for(lambda: len(fake.sent(ANN)) > before, what="the note to Ann")
        refused = [c for c in fake.calls if c.status == 403]
        assert [c.params["chat_id"] for c in refused] == [BOB]
        note = fake.texts(ANN)[-1]
        assert f'<a href="tg://user?id={BOB}">Bob</a> has not started a chat with me yet' in note
        assert f"https://t.me/{fake.username}?start=" in note
        answers = await fake.wait_calls("answerCallbackQuery")
        assert answers[-1].params["text"].startswith("Asked Bob for an intro")
        [request] = core.store.rows("SELECT status FROM intro_requests")
        assert request["status"] == "pending"  # the request stays valid

        fake.never_started.discard(BOB)  # Bob opens the link and presses Start
        texts = await say(fake, fake.private(BOB), BOB, "/start hello")
        assert texts[0].startswith("<b>Intro request</b>")
        assert "Ann &lt;Dev&gt; would like an introduction to you." in texts[0]
        await eventually(lambda: not core.store.rows("SELECT * FROM held_deliveries"))

        before = len(fake.sent(ANN))
        fake.press_label(fake.private(BOB), fake.user(BOB), "Accept", to=BOB)
        await fake.wait_for(lambda: len(fake.sent(ANN)) > before, what="Ann's introduction")
    finally:
        await adapter.stop()
    assert "Bob accepted your intro request" in fake.texts(ANN)[-1]
    assert f'<a href="tg://user?id={BOB}">Bob</a> on Telegram' in fake.texts(ANN)[-1]
    assert f'<a href="tg://user?id={ANN}">Ann &lt;Dev&gt;</a> on Telegram' in fake.texts(BOB)[-1]
    [request] = core.store.rows("SELECT status FROM intro_requests")
    assert request["status"] == "accepted"


async def test_a_round_pairing_waits_and_the_admin_who_ran_it_is_told(
    matching_core: Core, fake: FakeBotAPI
) -> None:
    core = matching_core
    adapter = make_adapter(core, fake)
    await adapter.start()
    try:
        for user, fields in ((ANN, FOUNDER), (BOB, INVESTOR)):
            await set_profile(fake, user, fields)
            await say(fake, fake.chats[GROUP], user, "/rounds join")
        fake.never_started.add(BOB)
        fake.message(fake.chats[GROUP], fake.user(ADMIN), "/rounds now")

        def notes() -> list[str]:
            return [t for t in fake.texts(ADMIN) if "has not started a chat" in t]

        await fake.wait_for(lambda: bool(notes()), what="the note to the admin")
        [note] = notes()
        assert f'<a href="tg://user?id={BOB}">Bob</a> has not started a chat with me yet' in note
        assert f"https://t.me/{fake.username}?start=" in note
        await fake.wait_for(lambda: any("Intro round:" in t for t in fake.texts(ADMIN)))
        assert any("Your intro round match" in t for t in fake.texts(ANN))

        fake.never_started.discard(BOB)
        before = len(fake.sent(BOB))
        fake.message(fake.private(BOB), fake.user(BOB), "/start")
        await fake.wait_for(lambda: len(fake.sent(BOB)) > before, what="Bob's pairing")
    finally:
        await adapter.stop()
    pairing = fake.texts(BOB)[-1]
    assert pairing.startswith("<b>Your intro round match</b>")
    assert f'<a href="tg://user?id={ANN}">Ann &lt;Dev&gt;</a> on Telegram' in pairing


async def test_a_proactive_message_is_held_until_start_or_expiry(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    fake.message(fake.chats[GROUP], fake.user(BOB), "hi all")
    fake.never_started.add(BOB)
    reminder = Reply("Demo night starts in an hour", title="Event reminder")
    assert not await bot.deliver(reminder.with_target(Target("telegram", user=str(BOB))))
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [403]

    fake.never_started.discard(BOB)
    texts = await say(fake, fake.private(BOB), BOB, "/start")
    assert texts == ["<b>Event reminder</b>\nDemo night starts in an hour"]
    texts = await say(fake, fake.private(BOB), BOB, "/start")  # handed over once
    assert "/help" in texts[0]


# -- free text and restarts ----------------------------------------------------------------


async def test_free_text_reaches_the_store_unchanged(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    headline = 'We\'re hiring "top" engineers \\ now'
    texts = await say(fake, fake.chats[GROUP], ANN, f"/profile set headline {headline}")
    assert "Saved your headline" in texts[0], texts
    [row] = core.store.rows("SELECT headline FROM profiles")
    assert row["headline"] == headline


async def test_buttons_still_work_after_a_restart(core: Core, fake: FakeBotAPI) -> None:
    first = make_adapter(core, fake)
    await first.start()
    await say(fake, fake.chats[GROUP], ANN, "/vote")
    await first.stop()

    second = make_adapter(core, fake)  # the same database, so the same button keys
    await second.start()
    try:
        before = len(fake.sent())
        fake.press_label(fake.chats[GROUP], fake.user(BOB), "Long", to=GROUP)
        await fake.wait_for(lambda: len(fake.sent()) > before)
    finally:
        await second.stop()
    assert fake.texts(GROUP)[-1] == "Bob voted " + "x" * 10


async def test_buttons_sent_by_an_older_convene_still_work(core: Core, fake: FakeBotAPI) -> None:
    """Before button keys lived in the store, PTB kept their map in a file beside it."""
    old = Path(core.store.path).with_name(Path(core.store.path).name + ".tg-buttons")
    persistence = PicklePersistence(old, store_data=PersistenceInput(False, False, False, True))
    persistence.set_bot(ExtBot(fake.token))
    keyboard, button = "a1" * 16, "b2" * 16  # PTB's two uuids, as the button carried them
    await persistence.update_callback_data(([(keyboard, time.time(), {button: "vote:yes"})], {}))
    await persistence.flush()
    adapter = make_adapter(core, fake)
    await adapter.start()
    try:
        before = len(fake.sent())
        fake.press(fake.chats[GROUP], fake.user(BOB), keyboard + button)
        await fake.wait_for(lambda: len(fake.sent()) > before)
    finally:
        await adapter.stop()
    assert fake.texts(GROUP)[-1] == "Bob voted yes"
    assert not old.exists()  # moved once; the store has it now


# -- rendering and pacing, without the network ---------------------------------------------


def test_chunks_fit_after_escaping_and_lose_nothing() -> None:
    text = "<&>" * 3000  # escaping makes it 5x longer
    chunks = html_chunks(Reply(text))
    assert len(chunks) > 2
    assert all(len(c) <= 4096 for c in chunks)
    assert "".join(html.unescape(c) for c in chunks) == text


def test_title_and_fields_render_as_html_lines() -> None:
    reply = Reply("Body", title="Top <3", fields=(("Stage", "seed & pre-seed"),))
    assert html_chunks(reply) == ["<b>Top &lt;3</b>\nBody\n<b>Stage</b>: seed &amp; pre-seed"]


def test_rate_limiter_keeps_private_group_and_overall_limits() -> None:
    now = [0.0]
    limiter = ChatRateLimiter(per_second=25, group_per_minute=20, clock=lambda: now[0])
    for _ in range(20):
        assert limiter.delay(-100) == 0
        limiter.count(-100)
    assert limiter.delay(-100) == pytest.approx(60.0)
    assert limiter.delay(-200) == 0  # another group is not held up
    limiter.count(ANN)
    assert limiter.delay(ANN) == pytest.approx(1.0)  # one a second into a private chat
    assert limiter.delay(BOB) == 0
    for _ in range(4):
        limiter.count(-300)
    assert limiter.delay(-400) == pytest.approx(1.0)  # 25 a second overall
    now[0] = 1.0
    limiter.hold(-200, 5)
    assert limiter.delay(-200) == pytest.approx(5.0)


# -- free text and mentions (typed commands, issue 9) ------------------------------------------


async def test_free_text_with_a_path_reaches_the_store_unchanged(
    core: Core, fake: FakeBotAPI, bot: TelegramAdapter
) -> None:
    from bot.features.profiles.store import load_profile

    text = 'We\'re hiring: intros to "top" VCs, path C:\\new\\deal'
    group = fake.chats[GROUP]
    await say(fake, group, ANN, f"/profile set headline {text}")
    community = core.store.space_community("telegram", str(GROUP))
    member = core.store.scalar("SELECT member FROM identities WHERE user = ?", (str(ANN),))
    profile = load_profile(core.store, community, member)
    assert profile is not None
    assert profile.headline == text


def test_a_mention_renders_as_a_telegram_link() -> None:
    from bot.replies import Mention

    reply = Reply(
        f"Meet {Mention('telegram', '501', 'Ann <Dev>')} and {Mention('discord', '9', 'Dee')}"
    )
    assert html_chunks(reply) == ['Meet <a href="tg://user?id=501">Ann &lt;Dev&gt;</a> and Dee']
