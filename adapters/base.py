"""What every adapter shares: the protocol and plain-text rendering.

Where replies go (ephemeral, DM, the group-note fallback, notices to admins) is the core's
single policy in `bot.delivery`; adapters only render.
"""

from __future__ import annotations

from typing import Protocol

from bot.core import Adapter as CoreAdapter
from bot.replies import Reply, render_mentions
from bot.text import defuse_mentions


class Adapter(CoreAdapter, Protocol):
    """A platform connection. Callbacks translate, call the core, render; nothing more."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def render_plain(reply: Reply, *, numbered_buttons: bool = True) -> str:
    """Render a reply as plain text: title, text, fields, then buttons as numbered choices.

    A `Mention` becomes the member's name (plain text cannot notify anyone).
    """
    parts: list[str] = []
    if reply.title:
        parts.append(f"== {reply.title} ==")
    if reply.text:
        parts.append(reply.text)
    for name, value in reply.fields:
        parts.append(f"{name}:\n{value}" if "\n" in value else f"{name}: {value}")
    if reply.attachment:
        parts.append(f"[file: {reply.attachment.filename}]")
    if reply.buttons and numbered_buttons:
        parts.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, 1)))
    return render_mentions(defuse_mentions("\n".join(parts)))
