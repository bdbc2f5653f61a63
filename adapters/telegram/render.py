"""Turning a core `Reply` into Telegram messages: HTML text, mentions, chunks, keyboards.

Pure functions; nothing here talks to the network, so it stays testable without the Bot API.
"""

from __future__ import annotations

import html

from bot.replies import Button, Reply
from bot.text import render_mentions, split_message

MAX_TEXT = 4096
MAX_CAPTION = 1024
BUTTONS_PER_ROW = 2


def esc(text: str) -> str:
    """Escape text for Telegram's HTML parse mode (``<b>`` and ``_`` stay literal); member
    mentions in it become links."""
    return render_mentions(html.escape(text, quote=False), tg_mention)


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
    return blocks


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


def tg_mention(platform: str, user: str, name: str) -> str:
    """A Telegram member mention as an HTML link (other platforms' members: their name)."""
    if platform == "telegram" and user.lstrip("-").isdigit():
        return f'<a href="tg://user?id={user}">{name}</a>'
    return name


def keyboard_rows(buttons: tuple[Button, ...]) -> list[list[tuple[str, str]]]:
    """Buttons as rows of (label, core callback) for an inline keyboard.

    The callback goes out as it is: PTB's ``arbitrary_callback_data`` swaps it for a short
    id under Telegram's 64-byte limit and back again when the button is pressed.
    """
    pairs = [(b.label[:64], b.callback) for b in buttons]
    return [pairs[i : i + BUTTONS_PER_ROW] for i in range(0, len(pairs), BUTTONS_PER_ROW)]
