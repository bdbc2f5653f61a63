"""Reply → Discord messages: embeds for cards, buttons, files, and Discord's size limits.

Everything the core writes is escaped for markdown and defused for mass mentions; only
the formatting added here is live. Limits: 2,000 characters of content (longer text is
split into several messages), embed title 256, description 4,096, 25 fields of 1,024,
6,000 in total (trimmed, with a note saying so).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.buttons import ConveneButton, custom_id
from adapters.discord.translate import PLATFORM
from bot.replies import Attachment, Button, Mention, Reply, mentions_in, render_mentions
from bot.text import defuse_mentions, shorten, split_message

log = logging.getLogger("convene.discord")

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_LIMIT = 25
EMBED_TOTAL = 6000
BUTTONS_LIMIT = 25
COLOUR = discord.Colour(0x2A9D8F)
TRIMMED = "… (trimmed to fit Discord)"


def safe(text: str, mentions: Callable[[Mention], str] = lambda m: m.name) -> str:
    """User-sourced text made inert: markdown escaped, @everyone/@here defused; a `Mention`
    becomes what `mentions` makes of it (the member's name unless told otherwise)."""
    return render_mentions(defuse_mentions(discord.utils.escape_markdown(text)), mentions)


def allowed_mentions(reply: Reply | None = None) -> discord.AllowedMentions:
    """Nobody is pinged, except the Discord members the reply's text mentions."""
    users = []
    if reply is not None:
        users = [
            discord.Object(int(m.user))
            for m in mentions_in(reply.text)
            if m.platform == PLATFORM and m.user.isdigit()
        ]
    if users:
        return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=users)
    return discord.AllowedMentions.none()


@dataclass(frozen=True)
class Outgoing:
    """One Discord message to send; `kwargs()` builds fresh objects for each attempt."""

    content: str | None = None
    embed: discord.Embed | None = None
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    mentions: discord.AllowedMentions | None = None

    def kwargs(self) -> dict[str, Any]:
        """Arguments for `Messageable.send`, `InteractionResponse.send_message` or a follow-up."""
        out: dict[str, Any] = {"allowed_mentions": self.mentions or discord.AllowedMentions.none()}
        if self.content:
            out["content"] = self.content
        if self.embed is not None:
            out["embed"] = self.embed
        view = button_view(self.buttons)
        if view is not None:
            out["view"] = view
        if self.attachment is not None:
            a = self.attachment
            out["file"] = discord.File(
                io.BytesIO(a.data), filename=a.filename, description=a.description or None
            )
        return out

    def with_note(self, note: str) -> Outgoing:
        """The same message with a line in front (e.g. why it was not sent privately)."""
        content = f"{note}\n{self.content}" if self.content else note
        return Outgoing(
            shorten(content, CONTENT_LIMIT),
            self.embed,
            self.buttons,
            self.attachment,
            self.mentions,
        )


def button_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """The buttons as persistent `ConveneButton`s (see adapters/discord/buttons.py).

    The view is stopped before it is sent so discord.py does not keep it in memory: presses
    are matched by the dynamic item's custom_id template, which also works after a restart.
    """
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:BUTTONS_LIMIT]:
        if custom_id(button.callback) is None:
            log.warning(
                "button %r dropped: its callback is longer than Discord allows", button.label
            )
            continue
        view.add_item(ConveneButton.of(button))
    view.stop()
    return view if view.children else None


def mention(m: Mention) -> str:
    """A Discord ping for a Discord member; anyone else by name."""
    return f"<@{m.user}>" if m.platform == PLATFORM and m.user.isdigit() else m.name


def render(reply: Reply) -> list[Outgoing]:
    """The Discord messages for one reply: a card becomes an embed, long text is split."""
    mentions = allowed_mentions(reply)
    text = safe(reply.text, mention) if reply.text else ""
    if reply.title or reply.fields:
        embed = card(reply, text)
        return [Outgoing(None, embed, reply.buttons, reply.attachment, mentions)]
    parts = split_message(text, CONTENT_LIMIT) if text else [""]
    out = [Outgoing(part or None, None, (), None, mentions) for part in parts]
    last = out[-1]
    out[-1] = Outgoing(last.content, None, reply.buttons, reply.attachment, mentions)
    if not any(o.content or o.attachment for o in out):
        out[-1] = Outgoing("\u200b", None, reply.buttons, None, mentions)
    return out


def card(reply: Reply, text: str) -> discord.Embed:
    """An embed within Discord's limits (6,000 in all); anything cut says so."""
    title = shorten(safe(reply.title or ""), TITLE_LIMIT) or None
    budget = EMBED_TOTAL - len(title or "")
    reserve = min(len(reply.fields) * 60, 1500)  # keep room for at least the first fields
    description = _trim(text, max(min(DESCRIPTION_LIMIT, budget - reserve), 0)) or None
    budget -= len(description or "")
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    for i, (name, value) in enumerate(reply.fields):
        left = len(reply.fields) - i
        name = shorten(safe(name), FIELD_NAME_LIMIT) or "\u200b"
        if (i == FIELDS_LIMIT - 1 and left > 1) or budget - len(name) < 40:
            note = f"and {left} more not shown"
            if budget >= len(note) + 1:
                embed.add_field(name="…", value=note, inline=False)
            break
        room = min(FIELD_VALUE_LIMIT, budget - len(name) - 40)
        value = _trim(safe(value), room) or "\u200b"
        embed.add_field(name=name, value=value, inline=len(value) <= 40)
        budget -= len(name) + len(value)
    a = reply.attachment
    if a is not None and a.is_image:
        embed.set_image(url=f"attachment://{a.filename}")
    return embed


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= len(TRIMMED):
        return text[:limit]
    cut = text[: limit - len(TRIMMED)]
    if cut.endswith("\\"):  # never leave a dangling markdown escape
        cut = cut[:-1]
    return cut + TRIMMED
