"""The core's view of what happened on a platform: one frozen `ChatEvent` per thing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from bot.commands import CommandCall
from bot.text import valid_text

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?![^\s@])")


def starts_with_command(text: str) -> bool:
    """Whether `text` opens with a command's name (see `ChatEvent.is_command`)."""
    return text[:1] == "/" and _COMMAND.match(text) is not None


EventKind = Literal["message", "join", "leave", "reaction", "button"]


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something a member did, translated by an adapter.

    Attributes:
        platform: adapter name ("discord", "telegram", "console", "fake").
        space: the platform's group id (a guild or a group chat); "" in a DM.
        chat: the channel or chat the event happened in.
        user: the member's platform user id.
        name: the member's display name.
        handle: the member's platform handle (Telegram username, Discord user name), if any.
        space_title: the group's title (names a new community), if known.
        kind: message, join, leave, reaction or button.
        text: the message text, or the button's callback id for a button press.
        thread: thread or topic id inside the chat, if any.
        is_direct: a private chat with the bot.
        is_admin: the platform says this member may administer the space.
        at: when it happened (timezone-aware UTC).
        length: the text length when the text itself is not visible (e.g. no content intent).
        commands: whether a leading "/" runs a command (False where commands arrive another
            way, such as Discord's slash-command interactions).
        call: a command with typed values (a Discord slash command): the core runs it
            without parsing any text.
        raw: the platform object, for logging only; features never read it.
    """

    platform: str
    space: str
    chat: str
    user: str
    name: str
    kind: EventKind = "message"
    text: str = ""
    thread: str | None = None
    is_direct: bool = False
    is_admin: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    length: int | None = None
    commands: bool = True
    call: CommandCall | None = None
    raw: Any = field(default=None, compare=False, repr=False)
    handle: str = ""
    space_title: str = ""

    def __post_init__(self) -> None:
        # Text is made valid at the edge: a lone surrogate never reaches a feature or SQLite.
        for name in ("text", "name"):
            value = getattr(self, name)
            fixed = valid_text(value)
            if fixed is not value:
                object.__setattr__(self, name, fixed)
        call = self.call
        if call is not None and any(isinstance(v, str) for v in call.values.values()):
            values = {k: valid_text(v) if isinstance(v, str) else v for k, v in call.values.items()}
            object.__setattr__(self, "call", replace(call, values=values))

    @property
    def is_command(self) -> bool:
        """A typed command call, or a message that starts with a command's name.

        A name is what Telegram accepts: a slash, 1 to 32 letters, digits or underscores,
        then a space, ``@bot`` or the end. A path (``/dev/video0 is missing``) or ``// note``
        is chat: it is counted and never answered with "there is no such command".
        """
        if self.call is not None:
            return True
        return self.kind == "message" and self.commands and starts_with_command(self.text)
