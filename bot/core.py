"""The core: one instance per process, shared by every adapter on one asyncio loop.

Adapters translate platform objects into `ChatEvent`s, call `Core.handle`, and render the
`Reply`s it returns. Replies addressed to another platform go through `Core.send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot import scope
from bot.button_keys import ButtonKeys
from bot.chat_event import ChatEvent
from bot.claims import Claims
from bot.commands import Command, CommandError, Registry, UsageError
from bot.config import Config
from bot.context import AmbiguousMember, Answer, Context
from bot.dialog import Dialogs
from bot.feature import Feature, FeatureError, check_features
from bot.replies import Capabilities, Reply, Target, Visibility
from bot.storage.store import ACTIVITY_KINDS, MemberRow, Store, StoreBusy
from bot.text import MAX_INPUT, clean

if TYPE_CHECKING:
    from models.embedder import Embedder

log = logging.getLogger("convene")
Clock = Callable[[], datetime]
_MENTION = re.compile(r"^<@!?(\d+)>$")
SETTLE_SECONDS = 5.0  # longest a command waits for the writer before reading what is there
COMMUNITY_FREE = frozenset({"help", "start"})  # commands a stranger may use in a DM
ANY_COMMUNITY = frozenset({"help", "start", "use"})  # DM commands that need no community chosen
F = TypeVar("F", bound=Feature)


class Adapter(Protocol):
    """What the core needs from a platform adapter."""

    name: str
    capabilities: Capabilities

    async def deliver(self, reply: Reply) -> bool:
        """Send a reply addressed with `reply.to`; False if it could not be delivered."""
        ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class Core:
    """Dispatches events to features; owns the store, the clock and the adapters.

    `features` are feature classes (default: `bot.features.default_features()`); the core
    makes one instance of each, so every piece of running state belongs to one feature of
    one core. `feature(Cls)` returns an installed feature, `has(Cls)` asks whether it is.

    Raises:
        FeatureError: a feature's `requires` names a feature that is not in the list.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        features: Iterable[type[Feature]] | None = None,
        *,
        clock: Clock = utcnow,
        embedder: Embedder | None = None,
    ) -> None:
        if features is None:
            from bot.features import default_features

            features = default_features()
        self.config = config
        self.store = store
        self.clock = clock
        self.embedder = embedder
        self.adapters: dict[str, Adapter] = {}
        self.dialogs = Dialogs(store)
        self.button_keys = ButtonKeys(store)  # for platforms whose buttons carry 64 bytes
        self.claims = Claims(store)  # the first of several processes to see a thing
        self.features: list[Feature] = [kind(self) for kind in features]
        check_features(self.features)
        self.registry = Registry()
        store.migrate("scope", scope.MIGRATIONS)
        for feature in self.features:
            store.migrate(feature.name, feature.migrations)
            for command in feature.commands:
                self.registry.add(command)
            self.registry.buttons.update(feature.buttons)
        self._listeners = [f for f in self.features if f.listens]
        self._text_policy: dict[int, bool] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: dict[str, asyncio.Event] = {}
        self._retry: list[ChatEvent] = []  # group events that met a locked database
        self._link_configured_communities()

    # -- lifecycle -------------------------------------------------------------------------

    def attach(self, adapter: Adapter, *, ready: bool = True) -> None:
        """Make an adapter reachable for replies addressed to its platform.

        An adapter that connects later attaches with ``ready=False`` and calls
        `mark_ready` once it can deliver; `wait_ready` lets scheduled posts wait for that.
        """
        self.adapters[adapter.name] = adapter
        if ready:
            self.mark_ready(adapter.name)
        else:
            self._ready_event(adapter.name).clear()

    def mark_ready(self, platform: str) -> None:
        """Called by an adapter once connected: replies to `platform` can be delivered."""
        self._ready_event(platform).set()

    def is_ready(self, platform: str) -> bool:
        """Whether the adapter of `platform` is attached and connected."""
        found = self._ready.get(platform)
        return platform in self.adapters and found is not None and found.is_set()

    async def wait_ready(self, platform: str) -> None:
        """Wait until the adapter of `platform` has connected."""
        await self._ready_event(platform).wait()

    def _ready_event(self, platform: str) -> asyncio.Event:
        found = self._ready.get(platform)
        if found is None:
            found = self._ready[platform] = asyncio.Event()
        return found

    def feature(self, kind: type[F]) -> F:
        """The running instance of a feature class (or of a subclass of it).

        Raises:
            FeatureError: the feature is not installed (`has` asks first).
        """
        for found in self.features:
            if isinstance(found, kind):
                return found
        raise FeatureError(f"The {kind.name!r} feature is not installed in this bot.")

    def has(self, kind: type[Feature]) -> bool:
        """Whether a feature is installed: the one way to ask."""
        return any(isinstance(found, kind) for found in self.features)

    async def start(self) -> None:
        """Start background work: the flush loop, retention, and every feature's `start`."""
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="convene-flush"))
        await asyncio.to_thread(self._expire_quietly)
        for feature in self.features:
            await feature.start()

    async def close(self) -> None:
        """Stop features and background work, then flush and close the store.

        Every step runs even if an earlier one fails; the store's last flush always happens.
        """
        for feature in reversed(self.features):
            try:
                await feature.stop()
            except Exception:
                log.exception("the %s feature failed to stop cleanly", feature.name)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        try:
            if self.embedder is not None:
                self.embedder.close()
        except Exception:
            log.exception("closing the embedder failed")
        finally:
            self.store.close()

    async def _flush_loop(self) -> None:
        """Once a second: hand the buffer to the store's writer; hourly: text retention.

        Never dies: a failure is logged and the next tick tries again.
        """
        ticks = 0
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            try:
                self.store.submit()
                if self._retry:
                    events, self._retry = self._retry, []
                    for event in events:
                        await self.handle(event)
                if ticks % 3600 == 0:
                    await asyncio.to_thread(self._expire_quietly)
            except Exception:
                log.exception("background flush failed; retrying in a second")

    def _expire_quietly(self) -> None:
        try:
            self.expire_text()
        except StoreBusy:
            log.warning("text retention skipped: the database is busy; next hour")

    async def settle(self) -> None:
        """Let the store's writer commit what the hot path buffered, waiting off the loop, so
        the reads that follow (a command's, a scheduled job's) find it. Never waits for
        another process's lock: the reads then see what is committed."""
        if self.store.pending:
            self.store.submit()
            await asyncio.to_thread(self.store.wait_written, SETTLE_SECONDS)

    def expire_text(self) -> None:
        """Delete message text past each community's retention; counts stay."""
        cutoff = self.clock() - timedelta(days=self.config.text_retention_days)
        for community in self.store.community_ids():
            self.store.expire_text(community, int(cutoff.timestamp()))

    # -- communities -----------------------------------------------------------------------

    def _link_configured_communities(self) -> None:
        for c in self.config.communities:
            community = self.store.community(c.key, c.name)
            self.store.set_setting(community, "timezone", c.timezone)
            for guild in c.discord_guilds:
                self.store.link_space("discord", guild, community)
            for chat in c.telegram_chats:
                self.store.link_space("telegram", chat, community)

    def community_for(self, event: ChatEvent, stamped: int | None = None) -> int | None:
        """The community an event acts in; a new group becomes a community of its own.

        A pressed button acts in the community it was made in (`stamped`, see `bot.scope`),
        if the presser belongs to it. Otherwise a direct message acts in the member's only
        community, or the one they chose with /use, else the one they were last active in
        (commands from members of several communities are asked first, in `_handle`).
        """
        if event.is_direct or not event.space:
            found = self.store.communities_of(event.platform, event.user)
            if stamped is not None:
                if stamped not in found:
                    raise CommandError("That button is from a community you are not part of.")
                return stamped
            choice = scope.chosen(self.store, event.platform, event.user)
            if choice in found:
                return choice
            return found[0] if found else None
        community = self.space_community(event.platform, event.space, event.space_title)
        if stamped is not None and stamped != community:
            raise CommandError("That button belongs to another community's chat.")
        return community

    def space_community(self, platform: str, space: str, name: str = "") -> int:
        """The community of a guild or group, created on first sight (named `name`, else
        after its key) with the space linked to it. The one place communities are made."""
        community = self.store.space_community(platform, space)
        if community is None:
            key = f"{platform}:{space}"
            community = self.store.community(key, name or key)
            self.store.link_space(platform, space, community)
        return community

    def chat_moved(self, platform: str, old: str, new: str) -> None:
        """A chat got a new id (a Telegram group upgraded to a supergroup): every stored
        target follows it (the community link, chat history, each feature's targets)."""
        self.store.move_chat(platform, old, new)
        for feature in self.features:
            feature.chat_moved(platform, old, new)
        log.info("%s chat %s is now %s; stored targets moved", platform, old, new)

    def timezone(self, community: int) -> ZoneInfo:
        return ZoneInfo(self.store.setting(community, "timezone", self.config.timezone))

    def stores_text(self, community: int) -> bool:
        found = self._text_policy.get(community)
        if found is None:
            found = bool(
                self.store.setting(community, "store_message_text", self.config.store_message_text)
            )
            self._text_policy[community] = found
        return found

    def is_admin(self, event: ChatEvent) -> bool:
        if event.platform == "console":
            return event.is_admin or event.name in self.config.console_admins
        return event.is_admin

    def find_member(self, community: int, platform: str, token: str) -> list[tuple[int, str]]:
        """Members matching a platform mention (<@123>), a handle (@ana or ana), or a name."""
        token = token.strip()
        mention = _MENTION.match(token)
        if mention:
            row = self.store.conn.execute(
                "SELECT m.id, m.name FROM identities i JOIN members m ON m.id = i.member "
                "WHERE i.community = ? AND i.platform = ? AND i.user = ?",
                (community, platform, mention.group(1)),
            ).fetchone()
            return [(int(row[0]), row[1])] if row else []
        handles = scope.by_handle(self.store, community, token)
        if handles and (token.startswith("@") or len(handles) == 1):
            named = self.store.find_members(community, token)
            exact = [m for m in named if m[1].lower() == token.lstrip("@").lower()]
            if token.startswith("@") or not exact:
                return handles
        return self.store.find_members(community, token)

    def member_label(self, member: int) -> str:
        """A member's name with their handles, telling apart two members of one name."""
        rows = self.store.rows(
            "SELECT m.name, i.platform, i.handle FROM members m "
            "LEFT JOIN identities i ON i.member = m.id WHERE m.id = ? ORDER BY i.platform",
            (member,),
        )
        if not rows:
            return "a former member"
        handles = [f"@{r['handle']} on {r['platform']}" for r in rows if r["handle"]]
        return f"{rows[0]['name']} ({', '.join(handles)})" if handles else rows[0]["name"]

    def dm_target(self, member: int, prefer: str | None = None) -> Target | None:
        """Where to reach a member privately: their identity on `prefer`, else any attached."""
        identities = self.store.identities(member)
        identities.sort(key=lambda pu: (pu[0] != prefer, pu[0] not in self.adapters))
        if not identities:
            return None
        platform, user = identities[0]
        return Target(platform, user=user)

    # -- events ----------------------------------------------------------------------------

    async def handle(self, event: ChatEvent) -> list[Reply]:
        """Record what happened and answer it. Never raises: errors become a short apology."""
        try:
            return await self._handle(event)
        except CommandError as exc:
            # who may run a command comes before how to type its arguments
            refused = self._refusal(exc.command, event) if isinstance(exc, UsageError) else None
            return [Reply(refused or str(exc), visibility=Visibility.ONLY_YOU)]
        except StoreBusy as exc:
            if event.is_command or event.kind == "button" or event.is_direct:
                return [Reply(str(exc), visibility=Visibility.ONLY_YOU)]
            self._retry.append(event)  # group activity is recorded once the lock is free
            return []
        except Exception:
            log.exception("failed to handle %s event from %s", event.kind, event.platform)
            if event.is_command or event.kind == "button":
                return [
                    Reply(
                        "Sorry, something went wrong on our side. It has been logged; "
                        "please try again in a moment.",
                        visibility=Visibility.ONLY_YOU,
                    )
                ]
            return []

    async def _handle(self, event: ChatEvent) -> list[Reply]:
        command = event.is_command
        if event.kind != "button" and not command and not event.is_direct:
            community = self.community_for(event)
            if community is not None:
                self._group_activity(event, community)  # the hot path: nothing to answer
            return []
        stamped = None
        if event.kind == "button":
            stamped, event = scope.unstamp(event)
        community = self.community_for(event, stamped)
        if community is None:
            return await self._stranger(event)
        several: list[int] = []
        if event.is_direct and event.kind in ("message", "button"):
            several = self.store.communities_of(event.platform, event.user)
            if len(several) > 1 and command and stamped is None:
                asked = self._ask_community(event, several)
                if asked:
                    return asked
        replies = scope.stamp_all(await self._answer(event, community, command), community)
        if len(several) > 1:
            replies = scope.name_community(replies, scope.community_name(self.store, community))
        return replies

    def _ask_community(self, event: ChatEvent, communities: list[int]) -> list[Reply]:
        """A DM command from a member of several communities who has not chosen: ask which."""
        if scope.chosen(self.store, event.platform, event.user) in communities:
            return []
        call = event.call or self.registry.parse(event.text)  # an unknown name explains itself
        name = call.name
        if name in ANY_COMMUNITY:
            return []
        scope.keep_pending(self.store, event, call, 0, "", int(self.clock().timestamp()))
        names = ", ".join(scope.community_name(self.store, c) for c in communities)
        return [
            Reply(
                f"You are a member of {names}. Which community is /{name} for? "
                "I will remember it (/use changes it).",
                buttons=scope.choice_buttons(self.store, communities),
            )
        ]

    def _member(self, event: ChatEvent, community: int, at: int) -> MemberRow:
        """The member behind an event, with their platform handle saved when it changed."""
        member = self.store.member(community, event.platform, event.user, event.name, at)
        if event.handle and member.handle != event.handle:  # once per member and session
            scope.save_handle(self.store, community, event)
            member.handle = event.handle
        return member

    def _group_activity(self, event: ChatEvent, community: int) -> None:
        """The hot path: a group message, join, leave or reaction (not a command) costs a few
        dictionary look-ups and one buffered activity row, no I/O unless the buffer is full."""
        at = int(event.at.timestamp())
        found = self._member(event, community, at)
        if not found.tracking:
            return
        member = found.id
        chat = self.store.chat(community, event.platform, event.chat)
        text = event.text
        length = event.length if event.length is not None else len(text)
        keep = event.kind == "message" and text and self.stores_text(community)
        stored = clean(text)[:MAX_INPUT] if keep else None
        self.store.add_activity(
            community, member, chat, at, ACTIVITY_KINDS[event.kind], length, stored
        )
        if stored:
            for feature in self._listeners:
                feature.on_message(community, member, event)

    async def _answer(self, event: ChatEvent, community: int, command: bool) -> list[Reply]:
        """A button, a command or a private message: settle the buffer, then answer it."""
        member = self._member(event, community, int(event.at.timestamp()))
        if event.kind == "button":
            await self.settle()
            return await self._press(event, community, member.id)
        if command:
            await self.settle()
            return await self._run_command(event, community, member.id)
        dialog = self.dialogs.get((event.platform, event.user))
        if dialog is not None and event.kind == "message":
            ctx = Context(self, event, community, member.id)
            try:
                answer = await dialog.answer(ctx, clean(event.text)[:MAX_INPUT])
            finally:  # a failing last step must not leave the dialog in the way
                if dialog.done:
                    self.dialogs.pop((event.platform, event.user), None)
                else:
                    self.dialogs[(event.platform, event.user)] = dialog  # the step, saved
            return as_replies(answer)
        if event.kind == "message":
            return [Reply("I answer commands here: /help lists them.")]
        return []

    async def _run_command(
        self,
        event: ChatEvent,
        community: int,
        member: int,
        picked: tuple[str, int] | None = None,
    ) -> list[Reply]:
        call = event.call or self.registry.parse(event.text)
        command, args = self.registry.bind(call)
        problem = self._refusal(command, event)
        if problem:
            return [Reply(problem, visibility=Visibility.ONLY_YOU)]
        ctx = Context(self, event, community, member, picked=picked)
        try:
            answer = await command.handler(ctx, args)
        except AmbiguousMember as exc:
            now = int(self.clock().timestamp())
            scope.keep_pending(self.store, event, call, community, exc.token, now)
            return [exc.reply()]
        return as_replies(answer, slow=command.slow)

    async def run_pending(
        self, ctx: Context, *, any_community: bool = False, pick: int | None = None
    ) -> list[Reply]:
        """Run the command the presser left waiting for a choice, in `ctx.community`.

        `pick` is the member they chose for an ambiguous member argument.
        """
        e = ctx.event
        now = int(self.clock().timestamp())
        waiting = scope.take_pending(
            self.store, e.platform, e.user, None if any_community else ctx.community, now
        )
        if waiting is None:
            return []
        call, token = waiting
        event = replace(e, kind="message", text="", call=call)
        picked = (token, pick) if pick is not None and token else None
        return await self._run_command(event, ctx.community, ctx.member, picked)

    async def _stranger(self, event: ChatEvent) -> list[Reply]:
        """A private message from someone not seen in any group yet: /help and /start work."""
        if not event.is_direct or event.kind not in ("message", "button"):
            return []
        if event.is_command:
            command, _ = self.registry.bind(event.call or self.registry.parse(event.text))
            if command.qualified in COMMUNITY_FREE:
                return await self._run_command(event, 0, 0)
        return [
            Reply(
                "Hi! I work inside your community's group. Say something there first, "
                "then talk to me here."
            )
        ]

    def _refusal(self, command: Command, event: ChatEvent) -> str | None:
        name = command.qualified
        if command.admin and not self.is_admin(event):
            return f"/{name} is for the community's admins only."
        if command.where == "group" and event.is_direct:
            return f"/{name} works in the community's group, not in a private chat."
        if command.where == "dm" and not event.is_direct:
            return f"/{name} works in a private chat with me; message me directly."
        return None

    async def _press(self, event: ChatEvent, community: int, member: int) -> list[Reply]:
        prefix, _, payload = event.text.partition(":")
        handler = self.registry.buttons.get(prefix)
        if handler is None:
            return [Reply("That button has expired.", visibility=Visibility.ONLY_YOU)]
        ctx = Context(self, event, community, member)
        return as_replies(await handler(ctx, payload))

    # -- output ----------------------------------------------------------------------------

    async def send(self, reply: Reply) -> bool:
        """Deliver a reply addressed with `to` through the adapter of its platform."""
        if reply.to is None:
            raise ValueError("Core.send needs a reply with a target")
        if reply.community is not None and reply.buttons:
            [reply] = scope.stamp_all([reply], reply.community)
        adapter = self.adapters.get(reply.to.platform)
        if adapter is None:
            log.warning("no %s adapter attached; dropped a reply", reply.to.platform)
            return False
        attempts = _attempts.get()
        if attempts is not None:
            attempts.append(reply.to)
        return await adapter.deliver(reply)


_attempts: ContextVar[list[Target] | None] = ContextVar("convene_send_attempts", default=None)


@contextlib.contextmanager
def send_attempts() -> Iterator[list[Target]]:
    """Collect the targets `Core.send` tried to reach inside this block (in this task).

    The scheduler uses it to tell a run that failed before anything went out (safe to
    retry) from one that may have posted something (never retried: at most once).
    """
    attempts: list[Target] = []
    token = _attempts.set(attempts)
    try:
        yield attempts
    finally:
        _attempts.reset(token)


def as_replies(answer: Answer, *, slow: bool = False) -> list[Reply]:
    """Normalize what a handler returned into a list of replies."""
    if answer is None:
        return []
    if isinstance(answer, str):
        answer = Reply(answer)
    replies = [answer] if isinstance(answer, Reply) else list(answer)
    if slow:
        from dataclasses import replace

        replies = [replace(r, slow=True) for r in replies]
    return replies
