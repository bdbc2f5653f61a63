"""The Discord adapter end to end: the real discord.py against the loopback fake Discord."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter, app_commands, discord, sync_global
from adapters.discord.render import CONTENT_LIMIT, EMBED_TOTAL, TRIMMED
from bot.commands import Arg, Args, sub
from bot.config import Config, ConfigError
from bot.context import Answer, Context
from bot.core import Core
from bot.feature import Feature
from bot.features import default_features
from bot.features.profiles.store import load_profile
from bot.replies import Attachment, Button, Mention, Reply, Target
from bot.storage.store import ACTIVITY_KINDS, Store
from tests.fakes.discord_server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord, Json

GUILD, CHAN, ORG_ROLE = 810000000000000001, 810000000000000002, 810000000000000003
ALICE, ORG, OWNER = 820000000000000001, 820000000000000002, 820000000000000009
NO_PINGS = {"parse": []}
CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = r"/webhooks/\d+/[^/]+"
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original"

slow_feature = Feature.define("slowpoke")


@slow_feature.command("ponder", "Think for a while (not declared slow).")
async def ponder(ctx: Context, args: Args) -> Answer:
    await asyncio.sleep(0.4)
    return ctx.reply("Pondered.")


@slow_feature.command(
    "echo", "Repeat text.", Arg("times", "int", "how often", default=1), Arg("words", "text")
)
async def echo(ctx: Context, args: Args) -> Answer:
    return ctx.reply(" ".join([args["words"]] * args["times"]))


@slow_feature.command(
    "vault",
    "Admin-only group.",
    sub("open", "Open it.", Arg("why", "text"), admin=True),
    sub("shut", "Shut it.", admin=True),
)
async def vault(ctx: Context, args: Args) -> Answer:
    return ctx.reply(f"{args['action']}: {args.get('why')}")


async def eventually(check: Callable[[], Any], within: float = 5.0) -> Any:
    """Poll until `check()` is truthy (the core logs on another task)."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.02)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.patch(monkeypatch)
        server.add_guild(
            GUILD,
            "Founders Lounge",
            channels=[server.text_channel(CHAN, "general")],
            members=[server.member(ALICE, "alice"), server.member(ORG, "olga", roles=(ORG_ROLE,))],
            admin_role=ORG_ROLE,
            owner_id=OWNER,
        )
        yield server


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    store = Store(tmp_path / "c.db")
    features = [*default_features(), slow_feature]
    c = Core(Config(database=tmp_path / "c.db"), store, features)
    yield c
    await c.close()


Start = Callable[..., Awaitable[DiscordAdapter]]


@pytest.fixture
async def start(fake: FakeDiscord, core: Core) -> AsyncIterator[Start]:
    started: list[DiscordAdapter] = []

    async def run(**kwargs: Any) -> DiscordAdapter:
        options = {"guild_ready_timeout": 0.05, "join_backfill_days": 0, **kwargs}
        adapter = DiscordAdapter(core, "fake-token", **options)
        started.append(adapter)
        await asyncio.wait_for(adapter.start(), 10)
        return adapter

    yield run
    for adapter in started:
        await adapter.stop()


def user(fake: FakeDiscord, uid: int) -> Json:
    return fake.user(uid, {ALICE: "alice", ORG: "olga"}.get(uid, "someone"))


async def slash(
    fake: FakeDiscord,
    name: str,
    uid: int = ALICE,
    admin: bool = False,
    sub: str | None = None,
    **options: Any,
) -> Json:
    """Use a slash command (a group's `sub`command) and return the interaction callback body."""
    kinds = {int: 4, float: 10, str: 3}
    before = len(fake.find("POST", CALLBACK))
    opts = [{"name": k, "type": kinds[type(v)], "value": v} for k, v in options.items()]
    if sub is not None:  # Discord nests a subcommand's options under it (option type 1)
        opts = [{"name": sub, "type": 1, "options": opts}]
    perms = DEFAULT_PERMISSIONS | (MANAGE_GUILD if admin else 0)
    await fake.dispatch(
        "INTERACTION_CREATE",
        fake.interaction(
            name, opts, user=user(fake, uid), guild=GUILD, channel=CHAN, permissions=perms
        ),
    )
    calls = await fake.wait_for("POST", CALLBACK, before + 1)
    return calls[before].json


