"""Turning a core `Reply` into Telegram messages: HTML text, chunks, inline keyboards.

Pure functions; nothing here talks to the network, so it stays testable without the Bot API.
"""

from __future__ import annotations

import html

from bot.replies import Button, Mention, Reply, mentions_in, render_mentions
from bot.text import split_message

MAX_TEXT = 4096
MAX_CAPTION = 1024
BUTTONS_PER_ROW = 2
MENTION_ROOM = 48  # a tg://user link is longer than the mention it replaces


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
    if reply.text:  # room for each mention to grow into a link
        room = limit - MENTION_ROOM * len(mentions_in(reply.text))
        blocks.extend(_escaped_pieces(reply.text, max(room, limit // 2)))
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


def keyboard_rows(buttons: tuple[Button, ...]) -> list[list[tuple[str, str]]]:
    """Buttons as rows of (label, core callback) for an inline keyboard.

    The sender swaps each callback for its key (`bot.button_keys`), under Telegram's
    64-byte limit, and the adapter swaps it back when the button is pressed.
    """
    pairs = [(b.label[:64], b.callback) for b in buttons]
    return [pairs[i : i + BUTTONS_PER_ROW] for i in range(0, len(pairs), BUTTONS_PER_ROW)]
