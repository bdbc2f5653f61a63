"""Turning a core `Reply` into Telegram messages: HTML text, chunks, inline keyboards.

Pure functions and a small callback table; nothing here talks to the network, so it stays
testable without python-telegram-bot.
"""

from __future__ import annotations

import html
import itertools
import time
from dataclasses import dataclass

from bot.replies import Button, Mention, Reply, render_mentions
from bot.text import split_message

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
BUTTONS_PER_ROW = 2
_LONG_PREFIX = "~"


def esc(text: str) -> str:
    """Escape user text for Telegram's HTML parse mode (``<b>`` and ``_`` stay literal)."""
    return html.escape(text, quote=False)


def _escaped_pieces(text: str, limit: int) -> list[str]:
    """Split plain text so that every piece, once escaped, fits in `limit` characters."""
    pieces: list[str] = []
    size = limit
    for piece in split_message(text, limit):
        escaped = esc(piece)
        if len(escaped) <= limit:
            pieces.append(escaped)
            continue
        while size > 16 and any(len(esc(p)) > limit for p in split_message(piece, size)):
            size //= 2
        pieces.extend(esc(p) for p in split_message(piece, size))
    return pieces


def html_blocks(reply: Reply, limit: int = MAX_TEXT) -> list[str]:
    """The reply as escaped HTML blocks (lines or pieces), each at most `limit` characters."""
    blocks: list[str] = []
    if reply.title:
        blocks.append(f"<b>{esc(reply.title[: limit // 2])}</b>")
    if reply.text:
        blocks.extend(_escaped_pieces(reply.text, limit))
    for name, value in reply.fields:
        line = f"<b>{esc(name)}</b>: {esc(value)}"
        if len(line) <= limit:
            blocks.append(line)
        else:
            blocks.append(f"<b>{esc(name[: limit // 4])}</b>:")
            blocks.extend(_escaped_pieces(value, limit))
    return [render_mentions(block, mention) for block in blocks]


def mention(m: Mention) -> str:
    """A Telegram member as a link that notifies them; anyone else by (escaped) name."""
    if m.platform == "telegram" and m.user.lstrip("-").isdigit():
        return f'<a href="tg://user?id={m.user}">{m.name}</a>'
    return m.name


def html_chunks(reply: Reply, limit: int = MAX_TEXT) -> list[str]:
    """The reply's HTML split into messages of at most `limit` characters."""
    chunks: list[str] = []
    current = ""
    for block in html_blocks(reply, limit):
        joined = f"{current}\n{block}" if current else block
        if len(joined) <= limit:
            current = joined
        else:
            chunks.append(current)
            current = block
    if current:
        chunks.append(current)
    return chunks


@dataclass
class CallbackTable:
    """Maps button callbacks longer than Telegram's 64 bytes to short tokens.

    Short callbacks are sent as they are. Long ones get ``~<n>`` and are looked up on press;
    a token that is unknown (the bot restarted, or it aged out) reads as an expired button.
    """

    max_entries: int = 5000
    max_age: float = 7 * 24 * 3600

    def __post_init__(self) -> None:
        self._long: dict[str, tuple[str, float]] = {}
        self._counter = itertools.count(1)

    def encode(self, callback: str) -> str:
        if len(callback.encode()) <= MAX_CALLBACK_BYTES and not callback.startswith(_LONG_PREFIX):
            return callback
        token = f"{_LONG_PREFIX}{next(self._counter)}"
        self._long[token] = (callback, time.monotonic())
        if len(self._long) > self.max_entries:
            for old in list(self._long)[: len(self._long) - self.max_entries]:
                del self._long[old]
        return token

    def decode(self, data: str) -> str | None:
        """The core callback for pressed button data; None when it has expired."""
        if not data.startswith(_LONG_PREFIX):
            return data
        found = self._long.get(data)
        if found is None or time.monotonic() - found[1] > self.max_age:
            return None
        return found[0]


def keyboard_rows(buttons: tuple[Button, ...], table: CallbackTable) -> list[list[tuple[str, str]]]:
    """Buttons as rows of (label, callback data) for an inline keyboard."""
    pairs = [(b.label[:64], table.encode(b.callback)) for b in buttons]
    return [pairs[i : i + BUTTONS_PER_ROW] for i in range(0, len(pairs), BUTTONS_PER_ROW)]