def commands_by_name(fake: FakeDiscord) -> dict[str, Json]:
    return {c["name"]: c for c in fake.guild_commands[GUILD]}


# -- the fake itself, with a plain discord.py client ---------------------------------------


async def test_fake_discord_serves_a_plain_client(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    seen: list[str] = []
    ready = asyncio.Event()

    @tree.command(name="ping", description="pong")
    async def ping(interaction: discord.Interaction, n: int) -> None:
        await interaction.response.send_message(f"pong {n}", ephemeral=True)

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    async def on_ready() -> None:
        await tree.sync()
        ready.set()

    client.event(on_message)
    client.event(on_ready)
    task = asyncio.create_task(client.start("tok"))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    try:
        assert waiter.done(), task.exception() if task.done() else "no READY"
        guild = client.get_guild(GUILD)
        assert guild is not None
        assert guild.name == "Founders Lounge"
        assert fake.global_commands[0]["name"] == "ping"
        alice = user(fake, ALICE)
        await fake.dispatch("MESSAGE_CREATE", fake.message(CHAN, alice, "hi", guild=GUILD))
        await fake.dispatch(
            "INTERACTION_CREATE",
            fake.interaction(
                "ping",
                [{"name": "n", "type": 4, "value": 3}],
                user=alice,
                guild=GUILD,
                channel=CHAN,
            ),
        )
        body = (await fake.wait_for("POST", CALLBACK))[0].json
        assert body["data"]["content"] == "pong 3"
        assert seen == [""]  # no message content intent: Discord blanks the text
        channel = client.get_channel(CHAN)
        assert isinstance(channel, discord.TextChannel)
        fake.fail(
            "POST",
            r"/channels/\d+/messages",
            429,
            {"message": "slow down", "retry_after": 0.05, "global": False},
        )
        await channel.send("x")
        assert len(fake.find("POST", r"/channels/\d+/messages")) == 2  # retried after 429
        fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "no", "code": 50007})
        with pytest.raises(discord.Forbidden):
            await channel.send("y")
        with pytest.raises(discord.NotFound):  # unknown routes: 404, never a retried 5xx
            await client.http.request(discord.http.Route("GET", "/nothing/here"))
    finally:
        await client.close()
        await task


# -- commands ------------------------------------------------------------------------------


