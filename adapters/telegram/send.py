"""Sending one reply to one Telegram chat, and turning every platform error into an outcome.

Flood limits and 429s are handled below us by PTB's rate-limiter hook
(`adapters.telegram.rate_limit`). PTB retries nothing else, and its rate-limiter contract
forbids handling other errors there, so this module keeps what the library lacks: a 5xx or a
dropped connection is retried with backoff (as discord.py does for its REST calls), a group
that became a supergroup is followed to its new id, and a reply that still fails is logged
with its target. A timeout is not retried: Telegram may have posted the message already,
and posting it twice is worse than reporting it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from adapters.telegram.render import MAX_CAPTION, html_chunks, keyboard_rows
from bot.replies import Reply, Target

log = logging.getLogger("convene.telegram")
# sent | the member never pressed Start (or stopped the bot) | the bot may not post there |
# anything else that still failed after the retries
Outcome = Literal["sent", "not_started", "forbidden", "failed"]
Call = Callable[[int], Awaitable[object]]  # one Bot API call, given the chat id to post to


class Sender:
    """Posts replies through a PTB bot; never raises a platform error.

    Args:
        bot: the application's bot (its rate limiter paces every call).
        moved: called with (old chat id, new chat id) when a group became a supergroup.
        key: the callback data to send for a core callback (`bot.button_keys`).
        attempts: tries per Bot API call for 5xx and network errors.
        backoff: seconds before the first retry; doubled on each further one.
    """

    def __init__(
        self,
        bot: ExtBot[None],
        moved: Callable[[int, int], None],
        key: Callable[[str], str],
        *,
        attempts: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.bot = bot
        self.moved = moved
        self.key = key
        self.attempts = attempts
        self.backoff = backoff

    async def send(self, target: Target, reply: Reply) -> Outcome:
        """Render one reply to one chat: text chunks, an attachment, a keyboard."""
        try:
            chat_id, thread = chat_of(target)
        except ValueError as exc:
            log.warning("Telegram: a reply was not sent: %s", exc)
            return "failed"
        chunks = html_chunks(reply)
        markup = keyboard(reply, self.key)
        bot = self.bot
        outcome: Outcome = "sent"
        attachment = reply.attachment
        if attachment is not None:
            caption = chunks[0] if len(chunks) == 1 and len(chunks[0]) <= MAX_CAPTION else None
            common = {
                "caption": caption,
                "parse_mode": ParseMode.HTML if caption else None,
                "reply_markup": markup if caption else None,
                "message_thread_id": thread,
                "filename": attachment.filename,
            }
            post = bot.send_photo if attachment.is_image else bot.send_document
            outcome, chat_id = await self._call(
                chat_id, lambda chat: post(chat, attachment.data, **common)
            )
            if caption is not None:
                chunks = []
        for i, chunk in enumerate(chunks):
            if outcome != "sent":
                break
            last = i == len(chunks) - 1
            outcome, chat_id = await self._call(
                chat_id,
                lambda chat, chunk=chunk, last=last: bot.send_message(
                    chat,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                    message_thread_id=thread,
                ),
            )
        if outcome == "failed":  # the title names the message; member text stays out of logs
            what = repr(reply.title) if reply.title else f"{len(reply.text)} characters of text"
            log.warning(
                "Telegram: a reply to chat %s (thread %s) was not delivered: %s",
                chat_id,
                thread,
                what,
            )
        return outcome

    async def _call(self, chat_id: int, call: Call) -> tuple[Outcome, int]:
        """One Bot API call with retries; returns its outcome and the chat id it ended at."""
        followed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                await call(chat_id)
                return "sent", chat_id
            except ChatMigrated as exc:
                if followed:
                    log.warning("Telegram: chat %s moved twice in one send", chat_id)
                    return "failed", chat_id
                followed = True
                self.moved(chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
            except Forbidden as exc:
                log.info("Telegram: cannot write to %s: %s", chat_id, exc.message)
                return ("not_started" if chat_id > 0 else "forbidden"), chat_id
            except (BadRequest, TimedOut, RetryAfter) as exc:
                log.warning("Telegram: sending to %s failed: %s", chat_id, exc.message)
                return "failed", chat_id
            except NetworkError as exc:  # a 5xx or a dropped connection: worth another try
                if attempt >= self.attempts:
                    log.warning(
                        "Telegram: sending to %s failed %d times: %s",
                        chat_id,
                        attempt,
                        exc.message,
                    )
                    return "failed", chat_id
                pause = self.backoff * 2 ** (attempt - 1)
                log.info("Telegram: %s on chat %s; retrying in %.1f s", exc.message, chat_id, pause)
                await asyncio.sleep(pause)
            except TelegramError as exc:
                log.warning("Telegram: sending to %s failed: %s", chat_id, exc.message)
                return "failed", chat_id


def chat_of(target: Target) -> tuple[int, int | None]:
    """The numeric chat id and forum thread of a target."""
    chat = target.chat if target.chat is not None else target.user
    if chat is None or not chat.lstrip("-").isdigit():
        raise ValueError(f"a Telegram target needs a numeric chat or user, not {chat!r}")
    thread = int(target.thread) if target.thread and target.thread.isdigit() else None
    return int(chat), thread


def keyboard(reply: Reply, key: Callable[[str], str]) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=key(data)) for label, data in row]
            for row in keyboard_rows(reply.buttons)
        ]
    )
