"""Telegram through python-telegram-bot v22, run inside the shared asyncio loop.

The `Application` is driven by hand (``initialize`` → ``updater.start_polling`` → ``start``,
and the reverse on `stop`), so Discord, Telegram and the scheduler share one process. One
callback receives every update: translate it (`adapters.telegram.translate`), call the core,
render the replies (`adapters.telegram.render`) under Telegram's flood limits
(`adapters.telegram.rate_limit`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

# Opt in to PTB's timedelta-valued time fields now; the int-valued ones warn on every access.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler

from adapters.telegram.rate_limit import Pacer, send_paced
from adapters.telegram.render import (
    MAX_CAPTION,
    MAX_TEXT,
    CallbackTable,
    esc,
    html_chunks,
    keyboard_rows,
)
from adapters.telegram.translate import (
    PLATFORM,
    Commands,
    button_event,
    telegram_name,
    translate,
)
from bot.chat_event import ChatEvent
from bot.config import ConfigError
from bot.core import Core
from bot.delivery import Fallback, after_dm, already_told, group_note, plan, route, tell_admins_once
from bot.replies import Capabilities, Reply, Target, Visibility

log = logging.getLogger("convene.telegram")
Outcome = Literal["sent", "forbidden", "failed"]
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member", "message_reaction"]
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
PRIVACY_NOTE = (
    "For the admins of this group: Telegram's privacy mode is on for me, so I only see "
    "commands here and cannot count the group's activity. To fix it, either make me an "
    "admin of this group, or in @BotFather send /setprivacy, choose @{bot}, pick Disable, "
    "then remove me from the group and add me again."
)


@dataclass
class _Pending:
    """Private replies kept for a member who has not started a chat with the bot yet."""

    user: str
    replies: list[Reply]
    expires: float


class TelegramAdapter:
    """A Telegram bot connection that shares the process and the core with other adapters.

    Args:
        core: the shared core.
        token: the bot token from @BotFather.
        token_env: the environment variable the token came from (named in error messages).
        base_url / base_file_url: another Bot API server (tests, or a self-hosted one).
        poll_timeout: the ``getUpdates`` long-poll timeout in seconds.
        admin_ttl: how long a group's admin list is trusted before it is fetched again.
        pacer: flood-control limits (defaults follow Telegram's published limits).
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
        pacer: Pacer | None = None,
    ) -> None:
        self.core = core
        self.token = token.strip()
        self.token_env = token_env
        self.base_url = base_url
        self.base_file_url = base_file_url
        self.poll_timeout = poll_timeout
        self.admin_ttl = admin_ttl
        self.pacer = pacer or Pacer()
        self.callbacks = CallbackTable()
        self.app: Application | None = None  # type: ignore[type-arg]
        self.username = ""
        self.bot_id = 0
        self.privacy_mode = False
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}
        self._pending: dict[str, _Pending] = {}
        self._recent_joins: dict[tuple[str, str, str], float] = {}
        self._privacy_checked: set[str] = set()
        self._command_names = Commands("", {})
        core.attach(self)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, publish the command list, and start polling.

        Raises:
            ConfigError: the token is missing or rejected, or the Bot API cannot be reached.
        """
        if not _TOKEN.match(self.token):
            raise ConfigError(
                f"{self.token_env} does not hold a Telegram bot token (it should look like "
                "123456789:AAE...). Fix: copy the token from @BotFather into it."
            )
        builder = Application.builder().token(self.token).concurrent_updates(True)
        if self.base_url:
            builder = builder.base_url(self.base_url)
            builder = builder.base_file_url(self.base_file_url or self.base_url)
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._on_update))
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
        self._command_names = self._commands()
        await self._publish_commands()
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=timedelta(seconds=self.poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._on_poll_error,
        )
        await app.start()
        log.info("Telegram: polling as @%s", self.username)

    async def stop(self) -> None:
        """Stop polling (confirming the last update offset), then close the connection."""
        app = self.app
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # waits for the updates still being handled
        await app.shutdown()
        self.app = None

    async def _publish_commands(self) -> None:
        """setMyCommands from the core registry: members' group list, admins', private."""
        group, admin, private = [], [], []
        for command in self.core.registry:
            entry = BotCommand(telegram_name(command.name), command.summary[:256] or command.name)
            if command.where in ("any", "group"):
                admin.append(entry)
                if not command.admin:
                    group.append(entry)
            if command.where in ("any", "dm"):
                private.append(entry)
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

    def _commands(self) -> Commands:
        names = {telegram_name(c.name): c.name for c in self.core.registry}
        return Commands(self.username, names)

    # -- incoming --------------------------------------------------------------------------

    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Translate, call the core, render. Nothing else happens in a platform callback."""
        if update.callback_query is not None:
            await self._on_button(update)
            return
        if update.my_chat_member is not None:
            await self._check_privacy(str(update.my_chat_member.chat.id))
            return
        if update.message is not None and update.message.migrate_to_chat_id:
            self._follow_migration(update.message.chat.id, update.message.migrate_to_chat_id)
            return
        for event in translate(update, self._command_names):
            if event.kind in ("join", "leave") and self._seen_recently(event):
                continue
            if event.is_command:
                if await self._start_link(event):
                    continue
                event = await self._with_admin(event)
                await self._typing_if_slow(event)
            replies = await route(self.core, self, await self.core.handle(event))
            await self._render(replies, event)
            if not event.is_direct:
                await self._check_privacy(event.chat)

    def _follow_migration(self, old: int, new: int) -> None:
        """A group upgraded to a supergroup gets a new id; keep it in its community."""
        community = self.core.store.space_community(PLATFORM, str(old))
        if community is not None:
            self.core.store.link_space(PLATFORM, str(new), community)
            log.info("Telegram: group %s became supergroup %s", old, new)

    async def _on_button(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        callback = self.callbacks.decode(query.data or "")
        event = button_event(update, callback) if callback is not None else None
        if event is None:
            await self._answer(query.id, "That button has expired.")
            return
        event = await self._with_admin(event)
        replies = await route(self.core, self, await self.core.handle(event))
        alert = next(
            (r for r in replies if r.visibility is Visibility.ONLY_YOU and _fits_alert(r)), None
        )
        await self._answer(query.id, alert.text if alert else None)
        await self._render([r for r in replies if r is not alert], event)

    async def _answer(self, query_id: str, text: str | None) -> None:
        assert self.app is not None
        try:
            await self.app.bot.answer_callback_query(query_id, text=text, show_alert=bool(text))
        except TelegramError as exc:  # an old query (> 15 min) cannot be answered any more
            log.info("Telegram: could not answer a button press: %s", exc.message)

    def _seen_recently(self, event: ChatEvent) -> bool:
        """Joins arrive twice (a service message and a chat_member update); count one."""
        now = time.monotonic()
        key = (event.chat, event.user, event.kind)
        if len(self._recent_joins) > 1000:
            self._recent_joins = {k: t for k, t in self._recent_joins.items() if now - t < 120}
        seen = key in self._recent_joins and now - self._recent_joins[key] < 120
        self._recent_joins[key] = now
        return seen

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

    async def _start_link(self, event: ChatEvent) -> bool:
        """``/start <token>`` from a ``t.me`` link: hand over the replies waiting there.

        Any other ``/start`` goes to the core (its own /start, or /help when it has none).
        """
        head, _, payload = event.text.partition(" ")
        if head != "/start" or not event.is_direct:
            return False
        pending = self._pending.get(payload.strip())
        if pending is None or pending.user != event.user or pending.expires < time.monotonic():
            if "start" not in self.core.registry.commands:
                help_event = replace(event, text="/help")
                replies = await route(self.core, self, await self.core.handle(help_event))
                await self._render(replies, help_event)
                return True
            return False
        del self._pending[payload.strip()]
        for reply in pending.replies:
            await self._send_to(Target(PLATFORM, user=event.user), reply)
        return True

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
        log.warning("Telegram: polling failed (%s); retrying", exc.message)

    # -- outgoing --------------------------------------------------------------------------

    async def deliver(self, reply: Reply) -> bool:
        """Send a reply addressed with `reply.to` (digests, intros); paced, never dropped."""
        if reply.to is None:
            return False
        return await self._send_to(reply.to, reply) == "sent"

    async def _render(self, replies: list[Reply], event: ChatEvent) -> None:
        """Send replies to an event; private ones the member cannot receive yet wait behind a
        ``t.me/<bot>?start=…`` link posted in the group."""
        waiting: list[Reply] = []
        for reply in replies:
            target = plan(reply, event, self.capabilities).target
            outcome = await self._send_to(target, reply)
            fallback = after_dm(target, event, self.capabilities)
            if outcome == "forbidden" and fallback is Fallback.GROUP_NOTE:
                waiting.append(reply)
        if waiting:
            await self._leave_link(event, waiting)

    async def _leave_link(self, event: ChatEvent, waiting: list[Reply]) -> None:
        now = time.monotonic()
        self._pending = {k: p for k, p in self._pending.items() if p.expires > now}
        token = secrets.token_urlsafe(9)
        self._pending[token] = _Pending(event.user, waiting, now + 24 * 3600)
        link = f"https://t.me/{self.username}?start={token}"
        mention = f'<a href="tg://user?id={esc(event.user)}">{esc(event.name)}</a>'
        note = group_note(mention, esc(link))
        target = Target(PLATFORM, chat=event.chat, thread=event.thread)
        await self._send_html(target, [note], None)

    async def _send_to(self, target: Target, reply: Reply) -> Outcome:
        """Render one reply to one chat (refusals are logged and returned)."""
        chunks = html_chunks(reply)
        markup = self._keyboard(reply)
        attachment = reply.attachment
        if attachment is None:
            if not chunks:
                return "sent"
            return await self._send_html(target, chunks, markup)
        caption = chunks[0] if len(chunks) == 1 and len(chunks[0]) <= MAX_CAPTION else None
        chat_id, thread = _chat_of(target)
        assert self.app is not None
        bot = self.app.bot
        common = {
            "caption": caption,
            "parse_mode": ParseMode.HTML if caption else None,
            "reply_markup": markup if caption else None,
            "message_thread_id": thread,
            "filename": attachment.filename,
        }
        if attachment.is_image:
            call = lambda: bot.send_photo(chat_id, attachment.data, **common)  # noqa: E731
        else:
            call = lambda: bot.send_document(chat_id, attachment.data, **common)  # noqa: E731
        outcome = await self._guarded(chat_id, call)
        if outcome == "sent" and caption is None and chunks:
            return await self._send_html(target, chunks, markup)
        return outcome

    async def _send_html(
        self, target: Target, chunks: list[str], markup: InlineKeyboardMarkup | None
    ) -> Outcome:
        chat_id, thread = _chat_of(target)
        assert self.app is not None
        bot = self.app.bot
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            outcome = await self._guarded(
                chat_id,
                lambda chunk=chunk, last=last: bot.send_message(
                    chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                    message_thread_id=thread,
                ),
            )
            if outcome != "sent":
                return outcome
        return "sent"

    async def _guarded(self, chat_id: int, call: Callable[[], Awaitable[object]]) -> Outcome:
        """One paced call; Telegram's refusals become an outcome and a log line."""
        try:
            await send_paced(self.pacer, chat_id, call)
        except Forbidden as exc:
            log.info("Telegram: cannot write to %s: %s", chat_id, exc.message)
            return "forbidden"
        except (BadRequest, RetryAfter, NetworkError) as exc:
            log.warning("Telegram: sending to %s failed: %s", chat_id, exc.message)
            return "failed"
        return "sent"

    def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup | None:
        if not reply.buttons:
            return None
        rows = keyboard_rows(reply.buttons, self.callbacks)
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                for row in rows
            ]
        )


def _chat_of(target: Target) -> tuple[int, int | None]:
    chat = target.chat if target.chat is not None else target.user
    if chat is None:
        raise ValueError("a Telegram target needs a chat or a user")
    thread = int(target.thread) if target.thread and target.thread.isdigit() else None
    return int(chat), thread


def _fits_alert(reply: Reply) -> bool:
    """A short private answer to a button press shows as Telegram's alert popup."""
    return (
        bool(reply.text)
        and len(reply.text) <= 200
        and not (reply.title or reply.fields or reply.buttons or reply.attachment)
    )