async def test_every_core_command_is_synced_as_a_slash_command(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    await fake.wait_for("PUT", rf"/applications/\d+/guilds/{GUILD}/commands")
    synced = commands_by_name(fake)
    assert sorted(synced) == sorted(core.registry.commands)
    for name, command in core.registry.commands.items():
        payload = synced[name]
        assert 1 <= len(payload["description"]) <= 100
        permissions = payload["default_member_permissions"]
        assert (int(permissions) if permissions else None) == (
            MANAGE_GUILD if command.admin else None
        ), name
        leaves = [(payload, command)]
        if command.is_group:  # a group's options are its subcommands (option type 1)
            options = payload["options"]
            assert [(o["name"], o["type"]) for o in options] == [
                (s.name, 1) for s in command.subcommands
            ]
            leaves = list(zip(options, command.subcommands, strict=True))
        for option, leaf in leaves:
            required_first = sorted(leaf.args, key=lambda a: not a.required)
            assert [o["name"] for o in option.get("options", [])] == [
                a.name for a in required_first
            ]
    days = synced["leaderboard"]["options"][0]
    assert (days["type"], days["min_value"], days["max_value"]) == (4, 1, 365)
    assert days["required"] is False
    setting = synced["privacy"]["options"][0]
    assert [c["value"] for c in setting["choices"]] == ["tracking", "matching", "named"]
    member = synced["stats"]["options"][0]
    assert (member["type"], member["autocomplete"]) == (3, True)
    words = synced["echo"]["options"]
    assert [(o["name"], o["type"], o["required"]) for o in words] == [
        ("words", 3, True),
        ("times", 4, False),
    ]


async def test_sync_happens_on_join_and_when_commands_change_not_every_start(
    fake: FakeDiscord, start: Start
) -> None:
    first = await start()
    await fake.wait_for("PUT", rf"/applications/\d+/guilds/{GUILD}/commands")
    await eventually(lambda: not first._background)  # the synced hash is stored
    await first.stop()
    await start()
    await asyncio.sleep(0.2)
    assert len(fake.find("PUT", rf"/applications/\d+/guilds/{GUILD}/commands")) == 1
    assert fake.find("PUT", r"/applications/\d+/commands") == []
    other = 810000000000000100
    guild = fake.add_guild(other, "Second Server", channels=[fake.text_channel(other + 1, "x")])
    await fake.dispatch("GUILD_CREATE", fake.joined(guild))
    await fake.wait_for("PUT", rf"/applications/\d+/guilds/{other}/commands")


async def test_sync_global_on_request(fake: FakeDiscord, core: Core) -> None:
    adapter = DiscordAdapter(core, "fake-token")
    count = await adapter.sync_global()
    assert count == len(core.registry.commands)
    assert {c["name"] for c in fake.global_commands} == set(core.registry.commands)


async def test_help_is_ephemeral_embed_without_pings(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "help")
    assert body["type"] == 4
    assert body["data"]["flags"] & 64
    assert body["data"]["allowed_mentions"] == NO_PINGS
    embed = body["data"]["embeds"][0]
    assert embed["title"] == "Convene commands"
    assert "/leaderboard" in embed["description"]


async def test_command_with_text_arg_round_trips(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "echo", words="it's *big* news", times=2)
    assert body["data"]["content"] == r"it's \*big\* news it's \*big\* news"
    assert not body["data"].get("flags")


async def test_bad_value_gets_the_usage_line(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "leaderboard", days=0)
    assert body["data"]["flags"] & 64
    assert "days must be at least 1" in body["data"]["content"]
    assert "Usage: /leaderboard" in body["data"]["content"]


async def test_member_autocomplete(fake: FakeDiscord, start: Start) -> None:
    await start()
    payload = fake.interaction(
        "stats",
        [{"name": "member", "type": 3, "value": "ol"}],
        user=user(fake, ALICE),
        guild=GUILD,
        channel=CHAN,
        kind=4,
        focused="member",
    )
    await fake.dispatch("INTERACTION_CREATE", payload)
    body = (await fake.wait_for("POST", CALLBACK))[0].json
    assert body["type"] == 8
    assert body["data"]["choices"] == [{"name": "olga (@olga)", "value": f"<@{ORG}>"}]


async def test_everyone_in_user_text_pings_nobody(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "stats", member="@everyone and @here")
    content = body["data"]["content"]
    assert "No member called" in content
    assert "@everyone" not in content
    assert "@here" not in content
    assert body["data"]["allowed_mentions"] == NO_PINGS


# -- deferral, admin checks, history -------------------------------------------------------


async def test_slow_answer_is_deferred_then_edited(fake: FakeDiscord, start: Start) -> None:
    await start(defer_after=0.05)
    body = await slash(fake, "ponder")
    assert body["type"] == 5  # deferred: "Convene is thinking…"
    edit = (await fake.wait_for("PATCH", ORIGINAL))[0]
    assert edit.json["content"] == "Pondered."
    assert edit.json["allowed_mentions"] == NO_PINGS
    assert not edit.authorized  # interaction webhooks carry no bot token


async def test_admin_only_command_refused_to_a_member(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "backfill", uid=ALICE, days=7)
    assert body["type"] == 5  # /backfill is declared slow, so it is deferred first
    follow = (await fake.wait_for("POST", FOLLOWUP))[0].json
    assert "for the community's admins only" in follow["content"]
    assert follow["flags"] & 64
    assert fake.find("DELETE", ORIGINAL)  # the public placeholder is removed first


async def test_backfill_reads_history_once_with_progress(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    now = time.time()
    alice, org = user(fake, ALICE), user(fake, ORG)
    fake.history[CHAN] = [
        fake.message(CHAN, org, "too old", guild=GUILD, at=now - 20 * 86400),
        fake.message(CHAN, alice, "we raised a pre-seed round!", guild=GUILD, at=now - 3 * 86400),
        fake.message(CHAN, fake.user(99, "carl", bot=True), "bot", guild=GUILD, at=now - 2 * 86400),
        fake.message(CHAN, org, "congrats", guild=GUILD, at=now - 86400),
        fake.message(CHAN, alice, "", guild=GUILD, at=now - 86000, kind=7),  # a join
    ]
    await start()
    await eventually(lambda: core.store.space_community("discord", str(GUILD)))
    body = await slash(fake, "backfill", uid=ORG, admin=True, days=7)
    assert body["type"] == 5
    follow = (await fake.wait_for("POST", FOLLOWUP))[0].json
    assert follow["flags"] & 64
    assert "3 new records" in follow["embeds"][0]["description"]
    progress = fake.find("PATCH", ORIGINAL)
    assert progress
    assert "#general: 4 messages" in progress[0].json["content"]
    kinds = core.store.rows("SELECT kind, text FROM activity ORDER BY at")
    assert [(r["kind"], r["text"]) for r in kinds] == [
        (ACTIVITY_KINDS["message"], "we raised a pre-seed round!"),
        (ACTIVITY_KINDS["message"], "congrats"),
        (ACTIVITY_KINDS["join"], None),
    ]
    await slash(fake, "backfill", uid=ORG, admin=True, days=7)
    again = (await fake.wait_for("POST", FOLLOWUP, 2))[1].json
    assert "0 new records, 3 already known" in again["embeds"][0]["description"]
    assert core.store.scalar("SELECT count(*) FROM activity") == 3


async def test_expired_interaction_answers_in_the_channel(fake: FakeDiscord, start: Start) -> None:
    await start()
    fake.fail("POST", CALLBACK, 404, {"message": "Unknown interaction", "code": 10062})
    await slash(fake, "leaderboard")
    sent = (await fake.wait_for("POST", rf"/channels/{CHAN}/messages"))[0].json
    assert sent["content"] == "No messages in the last 7 days yet."
    assert sent["allowed_mentions"] == NO_PINGS


# -- DMs and buttons -----------------------------------------------------------------------


async def test_dm_refused_falls_back_to_an_ephemeral_note(fake: FakeDiscord, start: Start) -> None:
    await start()
    fake.fail(
        "POST",
        r"/channels/\d+/messages",
        403,
        {"message": "Cannot send messages to this user", "code": 50007},
    )
    body = await slash(fake, "export")
    dm = fake.find("POST", r"/users/@me/channels")
    assert dm
    assert str(dm[0].json["recipient_id"]) == str(ALICE)
    assert body["data"]["flags"] & 64
    assert body["data"]["content"].startswith("I could not message you directly")
    calls = fake.find("POST", CALLBACK)
    assert calls[-1].files
    assert calls[-1].files[0][1].startswith(b"{")


async def test_dm_delivered_gets_a_short_ephemeral_pointer(fake: FakeDiscord, start: Start) -> None:
    await start()
    body = await slash(fake, "export")
    sent = fake.find("POST", r"/channels/\d+/messages")
    assert sent
    assert sent[0].files[0][0] == "convene-export.json"
    assert sent[0].json["allowed_mentions"] == NO_PINGS
    assert body["data"] == {
        "tts": False,
        "content": "I sent you a direct message.",
        "flags": 64,
        "allowed_mentions": NO_PINGS,
    }


async def test_button_still_works_after_a_restart(fake: FakeDiscord, start: Start) -> None:
    first = await start()
    body = await slash(fake, "forget")
    buttons = body["data"]["components"][0]["components"]
    ids = [b["custom_id"] for b in buttons]
    assert ids[0].startswith("convene:forget:yes:")
    assert ids[1].startswith("convene:forget:no:")
    await first.stop()
    await start()
    press = fake.component(ids[1], user=user(fake, ALICE), guild=GUILD, channel=CHAN)
    await fake.dispatch("INTERACTION_CREATE", press)
    answer = (await fake.wait_for("POST", CALLBACK, 2))[1].json
    assert answer["data"]["content"] == "Nothing was deleted."
    assert answer["data"]["flags"] & 64


async def test_foreign_buttons_are_left_alone(fake: FakeDiscord, start: Start) -> None:
    await start()
    press = fake.component("other-bot:thing", user=user(fake, ALICE), guild=GUILD, channel=CHAN)
    await fake.dispatch("INTERACTION_CREATE", press)
    await asyncio.sleep(0.2)
    assert fake.find("POST", CALLBACK) == []


# -- output limits -------------------------------------------------------------------------


async def test_long_text_is_split_and_cards_are_trimmed(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    long_text = " ".join(f"word{i}" for i in range(900))  # ~6,000 characters
    assert await adapter.deliver(Reply(long_text, to=Target("discord", chat=str(CHAN))))
    parts = fake.find("POST", rf"/channels/{CHAN}/messages")
    assert len(parts) == 4
    assert all(len(p.json["content"]) <= CONTENT_LIMIT for p in parts)
    assert " ".join(p.json["content"] for p in parts) == long_text
    assert all(p.json["allowed_mentions"] == NO_PINGS for p in parts)

    many = tuple((f"field {i}", f"value {i}") for i in range(30))
    assert await adapter.deliver(
        Reply("", title="Many", fields=many, to=Target("discord", chat=str(CHAN)))
    )
    embed = fake.find("POST", rf"/channels/{CHAN}/messages")[-1].json["embeds"][0]
    assert len(embed["fields"]) == 25
    assert embed["fields"][-1]["value"] == "and 6 more not shown"

    huge = tuple((f"field {i}", "v" * 1500) for i in range(30))
    card = Reply("d" * 5000, title="T" * 300, fields=huge, to=Target("discord", chat=str(CHAN)))
    assert await adapter.deliver(card)
    embed = fake.find("POST", rf"/channels/{CHAN}/messages")[-1].json["embeds"][0]
    assert len(embed["title"]) <= 256
    assert embed["description"].endswith(TRIMMED)
    assert embed["fields"][0]["value"].endswith(TRIMMED)
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert embed["fields"][-1]["value"].endswith("more not shown")
    total = (
        len(embed["title"])
        + len(embed["description"])
        + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    )
    assert 5000 < total <= EMBED_TOTAL


async def test_deliver_to_a_closed_dm_reports_failure(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    fake.fail("POST", r"/channels/\d+/messages", 403, {"message": "closed", "code": 50007})
    assert not await adapter.deliver(Reply("intro request", to=Target("discord", user=str(ORG))))


async def test_rate_limit_is_waited_out(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    fake.fail(
        "POST",
        rf"/channels/{CHAN}/messages",
        429,
        {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
    )
    assert await adapter.deliver(Reply("digest", to=Target("discord", chat=str(CHAN))))
    assert len(fake.find("POST", rf"/channels/{CHAN}/messages")) == 2


# -- activity ------------------------------------------------------------------------------


async def test_join_message_reaction_and_leave_are_logged(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    newcomer = fake.member(830000000000000001, "nadia")
    await fake.dispatch("GUILD_MEMBER_ADD", {**newcomer, "guild_id": str(GUILD)})
    msg = fake.message(
        CHAN, newcomer["user"], "hi all, building a climate fintech", guild=GUILD, member=newcomer
    )
    await fake.dispatch("MESSAGE_CREATE", msg)
    bot_msg = fake.message(CHAN, fake.user(99, "carl", bot=True), "beep", guild=GUILD)
    await fake.dispatch("MESSAGE_CREATE", bot_msg)
    await fake.dispatch(
        "MESSAGE_REACTION_ADD",
        {
            "user_id": newcomer["user"]["id"],
            "channel_id": str(CHAN),
            "message_id": msg["id"],
            "guild_id": str(GUILD),
            "emoji": {"id": None, "name": "👍"},
            "member": newcomer,
            "type": 0,
            "burst": False,
        },
    )
    await fake.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(GUILD), "user": newcomer["user"]})
    rows = await eventually(
        lambda: len(r := core.store.rows("SELECT kind, text FROM activity ORDER BY id")) >= 4 and r
    )
    assert [(r["kind"], r["text"]) for r in rows] == [
        (ACTIVITY_KINDS["join"], None),
        (ACTIVITY_KINDS["message"], "hi all, building a climate fintech"),
        (ACTIVITY_KINDS["reaction"], None),
        (ACTIVITY_KINDS["leave"], None),
    ]
    community = core.store.space_community("discord", str(GUILD))
    assert core.store.scalar("SELECT name FROM communities WHERE id = ?", (community,)) == (
        "Founders Lounge"
    )


async def test_a_typed_slash_in_a_channel_is_a_message_not_a_command(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    posts_before = len(fake.find("POST", r"/channels/\d+/messages"))
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(CHAN, user(fake, ALICE), "/stats", guild=GUILD)
    )
    rows = await eventually(lambda: core.store.rows("SELECT kind, text FROM activity"))
    assert [(r["kind"], r["text"]) for r in rows] == [(ACTIVITY_KINDS["message"], "/stats")]
    await asyncio.sleep(0.1)
    assert len(fake.find("POST", r"/channels/\d+/messages")) == posts_before  # no answer


async def test_without_privileged_intents_counts_and_tells_the_owner_once(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    fake.privileged_allowed = 0
    first = await start()
    assert len(fake.identifies) == 2  # refused (4014), then again without them
    assert fake.identifies[1]["intents"] & (1 << 15) == 0
    await fake.wait_for("POST", r"/channels/\d+/messages")
    dm = fake.find("POST", r"/users/@me/channels")[0].json
    assert str(dm["recipient_id"]) == str(OWNER)
    notice = fake.find("POST", r"/channels/\d+/messages")[0].json["content"]
    assert "Message Content and Server Members intents" in notice
    msg = fake.message(CHAN, user(fake, ALICE), "secret plans", guild=GUILD)
    await fake.dispatch("MESSAGE_CREATE", msg)
    rows = await eventually(lambda: core.store.rows("SELECT kind, length, text FROM activity"))
    assert [(r["kind"], r["text"]) for r in rows] == [(ACTIVITY_KINDS["message"], None)]
    await first.stop()
    await start()
    await asyncio.sleep(0.2)
    assert len(fake.find("POST", r"/users/@me/channels")) == 1  # told once


# -- bad input -----------------------------------------------------------------------------


async def test_invalid_token_is_one_clear_line(fake: FakeDiscord, core: Core) -> None:
    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    with pytest.raises(ConfigError, match="Discord rejected the bot token") as info:
        await DiscordAdapter(core, "bad").start()
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="token is empty"):
        await DiscordAdapter(core, "  ").start()


async def test_removed_from_a_guild_keeps_data_and_keeps_running(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    await fake.dispatch(
        "MESSAGE_CREATE", fake.message(CHAN, user(fake, ALICE), "hello", guild=GUILD)
    )
    await eventually(lambda: core.store.scalar("SELECT count(*) FROM activity"))
    await fake.dispatch("GUILD_DELETE", {"id": str(GUILD)})
    await asyncio.sleep(0.1)
    assert core.store.scalar("SELECT count(*) FROM activity") == 1
    assert core.store.space_community("discord", str(GUILD)) is not None
    dm = fake.interaction("help", user=user(fake, ALICE), channel=900001)
    await fake.dispatch("INTERACTION_CREATE", dm)
    assert (await fake.wait_for("POST", CALLBACK))[0].json["type"] == 4


async def test_cli_sync_global_publishes_the_registry(
    fake: FakeDiscord, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sync_global("fake-token") == 0
    names = {c["name"] for c in fake.global_commands}
    assert {"help", "stats", "backfill", "leaderboard"} <= names
    assert "Published" in capsys.readouterr().out
    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await sync_global("bad")


async def test_joining_a_server_reads_its_recent_history(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start(join_backfill_days=7)
    other, chan = 810000000000000200, 810000000000000201
    fake.history[chan] = [
        fake.message(chan, user(fake, ALICE), "old news", guild=other, at=time.time() - 3600)
    ]
    guild = fake.add_guild(other, "New Server", channels=[fake.text_channel(chan, "lobby")])
    await fake.dispatch("GUILD_CREATE", fake.joined(guild))
    rows = await eventually(lambda: core.store.rows("SELECT text FROM activity"))
    assert [r["text"] for r in rows] == ["old news"]
    community = core.store.space_community("discord", str(other))
    assert core.store.scalar("SELECT name FROM communities WHERE id = ?", (community,)) == (
        "New Server"
    )


async def test_typed_commands_work_in_a_dm(fake: FakeDiscord, start: Start) -> None:
    await start()
    dm_channel = 900000000000000777
    await fake.dispatch("MESSAGE_CREATE", fake.message(dm_channel, user(fake, ALICE), "/help"))
    sent = (await fake.wait_for("POST", r"/channels/\d+/messages"))[0].json
    assert sent["embeds"][0]["title"] == "Convene commands"


async def test_image_card_and_a_permitted_mention(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    chart = Attachment("chart.png", b"\x89PNG fake", is_image=True, description="activity")
    reply = Reply(
        f"{Mention('discord', str(ALICE), 'alice')}, your chart",
        title="Activity",
        fields=(("Messages", "12"),),
        attachment=chart,
        to=Target("discord", chat=str(CHAN)),
    )
    assert await adapter.deliver(reply)
    call = fake.find("POST", rf"/channels/{CHAN}/messages")[-1]
    assert call.files == [("chart.png", b"\x89PNG fake")]
    assert call.json["embeds"][0]["image"]["url"] == "attachment://chart.png"
    assert call.json["allowed_mentions"] == {"parse": [], "users": [ALICE]}
    assert call.json["embeds"][0]["description"] == f"<@{ALICE}>, your chart"


# -- typed commands and subcommands --------------------------------------------------------

FREE_TEXT = 'We\'re hiring: intros to "top" VCs, path C:\\new\\deal'


async def test_free_text_reaches_the_store_unchanged(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    body = await slash(fake, "profile", sub="set", field="headline", value=FREE_TEXT)
    assert body["data"]["embeds"][0]["description"].startswith("Saved your headline.")
    [(member,)] = core.store.conn.execute("SELECT id FROM members").fetchall()
    community = core.store.space_community("discord", str(GUILD))
    profile = load_profile(core.store, community, member)
    assert profile is not None
    assert profile.headline == FREE_TEXT
    body = await slash(fake, "echo", words=FREE_TEXT, times=1)
    assert body["data"]["content"] == FREE_TEXT.replace("\\", "\\\\")  # markdown-escaped


async def test_groups_are_subcommands_with_their_own_permissions(
    fake: FakeDiscord, start: Start
) -> None:
    await start()
    await fake.wait_for("PUT", rf"/applications/\d+/guilds/{GUILD}/commands")
    synced = commands_by_name(fake)
    event = synced["event"]
    assert event["default_member_permissions"] is None  # members RSVP; admins create
    create = next(o for o in event["options"] if o["name"] == "create")
    assert [(o["name"], o["type"]) for o in create["options"]] == [("when", 3), ("title", 3)]
    assert synced["vault"]["default_member_permissions"] == MANAGE_GUILD
    digest = {o["name"] for o in synced["digest"]["options"]}
    assert digest == {"status", "schedule", "now", "off", "preview"}


async def test_subcommand_runs_with_typed_values_and_admin_check(
    fake: FakeDiscord, core: Core, start: Start
) -> None:
    await start()
    refused = await slash(fake, "event", sub="create", when="2030-01-01T10:00", title="Demo")
    assert "/event create is for the community's admins only." in refused["data"]["content"]
    body = await slash(
        fake, "event", uid=ORG, admin=True, sub="create", when="2026-12-30T18:30",
        title='Founders\' "night"',
    )  # fmt: skip
    assert body["type"] == 4
    titles = [r["title"] for r in core.store.rows("SELECT title FROM events")]
    assert titles == ['Founders\' "night"']
    shut = await slash(fake, "vault", uid=ORG, admin=True, sub="shut")
    assert shut["data"]["content"] == "shut: None"


async def test_a_mention_pings_only_that_member(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    text = f"Meet {Mention('discord', str(ORG), 'olga')} and {Mention('telegram', '5', 'Tom')}"
    assert await adapter.deliver(Reply(text, to=Target("discord", chat=str(CHAN))))
    call = fake.find("POST", rf"/channels/{CHAN}/messages")[-1]
    assert call.json["content"] == f"Meet <@{ORG}> and Tom"
    assert call.json["allowed_mentions"] == {"parse": [], "users": [ORG]}


async def test_a_button_too_long_for_discord_is_left_out(fake: FakeDiscord, start: Start) -> None:
    adapter = await start()
    fits, too_long = "x:" + "a" * 90, "x:" + "a" * 91  # 100 and 101 with "convene:"
    buttons = (Button("fits", fits), Button("too long", too_long))
    assert await adapter.deliver(
        Reply("pick", buttons=buttons, to=Target("discord", chat=str(CHAN)))
    )
    row = fake.find("POST", rf"/channels/{CHAN}/messages")[-1].json["components"][0]
    assert [b["custom_id"] for b in row["components"]] == ["convene:" + fits]
