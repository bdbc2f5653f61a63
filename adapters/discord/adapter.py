"""The Discord adapter: discord.py's `Client.start()` on the shared loop.

Callbacks translate (a slash command into a typed `CommandCall`, a message, join, leave,
reaction or button press into a `ChatEvent`), call the core, and render the replies
(embeds, ephemeral answers, DMs with a fallback, persistent buttons with
``convene:<callback>`` ids, matched by discord.py's `DynamicItem` so they survive
restarts). Slash commands are synced per guild on join (and at start only when the command
set changed), globally by ``sync_global``. With shards (`adapters.discord.shards`) each
process sees, and syncs, only the guilds on its own shards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord.commands import build
from adapters.discord.history import LIVE_SINCE, HistoryReader
from adapters.discord.interactions import Replier, current
from adapters.discord.render import Outgoing, render
from adapters.discord.shards import ShardCount, describe, make_client
from adapters.discord.translate import (
    PLATFORM,
    interaction_event,
    member_event,
    message_event,
    reaction_event,
)
from bot.chat_event import ChatEvent
from bot.commands import Command, CommandCall
from bot.config import Config, ConfigError
from bot.core import Core
from bot.delivery import (
    DM_CLOSED_NOTE,
    DM_SENT,
    NOT_REACHED,
    Fallback,
    after_dm,
    here,
    plan,
    route,
    tell_admins_once,
)
from bot.features.backfill import HistoryReport
from bot.replies import Capabilities, Reply, Target

log = logging.getLogger("convene.discord")
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # Convene has no voice

INTENT_NOTICE = "discord.intent_notice"
COMMANDS_HASH = "discord.commands_hash"
TOKEN_HELP = (
    "Fix: copy the token from https://discord.com/developers/applications → your app → "
    "Bot → Reset Token, and export it in the variable named by [discord] token_env."
)


class DiscordAdapter:
    """Runs one discord.py `Client` for the core.

    Args:
        core: the shared core.
        token: the bot token.
        privileged_intents: ask for Message Content and Server Members; if Discord refuses,
            the adapter runs without them and tells each server's owner once.
        defer_after: seconds to wait for the core before deferring an interaction.
        join_backfill_days: history read when the bot joins a server (0: none).
        history_limit: at most this many messages read per channel.
        guild_ready_timeout: passed to discord.py (how long to wait for guilds at start).
        shard_count: None for one plain connection; a number of shards (or "auto": as many
            as Discord recommends) to run discord.py's `AutoShardedClient`.
        shard_ids: the shards of `shard_count` this process runs (None: all of them).
    """

    name = PLATFORM
    capabilities = Capabilities(
        buttons=True,
        ephemeral=True,
        images=True,
        files=True,
        edits=True,
        max_text=2000,
        markdown="discord",
    )

    def __init__(
        self,
        core: Core,
        token: str,
        *,
        privileged_intents: bool = True,
        defer_after: float = 2.0,
        join_backfill_days: int = 30,
        history_limit: int = 20_000,
        guild_ready_timeout: float = 2.0,
        shard_count: ShardCount = None,
        shard_ids: tuple[int, ...] | None = None,
    ) -> None:
        self.core = core
        self.token = (token or "").strip()
        self.privileged_intents = privileged_intents
        self.defer_after = defer_after
        self.join_backfill_days = join_backfill_days
        self.guild_ready_timeout = guild_ready_timeout
        self.shard_count = shard_count
        self.shard_ids = shard_ids
        self.client: discord.Client | None = None
        self.tree: app_commands.CommandTree[discord.Client] | None = None
        self.history = HistoryReader(self, limit=history_limit)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self._registry_hash = ""
        core.attach(self, ready=False)  # ready once the gateway is (see on_ready)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in and connect; returns once the guilds are loaded.

        Raises:
            ConfigError: the token is missing or rejected, or Discord cannot be reached
                (one line saying what to fix).
        """
        if not self.token:
            raise ConfigError(f"The Discord bot token is empty. {TOKEN_HELP}")
        privileged = self.privileged_intents
        while True:
            try:
                await self._connect(privileged)
                return
            except discord.PrivilegedIntentsRequired:
                await self._close_client()
                if not privileged:
                    raise ConfigError("Discord refused the gateway intents.") from None
                log.warning(
                    "Discord refused the privileged intents (Message Content, Server Members); "
                    "running without them: message text, joins and leaves are not visible. "
                    "Enable them at https://discord.com/developers/applications → Bot → "
                    "Privileged Gateway Intents."
                )
                privileged = False

    async def _connect(self, privileged: bool) -> None:
        self._ready.clear()
        self.client, self.tree = self._make_client(privileged)
        self._task = asyncio.create_task(self.client.start(self.token), name="convene-discord")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            self._task.add_done_callback(_connection_ended)
            return
        ready.cancel()
        exc = self._task.exception()
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            raise exc
        await self._close_client()
        raise start_error(exc)

    async def stop(self) -> None:
        """Disconnect; background work (syncs, history reads) is cancelled."""
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close_client()

    async def _close_client(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._task = None

    def _make_client(
        self, privileged: bool
    ) -> tuple[discord.Client, app_commands.CommandTree[discord.Client]]:
        intents = discord.Intents.default()
        intents.members = intents.message_content = privileged
        client = make_client(
            self._press,
            self.shard_count,
            self.shard_ids,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=self.guild_ready_timeout,
        )
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        for command in self.core.registry:
            tree.add_command(build(command, self._slash, self._complete_member))
        tree.on_error = self._tree_error  # type: ignore[method-assign]
        self._registry_hash = hashlib.sha256(
            json.dumps([c.to_dict(tree) for c in tree.get_commands()], sort_keys=True).encode()
        ).hexdigest()
        for handler in (
            self.on_ready,
            self.on_shard_ready,
            self.on_guild_join,
            self.on_guild_remove,
            self.on_message,
            self.on_member_join,
            self.on_member_remove,
            self.on_raw_reaction_add,
        ):
            client.event(handler)
        return client, tree

    @property
    def sees_text(self) -> bool:
        return bool(self.client and self.client.intents.message_content)

    # -- commands sync ---------------------------------------------------------------------

    async def sync_guild(self, guild: discord.abc.Snowflake) -> int:
        """Publish every command to one server (visible at once); returns how many."""
        assert self.tree is not None
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        community = self.community_of(guild)  # type: ignore[arg-type]
        self.core.store.set_setting(community, f"{COMMANDS_HASH}:{guild.id}", self._registry_hash)
        log.info("synced %d slash commands to guild %s", len(synced), guild.id)
        return len(synced)

    async def sync_global(self) -> int:
        """Publish the commands to every server at once (``convene discord sync``).

        Works without the gateway: logs in over REST if the adapter is not running.
        Discord may take a while to show global commands; servers that were synced one by
        one then show each command twice until their guild commands are cleared.
        """
        if self.client is not None and self.client.is_ready():
            assert self.tree is not None
            return len(await self.tree.sync())
        client, tree = self._make_client(privileged=False)
        try:
            await client.login(self.token)
            return len(await tree.sync())
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise start_error(exc) from None
        finally:
            await client.close()

    # -- gateway events --------------------------------------------------------------------

    async def on_ready(self) -> None:
        assert self.client is not None
        for guild in self.client.guilds:
            self._spawn(self._guild_up(guild, joined=False))
        log.info(
            "connected to Discord as %s in %d guild(s) (%s)",
            self.client.user,
            len(self.client.guilds),
            describe(self.client),
        )
        self._ready.set()
        self.core.mark_ready(self.name)

    async def on_shard_ready(self, shard_id: int) -> None:
        """One shard of a sharded client has its guilds (discord.py fires it per shard)."""
        count = self.client.shard_count if self.client else self.shard_count
        log.info("Discord shard %d of %s ready", shard_id, count)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined guild %s (%s)", guild.name, guild.id)
        self._spawn(self._guild_up(guild, joined=True))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        log.info(
            "removed from guild %s (%s); its data stays until an admin deletes it",
            guild.name,
            guild.id,
        )

    async def _guild_up(self, guild: discord.Guild, *, joined: bool) -> None:
        community = self.community_of(guild)
        store = self.core.store
        if store.setting(community, LIVE_SINCE) is None:
            store.set_setting(community, LIVE_SINCE, int(datetime.now(UTC).timestamp()))
        synced = store.setting(community, f"{COMMANDS_HASH}:{guild.id}")
        try:
            if joined or synced != self._registry_hash:
                await self.sync_guild(guild)
        except discord.HTTPException as exc:
            log.warning("could not sync slash commands to guild %s: %s", guild.id, exc)
        await self._tell_missing_intents(guild, community)
        if joined and self.join_backfill_days > 0:
            report = await self.history.read(guild, self.join_backfill_days)
            log.info("history of %s: %s", guild.name, report)

    async def on_message(self, message: discord.Message) -> None:
        assert self.client is not None
        await self._dispatch(message_event(self.client, message))

    async def on_member_join(self, member: discord.Member) -> None:
        await self._dispatch(member_event(member, "join"))

    async def on_member_remove(self, member: discord.Member) -> None:
        await self._dispatch(member_event(member, "leave"))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        assert self.client is not None
        await self._dispatch(reaction_event(self.client, payload))

    async def _press(self, interaction: discord.Interaction, callback: str) -> None:
        """A Convene button was pressed (routed here by `ConveneButton`)."""
        event = interaction_event(self.client, interaction, callback, "button")
        await self._answer(interaction, event)

    def community_of(self, guild: discord.Guild) -> int:
        """The guild's community, created and named after the guild on first sight."""
        return self.core.space_community(PLATFORM, str(guild.id), guild.name)

    # -- the core round trip ---------------------------------------------------------------

    async def _dispatch(self, event: ChatEvent | None) -> None:
        """An event that is not an interaction: replies go to the channel or by DM."""
        if event is None:
            return
        for reply in await route(self.core, self, await self.core.handle(event)):
            # No ephemeral answers outside interactions: only-you replies go by DM.
            where = plan(reply, event, self.capabilities, in_place=False)
            await self._send_to(where.target, render(reply))

    async def _slash(
        self, interaction: discord.Interaction, command: Command, call: CommandCall
    ) -> None:
        """A slash command: its typed options go to the core as they are, never as text."""
        event = interaction_event(self.client, interaction, "", "message", call=call)
        await self._answer(interaction, event, slow=command.slow)

    async def _answer(
        self, interaction: discord.Interaction, event: ChatEvent, *, slow: bool = False
    ) -> None:
        """Call the core, deferring first when it is slow or takes over `defer_after`."""
        replier = Replier(interaction)
        token = current.set(replier)
        try:
            task = asyncio.create_task(self.core.handle(event))
        finally:
            current.reset(token)
        if slow:
            await replier.defer()
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done:
            await replier.defer()
        replies = await route(self.core, self, await task)
        for reply in replies:
            await self._answer_one(replier, event, reply)
        await replier.finish()

    async def _answer_one(self, replier: Replier, event: ChatEvent, reply: Reply) -> None:
        """Render one reply to an interaction where `bot.delivery` says it goes."""
        where = plan(reply, event, self.capabilities)
        target, outs, ephemeral = where.target, render(reply), where.ephemeral
        if target.is_direct and target != here(event):
            if await self._send_to(target, outs):
                if target.user == event.user:
                    await replier.send(Outgoing(DM_SENT), ephemeral=True)
                return
            fallback = after_dm(target, event, self.capabilities)
            if fallback is Fallback.TELL_SENDER:
                await replier.send(Outgoing(NOT_REACHED), ephemeral=True)
            if fallback is not Fallback.HERE_PRIVATELY:
                return
            outs = [outs[0].with_note(DM_CLOSED_NOTE), *outs[1:]]
            ephemeral = True
        elif target != here(event):
            await self._send_to(target, outs)
            return
        for i, out in enumerate(outs):
            if not await replier.send(out, ephemeral=ephemeral):
                await self._expired_fallback(event, outs[i:], public=not ephemeral)
                return

    async def _expired_fallback(
        self,
        event: ChatEvent,
        outs: list[Outgoing],
        *,
        public: bool,
    ) -> None:
        """The interaction window passed: post publicly in the channel, privately by DM."""
        if public and not event.is_direct:
            await self._send_to(Target(PLATFORM, chat=event.chat, thread=event.thread), outs)
        else:
            await self._send_to(Target(PLATFORM, user=event.user), outs)

    async def _tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            text = (
                "That command is no longer available here. An admin can refresh the "
                "commands by removing and re-adding the bot, or with `convene discord sync`."
            )
        elif isinstance(error, app_commands.TransformerError):
            text = f"{error.value!r} is not a valid value for that option."
        else:
            log.error("slash command failed", exc_info=error)
            text = "Sorry, something went wrong on our side. Please try again in a moment."
        if not interaction.response.is_done():
            await Replier(interaction).send(Outgoing(text), ephemeral=True)

    async def _complete_member(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Guild members matching what was typed (display name or username)."""
        guild = interaction.guild
        if guild is None:
            return []
        low = current.lower().lstrip("@")
        members = [
            m
            for m in guild.members
            if not m.bot and (low in m.display_name.lower() or low in m.name.lower())
        ]
        if not members and low:
            with contextlib.suppress(asyncio.TimeoutError, discord.HTTPException):
                members = [m for m in await guild.query_members(low, limit=25) if not m.bot]
        members.sort(
            key=lambda m: (not m.display_name.lower().startswith(low), m.display_name.lower())
        )
        return [
            app_commands.Choice(name=f"{m.display_name} (@{m.name})"[:100], value=f"<@{m.id}>")
            for m in members[:25]
        ]

    # -- output ----------------------------------------------------------------------------

    async def deliver(self, reply: Reply) -> bool:
        """Send a reply the core addressed (an intro request, a digest); False if refused."""
        if reply.to is None:
            return False
        return await self._send_to(reply.to, render(reply))

    async def _send_to(self, target: Target, outs: list[Outgoing]) -> bool:
        assert self.client is not None
        try:
            if target.user is not None and target.chat is None:
                channel: Any = await self.client.create_dm(discord.Object(int(target.user)))
            else:
                cid = int(target.thread or target.chat or 0)
                channel = self.client.get_channel(cid) or await self.client.fetch_channel(cid)
            for out in outs:
                await channel.send(**out.kwargs())
        except discord.Forbidden:
            log.info("not allowed to send to %s", target)
            return False
        except (discord.HTTPException, ValueError) as exc:
            log.warning("could not send to %s: %s", target, exc)
            return False
        return True

    async def _tell_missing_intents(self, guild: discord.Guild, community: int) -> None:
        """Tell the server's owner once what Convene cannot see without privileged intents."""
        assert self.client is not None
        missing = [
            n
            for n, on in (
                ("Message Content", self.client.intents.message_content),
                ("Server Members", self.client.intents.members),
            )
            if not on
        ]
        if not missing:
            return
        text = (
            f"Convene runs in {guild.name} without Discord's {' and '.join(missing)} "
            f"intent{'s' if len(missing) > 1 else ''}, so it cannot see "
            + " or ".join(
                {
                    "Message Content": "what messages say (it still counts them)",
                    "Server Members": "joins and leaves",
                }[m]
                for m in missing
            )
            + ". Topics, digests and matching need the text. To turn this on: "
            "https://discord.com/developers/applications → your app → Bot → Privileged "
            "Gateway Intents, then restart Convene."
        )
        targets = [Target(PLATFORM, user=str(guild.owner_id))]
        if guild.system_channel is not None:
            targets.append(Target(PLATFORM, chat=str(guild.system_channel.id)))
        await tell_admins_once(self.core, community, INTENT_NOTICE, text, targets, value=missing)

    async def backfill(self, space: str, days: int) -> HistoryReport:
        """Read a guild's recent history (see `HistoryReader.read`); used by /backfill."""
        guild = self.client.get_guild(int(space)) if self.client and space.isdigit() else None
        if guild is None:
            return HistoryReport(note="I am not in that server.")
        return await self.history.read(guild, days)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background Discord work failed", exc_info=task.exception())


async def sync_global(token: str, config: Config | None = None) -> int:
    """``convene discord sync``: publish every slash command to all servers; exit code 0.

    Only the command registry is needed, so the core runs on an in-memory store.
    """
    from bot.storage.store import Store

    core = Core(config or Config(database=Path(":memory:")), Store(":memory:"))
    try:
        count = await DiscordAdapter(core, token).sync_global()
    finally:
        core.store.close()
    print(
        f"Published {count} slash commands globally (servers and DMs). Discord can take up "
        "to an hour to show them; servers that already got per-server commands list both."
    )
    return 0


def _connection_ended(task: asyncio.Task[None]) -> None:
    """discord.py reconnects by itself; this only reports a connection that gave up."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord connection stopped: %s", task.exception())


def start_error(exc: BaseException | None) -> ConfigError:
    """One line for what stopped Discord from starting, and what to do about it."""
    if isinstance(exc, discord.LoginFailure):
        return ConfigError(f"Discord rejected the bot token (401 Unauthorized). {TOKEN_HELP}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConfigError(f"Cannot reach Discord: {exc}. Check the network and retry.")
    if isinstance(exc, discord.HTTPException):
        return ConfigError(f"Discord refused a request: {exc.status} {exc.text or exc}.")
    return ConfigError(f"Discord stopped during start-up: {exc or 'the gateway closed'}.")
