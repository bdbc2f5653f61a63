"""What every adapter shares: the protocol, routing of replies, and plain-text rendering."""

from __future__ import annotations

from typing import Protocol

from bot.chat_event import ChatEvent
from bot.core import Adapter as CoreAdapter
from bot.core import Core
from bot.replies import Capabilities, Reply, Target, Visibility, render_mentions
from bot.text import defuse_mentions


class Adapter(CoreAdapter, Protocol):
    """A platform connection. Callbacks translate, call the core, render; nothing more."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def target_for(reply: Reply, event: ChatEvent, caps: Capabilities) -> Target:
    """Where a reply to `event` goes, falling back from ephemeral to a DM when unsupported."""
    if reply.to is not None:
        return reply.to
    private = reply.visibility is Visibility.DM or (
        reply.visibility is Visibility.ONLY_YOU and not caps.ephemeral and not event.is_direct
    )
    if private or event.is_direct:
        return Target(event.platform, user=event.user)
    return Target(event.platform, chat=event.chat, thread=event.thread)


async def route(core: Core, adapter: Adapter, replies: list[Reply]) -> list[Reply]:
    """Send replies addressed to other platforms through the core; return the rest."""
    local = []
    for reply in replies:
        if reply.to is not None and reply.to.platform != adapter.name:
            await core.send(reply)
        else:
            local.append(reply)
    return local


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
