"""Telegram through python-telegram-bot v22, run inside the shared asyncio loop.

The `Application` is driven by hand (``initialize`` → ``updater.start_polling`` → ``start``,
and the reverse on `stop`), so Discord, Telegram and the scheduler share one process. In
webhook mode there is no updater: uvicorn serves the webhook on the same loop and feeds
PTB's update queue (`adapters.telegram.webhook`), so several processes can share one bot.
PTB's own machinery does the plumbing: one handler class per kind of update, its
rate-limiter hook for flood control (`adapters.telegram.rate_limit`). Buttons carry keys
from the store (`bot.button_keys`), so any process reads a press back. Each callback is
tiny: translate (`adapters.telegram.translate`), call the core, render and send
(`adapters.telegram.send`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from contextvars import ContextVar
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    ChatMember,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    PersistenceInput,
    PicklePersistence,
    filters,
)

from adapters.telegram.rate_limit import ChatRateLimiter
from adapters.telegram.render import MAX_TEXT
from adapters.telegram.send import Outcome, Sender
from adapters.telegram.translate import (
    PLATFORM,
    Commands,
    button_event,
    member_events,
    message_events,
    reaction_events,
    telegram_name,
)
from adapters.telegram.webhook import WebhookServer, WebhookSettings
from bot import outbox
from bot.chat_event import ChatEvent
from bot.commands import Command
from bot.config import ConfigError
from bot.core import Core
from bot.delivery import Fallback, after_dm, already_told, group_note, plan, route, tell_admins_once
from bot.replies import Capabilities, Mention, Reply, Target, Visibility
from bot.storage.store import StoreBusy

log = logging.getLogger("convene.telegram")
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member", "message_reaction"]
START_PAYLOAD = "hello"  # https://t.me/<bot>?start=hello opens the chat; any /start hands over
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# The event being handled in this task: a message the core sends meanwhile through
# `deliver` (a round pairing from /rounds now) was caused by it, and its member is told
# when Telegram holds that message back.
_CAUSE: ContextVar[ChatEvent | None] = ContextVar("telegram_cause", default=None)
PRIVACY_NOTE = (
    "For the admins of this group: Telegram's privacy mode is on for me, so I only see "
    "commands here and cannot count the group's activity. To fix it, either make me an "
    "admin of this group, or in @BotFather send /setprivacy, choose @{bot}, pick Disable, "
    "then remove me from the group and add me again."
)


class TelegramAdapter:
    """A Telegram bot connection that shares the process and the core with other adapters.

    Args:
        core: the shared core.
        token: the bot token from @BotFather.
        token_env: the environment variable the token came from (named in error messages).
        base_url / base_file_url: another Bot API server (tests, or a self-hosted one).
        poll_timeout: the ``getUpdates`` long-poll timeout in seconds.
        admin_ttl: how long a group's admin list is trusted before it is fetched again.
        rate_limiter: flood control (defaults follow Telegram's published limits).
        send_attempts / send_backoff: retries of a 5xx or network error when sending.
        webhook: take updates through a webhook instead of polling (`WebhookSettings`).
        webhook_check: how often (seconds) a webhook process asks Telegram whether its
            webhook is still set, and why Telegram's last delivery failed.
    """

    name = PLATFORM
    capabilities = Capabilities(
        buttons=True,
        ephemeral=False,
        images=True,
        files=True,
        edits=False,
        max_text=MAX_TEXT,
        markdown="html",
    )

    def __init__(
        self,
        core: Core,
        token: str,
        *,
        token_env: str = "TELEGRAM_TOKEN",
        base_url: str | None = None,
        base_file_url: str | None = None,
        poll_timeout: float = 10.0,
        admin_ttl: float = 60.0,
        rate_limiter: ChatRateLimiter | None = None,
        send_attempts: int = 4,
        send_backoff: float = 0.5,
        webhook: WebhookSettings | None = None,
        webhook_check: float = 60.0,
    ) -> None:
        self.core = core
        self.token = token.strip()
        self.token_env = token_env
        self.base_url = base_url
        self.base_file_url = base_file_url
        self.poll_timeout = poll_timeout
        self.admin_ttl = admin_ttl
        self.rate_limiter = rate_limiter or ChatRateLimiter()
        self.send_attempts = send_attempts
        self.send_backoff = send_backoff
        self.webhook = webhook
        self.webhook_check = webhook_check
        self.webhook_server: WebhookServer | None = None
        self._webhook_watch: asyncio.Task[None] | None = None
        self.app: Application | None = None  # type: ignore[type-arg]
        self.sender: Sender | None = None
        self.username = ""
        self.bot_id = 0
        self.privacy_mode = False
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}
        self._privacy_checked: set[str] = set()
        self._command_names = Commands("", {})
        core.attach(self, ready=False)  # ready once polling (see start)

    @property
    def start_link(self) -> str:
        """The link that opens a private chat with the bot (and hands over held messages)."""
        return f"https://t.me/{self.username}?start={START_PAYLOAD}"

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, publish the command list, and start polling (or serve the webhook).

        Raises:
            ConfigError: the token is missing or rejected, or the Bot API cannot be reached.
        """
        if not _TOKEN.match(self.token):
            raise ConfigError(
                f"{self.token_env} does not hold a Telegram bot token (it should look like "
                "123456789:AAE...). Fix: copy the token from @BotFather into it."
            )
        builder = (
            Application.builder()
            .token(self.token)
            .concurrent_updates(True)
            .rate_limiter(self.rate_limiter)
        )
        if self.webhook is not None:
            builder = builder.updater(None)  # updates come in through our web server
        if self.base_url:
            builder = builder.base_url(self.base_url)
            builder = builder.base_file_url(self.base_file_url or self.base_url)
        app = builder.build()
        self._command_names = self._commands("")
        self._add_handlers(app)
        app.add_error_handler(self._on_error)
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()
            raise ConfigError(
                f"Telegram rejected the bot token in {self.token_env} (401 Unauthorized). "
                "Fix: copy the token again from @BotFather (/mybots → API Token)."
            ) from None
        except NetworkError as exc:
            await app.bot.shutdown()
            raise ConfigError(
                f"Cannot reach the Telegram Bot API: {exc.message}. Check the network, then "
                "start again."
            ) from None
        self.app = app
        me = app.bot.bot
        self.username, self.bot_id = me.username or "", me.id
        self.privacy_mode = not me.can_read_all_group_messages
        self._command_names = self._commands(self.username)
        self.sender = Sender(
            app.bot,
            self._moved,
            self.core.button_keys.key,
            attempts=self.send_attempts,
            backoff=self.send_backoff,
        )
        self.core.button_keys.expire()
        await self._adopt_old_buttons()
        await self._publish_commands()
        if self.webhook is not None:
            await app.start()
            await self._start_webhook(app, self.webhook)
            self.core.mark_ready(self.name)
            log.info("Telegram: taking updates for @%s at %s", self.username, self.webhook.url)
            return
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=timedelta(seconds=self.poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._on_poll_error,
        )
        await app.start()
        self.core.mark_ready(self.name)
        log.info("Telegram: polling as @%s", self.username)

    async def _adopt_old_buttons(self) -> None:
        """Buttons sent by an older Convene, whose map PTB kept in a file beside a SQLite
        store (``<db>.tg-buttons``), keep working: the map moves into the store, once."""
        path = Path(self.core.store.path)
        old = path.with_name(path.name + ".tg-buttons") if path.name else None
        if old is None or not old.is_file():
            return
        callback_data = PersistenceInput(False, False, False, True)
        try:
            found = await PicklePersistence(old, store_data=callback_data).get_callback_data()
        except Exception as exc:  # a damaged file costs its buttons, not the start
            log.warning("Telegram: could not read the old buttons file %s: %s", old, exc)
            return
        keyboards = found[0] if found else []
        self.core.button_keys.adopt(
            {
                keyboard + button: callback
                for keyboard, _, buttons in keyboards
                for button, callback in buttons.items()
                if isinstance(callback, str)
            }
        )
        old.rename(old.with_name(old.name + ".moved"))
        log.info("Telegram: moved %d old keyboards' buttons into the store", len(keyboards))

    async def _start_webhook(self, app: Application, settings: WebhookSettings) -> None:  # type: ignore[type-arg]
        """Serve the webhook, then tell Telegram where it is.

        Every process sets the same webhook (url, secret, update kinds): Telegram treats a
        repeated setWebhook as a no-op, so no process has to be first, and none deletes it
        when it stops (the others still take updates).
        """
        server = WebhookServer(app, settings)
        try:
            await server.start()
            self.webhook_server = server
            await self._set_webhook(settings)
        except BaseException:
            await self.stop()
            raise
        self._webhook_watch = asyncio.create_task(self._watch_webhook(settings))

    async def _set_webhook(self, settings: WebhookSettings) -> None:
        assert self.app is not None
        try:
            await self.app.bot.set_webhook(
                settings.url, allowed_updates=ALLOWED_UPDATES, secret_token=settings.secret
            )
        except TelegramError as exc:
            raise ConfigError(
                f"Telegram refused the webhook {settings.url}: {exc.message}. Fix: [telegram] "
                "webhook_url must be a public https:// address on port 443, 80, 88 or 8443."
            ) from None

    async def _watch_webhook(self, settings: WebhookSettings) -> None:
        """Now and then: is our webhook still set, and why did Telegram's last delivery
        fail? A webhook someone replaced or deleted (a polling process with this token) is
        logged as an error and set again, so the mistake shows on both sides."""
        reported = 0
        while True:
            await asyncio.sleep(self.webhook_check)
            assert self.app is not None
            try:
                info = await self.app.bot.get_webhook_info()
                if info.url != settings.url:
                    log.error(
                        "Telegram: the bot's webhook is %r, not %s: another process changed "
                        "it (a process polling with this token deletes it). Setting it "
                        'again; run every process with [telegram] mode = "webhook".',
                        info.url,
                        settings.url,
                    )
                    await self._set_webhook(settings)
                failed = int(info.last_error_date.timestamp()) if info.last_error_date else 0
                if failed > reported:
                    reported = failed
                    log.warning(
                        "Telegram could not deliver to %s: %s (%d updates waiting)",
                        settings.url,
                        info.last_error_message,
                        info.pending_update_count,
                    )
            except (TelegramError, ConfigError) as exc:
                log.warning("Telegram: could not check the webhook: %s", exc)

    async def stop(self) -> None:
        """Stop polling (confirming the last update offset) or serving the webhook (it stays
        set for the other processes), handle what was queued, then close the connection."""
        if self._webhook_watch is not None:
            self._webhook_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_watch
            self._webhook_watch = None
        if self.webhook_server is not None:  # no new updates; the queued ones are handled
            await self.webhook_server.stop()
            self.webhook_server = None
        app = self.app
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # waits for the updates still being handled, saves the buttons
        await app.shutdown()
        self.app = None
        self.sender = None

    def _add_handlers(self, app: Application) -> None:  # type: ignore[type-arg]
        """One PTB handler per kind of update, most specific first (the first match runs)."""
        ours = sorted(set(self._command_names.names) - {"start"})
        app.add_handlers(
            [
                MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migration),
                CommandHandler("start", self._on_start, filters=filters.ChatType.PRIVATE),
                CommandHandler(ours or ["help"], self._on_command),
                MessageHandler(filters.COMMAND, self._on_command),  # typos, other bots
                MessageHandler(filters.UpdateType.MESSAGE, self._on_message),
                CallbackQueryHandler(self._on_button),
                ChatMemberHandler(self._on_member_change, ChatMemberHandler.CHAT_MEMBER),
                ChatMemberHandler(self._on_added_or_removed, ChatMemberHandler.MY_CHAT_MEMBER),
                MessageReactionHandler(
                    self._on_reaction,
                    message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_UPDATED,
                ),
            ]
        )

    async def _publish_commands(self) -> None:
        """setMyCommands from the core registry, per scope: the members' list in groups, the
        admins' list (admin commands, and every subcommand of a group), the private list."""
        group, admin, private = [], [], []
        for command in self.core.registry:
            if command.where in ("any", "group"):
                admin.append(_menu_entry(command, admins=True))
                if not command.admin:
                    group.append(_menu_entry(command, admins=False))
            if command.where in ("any", "dm"):
                private.append(_menu_entry(command, admins=command.admin))
        assert self.app is not None
        for commands, scope in (
            (group, BotCommandScopeAllGroupChats()),
            (admin, BotCommandScopeAllChatAdministrators()),
            (private, BotCommandScopeAllPrivateChats()),
        ):
            try:
                await self.app.bot.set_my_commands(commands[:100], scope=scope)
            except TelegramError as exc:
                log.warning("Telegram: could not publish the command list: %s", exc.message)

    def _commands(self, username: str) -> Commands:
        names = {telegram_name(c.name): c.name for c in self.core.registry}
        return Commands(username, names)

    # -- incoming: one callback per PTB handler --------------------------------------------

    async def _on_command(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A ``/command`` (ours, a typo of ours, or another bot's, which counts as activity)."""
        if update.message is not None:
            for event in message_events(update.message, self._command_names):
                await self._handle(event)

    async def _on_message(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Any other message: activity, or joins and leaves from service messages."""
        if update.message is not None:
            for event in message_events(update.message, self._command_names):
                if event.kind in ("join", "leave") and self._seen_recently(event):
                    continue
                await self._handle(event)

    async def _on_member_change(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.chat_member is not None:
            for event in member_events(update.chat_member):
                if not self._seen_recently(event):
                    await self._handle(event)

    async def _on_reaction(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message_reaction is not None:
            for event in reaction_events(update.message_reaction):
                await self._handle(event)

    async def _on_added_or_removed(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to a group (or its rights changed): check what it can see."""
        if update.my_chat_member is not None:
            await self._check_privacy(str(update.my_chat_member.chat.id))

    async def _on_migration(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A group upgraded to a supergroup gets a new id; every stored target follows it."""
        message = update.message
        if message is None:
            return
        if message.migrate_to_chat_id:
            self._moved(message.chat.id, message.migrate_to_chat_id)
        elif message.migrate_from_chat_id:
            self._moved(message.migrate_from_chat_id, message.chat.id)

    def _moved(self, old: int, new: int) -> None:
        self.core.chat_moved(PLATFORM, str(old), str(new))
        self._admins.pop(old, None)

    async def _on_start(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """``/start`` in the private chat: hand over what was held, else the core's welcome."""
        if update.message is None:
            return
        for event in message_events(update.message, self._command_names):
            payload = event.text.partition(" ")[2].strip()
            if await self._hand_over(event.user) and payload in ("", START_PAYLOAD):
                continue  # they came for what was waiting; a deep link's own code still runs
            if "start" not in self.core.registry.commands:
                event = replace(event, text="/help")
            await self._handle(event)

    async def _on_button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        callback = self.core.button_keys.callback(str(query.data or ""))
        if callback is None:  # expired, or not one of ours (a modified client can send any)
            await self._answer(query.id, "That button has expired. Ask again for a new one.")
            return
        event = button_event(query, callback)
        if event is None:
            await self._answer(query.id, "That button has expired.")
            return
        event = await self._with_admin(event)
        cause = _CAUSE.set(event)
        try:
            replies = await route(self.core, self, await self.core.handle(event))
        finally:
            _CAUSE.reset(cause)
        alert = next(
            (r for r in replies if r.visibility is Visibility.ONLY_YOU and _fits_alert(r)), None
        )
        await self._answer(query.id, alert.text if alert else None)
        await self._render([r for r in replies if r is not alert], event)

    async def _handle(self, event: ChatEvent) -> None:
        """Call the core with one event and render what it answers."""
        if event.is_command:
            event = await self._with_admin(event)
            await self._typing_if_slow(event)
        cause = _CAUSE.set(event)
        try:
            replies = await route(self.core, self, await self.core.handle(event))
        finally:
            _CAUSE.reset(cause)
        await self._render(replies, event)
        if not event.is_direct:
            await self._check_privacy(event.chat)

    async def _answer(self, query_id: str, text: str | None) -> None:
        assert self.app is not None
        try:
            await self.app.bot.answer_callback_query(query_id, text=text, show_alert=bool(text))
        except TelegramError as exc:  # an old query (> 15 min) cannot be answered any more
            log.info("Telegram: could not answer a button press: %s", exc.message)

    def _seen_recently(self, event: ChatEvent) -> bool:
        """Joins arrive twice (a service message and a chat_member update, maybe through two
        processes behind one webhook); the store's claim counts one."""
        key = f"{PLATFORM}:{event.chat}:{event.user}:{event.kind}"
        try:
            return not self.core.claims.first(key, self._now(), within=120)
        except StoreBusy:  # counting a join twice is better than losing it
            return False

    async def _with_admin(self, event: ChatEvent) -> ChatEvent:
        """The event with `is_admin` from getChatAdministrators (cached for `admin_ttl`)."""
        if event.is_admin:
            return event
        user = int(event.user) if event.user.lstrip("-").isdigit() else 0
        chats = self._member_groups(event) if event.is_direct else [int(event.chat)]
        for chat in chats:
            if user in await self._admin_ids(chat):
                return replace(event, is_admin=True)
        return event

    def _member_groups(self, event: ChatEvent) -> list[int]:
        """The Telegram groups of the community a private chat belongs to."""
        community = self.core.community_for(event)
        if community is None:
            return []
        spaces = self.core.store.spaces(community)
        return [int(space) for platform, space in spaces if platform == PLATFORM]

    async def _admin_ids(self, chat_id: int) -> frozenset[int]:
        """A group's admins. Kept here: PTB has no cache for getChatAdministrators, and
        asking on every command would meet Telegram's flood limits in a busy group."""
        cached = self._admins.get(chat_id)
        if cached and time.monotonic() - cached[0] < self.admin_ttl:
            return cached[1]
        assert self.app is not None
        try:
            admins = await self.app.bot.get_chat_administrators(chat_id)
        except TelegramError as exc:
            log.info("Telegram: no admin list for chat %s: %s", chat_id, exc.message)
            ids: frozenset[int] = frozenset()
        else:
            ids = frozenset(a.user.id for a in admins)
        self._admins[chat_id] = (time.monotonic(), ids)
        return ids

    async def _typing_if_slow(self, event: ChatEvent) -> None:
        name = event.text.split(maxsplit=1)[0].lstrip("/").lower()
        command = self.core.registry.commands.get(name)
        if command is not None and command.slow and self.app is not None:
            with contextlib.suppress(TelegramError):
                await self.app.bot.send_chat_action(int(event.chat), ChatAction.TYPING)

    async def _check_privacy(self, chat: str) -> None:
        """Privacy mode on and not an admin: tell the group's admins once how to fix it."""
        if not self.privacy_mode or chat in self._privacy_checked or self.app is None:
            return
        self._privacy_checked.add(chat)
        community = self.core.store.space_community(PLATFORM, chat)
        key = f"telegram.privacy_warned.{chat}"
        if already_told(self.core, community, key):
            return
        try:
            me = await self.app.bot.get_chat_member(int(chat), self.bot_id)
        except TelegramError as exc:
            log.info("Telegram: cannot check my rights in %s: %s", chat, exc.message)
            return
        if me.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER):
            return
        note = PRIVACY_NOTE.format(bot=self.username)
        await tell_admins_once(self.core, community, key, note, [Target(PLATFORM, chat=chat)])

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram: an update could not be handled", exc_info=context.error)

    def _on_poll_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            log.error(
                "Telegram: polling failed (%s): another process takes this bot's updates, "
                "through a webhook or a second poller with the same token. Fix: one process "
                'polls; several processes all use [telegram] mode = "webhook".',
                exc.message,
            )
            return
        log.warning("Telegram: polling failed (%s); retrying", exc.message)

    # -- outgoing --------------------------------------------------------------------------

    async def deliver(self, reply: Reply) -> bool:
        """Send a reply addressed with `reply.to` (digests, intros, reminders).

        Never raises: every platform error becomes False and a log line. A private message
        to a member who never pressed Start is held and handed over when they do.
        """
        if reply.to is None:
            return False
        try:
            outcome = await self._send(reply.to, reply)
            user = reply.to.user
            if outcome == "not_started" and user is not None:
                cause = _CAUSE.get()
                self._hold(user, reply, cause)
                if cause is not None and cause.user != user:
                    await self._tell_cause(cause, user)
        except Exception:
            log.exception("Telegram: delivering a reply to %s failed", reply.to)
            return False
        return outcome == "sent"

    async def _send(self, target: Target, reply: Reply) -> Outcome:
        if self.sender is None:
            log.warning("Telegram: not connected; a reply to %s was not sent", target)
            return "failed"
        return await self.sender.send(target, reply)

    async def _render(self, replies: list[Reply], event: ChatEvent) -> None:
        """Send the replies to an event, where the core's delivery policy says.

        A private message Telegram refuses because its member never pressed Start is held
        for them (`bot.outbox`): the member who asked gets the group note of the policy; a
        message to another member (an intro request) is reported to its sender with the
        link to pass on. The policy has no such case, because only Telegram makes a refused
        DM deliverable later."""
        queue = list(replies)
        own_held = False
        while queue:
            reply = queue.pop(0)
            target = plan(reply, event, self.capabilities).target
            if await self._send(target, reply) != "not_started" or target.user is None:
                continue
            self._hold(target.user, reply, event)
            if after_dm(target, event, self.capabilities) is Fallback.GROUP_NOTE:
                own_held = True
            elif target.user != event.user:
                queue.append(Reply(self._not_started(target.user), visibility=Visibility.DM))
        if own_held:
            await self._leave_link(event)

    async def _tell_cause(self, cause: ChatEvent, user: str) -> None:
        """Tell the member whose command made us write to `user` that it waits for Start."""
        note = Reply(self._not_started(user), visibility=Visibility.DM)
        if cause.platform == PLATFORM:
            await self._send(Target(PLATFORM, user=cause.user), note)
        else:
            await self.core.send(note.with_target(Target(cause.platform, user=cause.user)))

    def _hold(self, user: str, reply: Reply, event: ChatEvent | None) -> None:
        store = self.core.store
        sender = self._member(event.user) if event and event.platform == PLATFORM else None
        from_member = sender[0] if sender else None
        outbox.hold(store, PLATFORM, user, reply, self._now(), from_member=from_member)
        log.info("Telegram: holding a private message for %s until they press Start", user)

    async def _hand_over(self, user: str) -> bool:
        """Deliver what was held for `user`; True if anything was."""
        handed = False
        for held_id, reply in outbox.held(self.core.store, PLATFORM, user, self._now()):
            if await self._send(Target(PLATFORM, user=user), reply) == "sent":
                outbox.delivered(self.core.store, held_id)
                handed = True
        return handed

    def _not_started(self, user: str) -> str:
        found = self._member(user)
        who = str(Mention(PLATFORM, user, found[1])) if found else "That member"
        return (
            f"{who} has not started a chat with me yet, and Telegram does not let me write "
            "first, so my message to them waits. Send them this link: "
            f"{self.start_link} — when they open it and press Start, I deliver it."
        )

    async def _leave_link(self, event: ChatEvent) -> None:
        note = group_note(str(Mention(PLATFORM, event.user, event.name)), self.start_link)
        await self._send(Target(PLATFORM, chat=event.chat, thread=event.thread), Reply(note))

    def _member(self, user: str) -> tuple[int, str] | None:
        """(member id, name) of a Telegram user in their most recent community."""
        store = self.core.store
        for community in store.communities_of(PLATFORM, user):
            rows = store.rows(
                "SELECT m.id, m.name FROM identities i JOIN members m ON m.id = i.member "
                "WHERE i.community = ? AND i.platform = ? AND i.user = ?",
                (community, PLATFORM, user),
            )
            if rows:
                return int(rows[0]["id"]), str(rows[0]["name"])
        return None

    def _now(self) -> int:
        return int(self.core.clock().timestamp())


def _menu_entry(command: Command, *, admins: bool) -> BotCommand:
    """A command as one line of Telegram's command menu; a group names the subcommands
    the menu's readers may run (members never see the admins' ones)."""
    summary = command.help.split("\n", 1)[0]
    subs = [s.name for s in command.subcommands if admins or not s.admin]
    if subs:
        summary = f"{summary} ({', '.join(subs)})"
    return BotCommand(telegram_name(command.name), summary[:256] or command.name)


def _fits_alert(reply: Reply) -> bool:
    """A short private answer to a button press shows as Telegram's alert popup."""
    return (
        bool(reply.text)
        and len(reply.text) <= 200
        and not (reply.title or reply.fields or reply.buttons or reply.attachment)
    )
