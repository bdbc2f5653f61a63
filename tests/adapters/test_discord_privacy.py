"""Two Discord servers, two communities, one shared member: a DM acts in the community the
member chooses and names it, and buttons act only in the community they were made in,
through the real discord.py and the loopback fake Discord."""

from __future__ import annotations

import json
from typing import Any

from adapters.discord.buttons import PREFIX as CUSTOM_ID_PREFIX
from bot.core import Core
from bot.privacy_audit import audit
from tests.adapters import test_discord_adapter as base
from tests.adapters.test_discord_adapter import ALICE, CALLBACK, CHAN, GUILD, Start, eventually
from tests.fakes.discord_server import FakeDiscord, Json

fake, core, start = base.fake, base.core, base.start  # the adapter tests' fixtures, reused
ANGELS, ANGELS_CHAN = 830000000000000001, 830000000000000002
DM_CHANNEL = 900000000000000777


def alice(fake: FakeDiscord) -> Json:
    return fake.user(ALICE, "alice")


def second_server(fake: FakeDiscord) -> None:
    fake.add_guild(
        ANGELS,
        "Berlin Angels",
        channels=[fake.text_channel(ANGELS_CHAN, "general")],
        members=[fake.member(ALICE, "alice")],
    )


async def speak_in_both(fake: FakeDiscord, core: Core) -> None:
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(ANGELS_CHAN, alice(fake), "hi", guild=ANGELS)
    )
    await fake.dispatch("MESSAGE_CREATE", fake.message(CHAN, alice(fake), "hi", guild=GUILD))
    assert await eventually(lambda: core.store.scalar("SELECT count(*) FROM identities") == 2)


def buttons_of(body: Json) -> dict[str, str]:
    rows = body.get("components") or body.get("data", {}).get("components") or []
    return {b["label"]: b["custom_id"] for row in rows for b in row["components"]}


def text_of(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


async def test_a_dm_command_asks_which_server_and_acts_there(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    second_server(fake)
    await start()
    await speak_in_both(fake, core)
    await fake.dispatch("MESSAGE_CREATE", fake.message(DM_CHANNEL, alice(fake), "/privacy"))
    [ask] = await fake.wait_for("POST", r"/channels/\d+/messages")
    assert "Which community is /privacy for?" in ask.json["content"]
    choices = buttons_of(ask.json)
    assert set(choices) == {"Founders Lounge", "Berlin Angels"}
    angels = core.store.space_community("discord", str(ANGELS))
    assert choices["Berlin Angels"] == f"{CUSTOM_ID_PREFIX}use:~c{angels}"

    press = fake.component(choices["Berlin Angels"], user=alice(fake), channel=DM_CHANNEL)
    await fake.dispatch("INTERACTION_CREATE", press)
    [answer] = await fake.wait_for("POST", CALLBACK)
    assert "Your privacy settings in Berlin Angels" in text_of(answer.json)
    await fake.dispatch("MESSAGE_CREATE", fake.message(DM_CHANNEL, alice(fake), "/export"))
    sent = await fake.wait_for("POST", r"/channels/\d+/messages", 2)
    assert "everything Convene stores about you in Berlin Angels" in text_of(sent[1].json)


async def test_forget_in_one_server_acts_only_there_and_refuses_the_other(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    second_server(fake)
    await start()
    await speak_in_both(fake, core)
    angels = core.store.space_community("discord", str(ANGELS))
    in_angels = core.store.scalar(
        "SELECT member FROM identities WHERE community = ? AND user = ?", (angels, str(ALICE))
    )
    slash = fake.interaction("forget", user=alice(fake), guild=ANGELS, channel=ANGELS_CHAN)
    await fake.dispatch("INTERACTION_CREATE", slash)
    [confirm] = await fake.wait_for("POST", CALLBACK)
    assert "in Berlin Angels" in text_of(confirm.json)
    yes = buttons_of(confirm.json)["Yes, delete everything"]
    assert yes.endswith(f"~c{angels}")

    forged = fake.component(yes, user=alice(fake), guild=GUILD, channel=CHAN)
    await fake.dispatch("INTERACTION_CREATE", forged)
    refused = (await fake.wait_for("POST", CALLBACK, 2))[1]
    assert "another community's chat" in text_of(refused.json)
    assert core.store.scalar("SELECT count(*) FROM members") == 2

    press = fake.component(yes, user=alice(fake), guild=ANGELS, channel=ANGELS_CHAN)
    await fake.dispatch("INTERACTION_CREATE", press)
    done = (await fake.wait_for("POST", CALLBACK, 3))[2]
    assert "everything about you in Berlin Angels is deleted" in text_of(done.json)
    assert core.store.scalar("SELECT count(*) FROM members") == 1
    assert audit(core.config.database, str(in_angels)).summary == "0 rows, 0 file hits"
