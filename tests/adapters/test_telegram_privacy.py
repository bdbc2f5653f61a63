"""Two Telegram groups, two communities, one shared member: every button and DM acts in the
community it belongs to, through the real python-telegram-bot and the loopback Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.telegram.adapter import TelegramAdapter
from bot.config import CommunityConfig, Config
from bot.core import Core
from bot.privacy_audit import audit
from bot.storage.store import Store
from tests.adapters import test_telegram_adapter as base
from tests.adapters.test_telegram_adapter import ADMIN, ANN, BOB, GROUP, make_adapter, say
from tests.fakes.telegram_server import FakeBotAPI

fake = base.fake  # the adapter tests' loopback Bot API, reused

LISBON = -1005678


@pytest.fixture
async def core(tmp_path: Path, fake: FakeBotAPI) -> AsyncIterator[Core]:
    fake.group(LISBON, "Lisbon Builders")
    berlin = CommunityConfig("Berlin Founders", "berlin", telegram_chats=(str(GROUP),))
    lisbon = CommunityConfig("Lisbon Builders", "lisbon", telegram_chats=(str(LISBON),))
    config = Config(database=tmp_path / "c.db", communities=(berlin, lisbon))
    core = Core(config, Store(config.database))
    yield core
    await core.close()


@pytest.fixture
async def bot(core: Core, fake: FakeBotAPI) -> AsyncIterator[TelegramAdapter]:
    adapter = make_adapter(core, fake)
    await adapter.start()
    yield adapter
    await adapter.stop()


def keyboard(fake: FakeBotAPI, chat_id: int) -> dict[str, str]:
    """label → callback data (PTB's ids) of the last keyboard sent to `chat_id`."""
    return dict(fake.buttons(chat_id))


def member_in(core: Core, user: int, community: str) -> int:
    return int(
        core.store.scalar(
            "SELECT i.member FROM identities i JOIN communities c ON c.id = i.community "
            "WHERE i.user = ? AND c.key = ?",
            (str(user), community),
        )
    )


async def test_forget_started_in_the_second_group_is_confirmed_by_dm(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core, tmp_path: Path
) -> None:
    berlin, lisbon = fake.chats[GROUP], fake.chats[LISBON]
    fake.message(lisbon, fake.user(ANN), "Lisbon plans of Ann, batch nine")
    fake.message(lisbon, fake.user(BOB), "bob in lisbon")
    fake.message(berlin, fake.user(ANN), "ann talks in berlin")
    await say(fake, berlin, ANN, "/stats")  # Berlin is where Ann spoke last
    ann_lisbon = member_in(core, ANN, "lisbon")

    [confirm] = await say(fake, lisbon, ANN, "/forget")
    assert "in Lisbon Builders" in confirm
    assert fake.sent()[-1].params["chat_id"] == ANN  # no ephemeral replies: by DM
    yes = keyboard(fake, ANN)["Yes, delete everything"]

    fake.press(fake.private(ANN), fake.user(ANN), yes)  # pressed in the private chat
    answers = await fake.wait_calls("answerCallbackQuery")
    assert answers[-1].params["text"] == "Done: everything about you in Lisbon Builders is deleted."
    texts = [r["text"] for r in core.store.rows("SELECT text FROM activity ORDER BY id")]
    assert "Lisbon plans of Ann, batch nine" not in texts
    assert "ann talks in berlin" in texts
    assert "bob in lisbon" in texts
    report = audit(tmp_path / "c.db", str(ann_lisbon), also=["Lisbon plans of Ann, batch nine"])
    assert report.summary == "0 rows, 0 file hits", report.rows + report.files


async def test_a_dm_command_asks_which_group_and_names_it(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    fake.message(fake.chats[LISBON], fake.user(ANN), "hello lisbon")
    await say(fake, fake.chats[GROUP], ANN, "/privacy tracking off")
    [ask] = await say(fake, fake.private(ANN), ANN, "/export")
    assert "Which community is /export for?" in ask
    choices = keyboard(fake, ANN)
    assert set(choices) == {"Berlin Founders", "Lisbon Builders"}

    before = len(fake.calls_to("sendDocument"))
    fake.press(fake.private(ANN), fake.user(ANN), choices["Lisbon Builders"])
    await fake.wait_for(lambda: len(fake.calls_to("sendDocument")) > before)
    document = fake.calls_to("sendDocument")[-1]
    assert document.params["chat_id"] == ANN
    assert "everything Convene stores about you in Lisbon Builders" in document.params["caption"]
    assert "hello lisbon" in document.files["document"][1].decode()
    # the choice is remembered, and every DM answer names the community
    [shown] = await say(fake, fake.private(ANN), ANN, "/privacy tracking")
    assert "tracking is on in Lisbon Builders" in shown
    [profile] = await say(fake, fake.private(ANN), ANN, "/profile")
    assert "Lisbon Builders · /use switches community" in profile


async def test_a_button_from_one_group_is_refused_in_the_other(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core
) -> None:
    fake.message(fake.chats[LISBON], fake.user(ADMIN), "admin in lisbon")
    await say(fake, fake.chats[LISBON], ANN, "/forget")
    yes = keyboard(fake, ANN)["Yes, delete everything"]
    fake.press(fake.chats[GROUP], fake.user(ANN), yes)  # pressed in Berlin's group
    answers = await fake.wait_calls("answerCallbackQuery")
    assert answers[-1].params["text"] == "That button belongs to another community's chat."
    assert core.store.scalar("SELECT count(*) FROM members") == 2


async def test_an_admin_erases_a_member_on_request_confirming_by_dm(
    bot: TelegramAdapter, fake: FakeBotAPI, core: Core, tmp_path: Path
) -> None:
    berlin = fake.chats[GROUP]
    fake.message(berlin, fake.user(ANN), "Ann asked to be erased, message one")
    fake.message(berlin, fake.user(BOB), "bob stays")
    await say(fake, berlin, ADMIN, "/stats")
    ann = member_in(core, ANN, "berlin")
    refused = await say(fake, berlin, BOB, "/forget @ann")
    assert "Only admins" in refused[0]
    [confirm] = await say(fake, berlin, ADMIN, "/forget @ann")
    assert "everything Convene stores about Ann" in confirm
    assert fake.sent()[-1].params["chat_id"] == ADMIN  # the confirmation is private
    fake.press_label(fake.private(ADMIN), fake.user(ADMIN), "Yes, erase", to=ADMIN)
    answers = await fake.wait_calls("answerCallbackQuery")
    assert "in Berlin Founders is deleted. This was logged." in answers[-1].params["text"]
    report = audit(tmp_path / "c.db", str(ann), also=["Ann asked to be erased, message one"])
    assert report.summary == "0 rows, 0 file hits", report.rows + report.files
    assert core.store.scalar("SELECT count(*) FROM erasure_log WHERE on_request = 1") == 1
