"""What the core answers with: `Reply` objects addressed to a `Target`, and adapter capabilities."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from bot.text import clean

# A mention travels inside reply text between these two control characters, which
# `clean` strips from every member's input, so only code can make one. Spaces in the name
# travel as no-break spaces, so splitting a long text never cuts a mention in two.
_MARK, _SEP, _NBSP = "\x0e", "\x0f", "\u00a0"  # not whitespace: strip() keeps them
_MENTIONS = re.compile(
    f"{_MARK}([^{_MARK}{_SEP}]*){_SEP}([^{_MARK}{_SEP}]*){_SEP}([^{_MARK}]*){_MARK}"
)


class Visibility(Enum):
    """Who sees a reply."""

    PUBLIC = "public"  # in the chat the event came from
    ONLY_YOU = "only_you"  # ephemeral where the platform can, else a DM
    DM = "dm"  # a private chat with the member


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes: a chat (optionally a thread) or a member's private chat."""

    platform: str
    chat: str | None = None
    thread: str | None = None
    user: str | None = None  # set for a direct message to this platform user

    @property
    def is_direct(self) -> bool:
        return self.user is not None and self.chat is None


@dataclass(frozen=True, slots=True)
class Mention:
    """A member named in a reply; each adapter renders it its own way.

    Put it in text with an f-string (``f"Meet {Mention('discord', '42', 'Ada')}"``): Discord
    renders a ping the reply may send, Telegram a link, plain adapters the name. No feature
    writes platform syntax such as ``<@id>``.
    """

    platform: str
    user: str
    name: str

    def __str__(self) -> str:
        return (
            f"{_MARK}{clean(self.platform)}{_SEP}{clean(self.user)}{_SEP}"
            f"{clean(self.name).replace(' ', _NBSP)}{_MARK}"
        )


def mentions_in(text: str) -> list[Mention]:
    """The mentions a text carries, in order."""
    return [_mention(m) for m in _MENTIONS.finditer(text)]


def render_mentions(text: str, render: Callable[[Mention], str] = lambda m: m.name) -> str:
    """Replace every mention in `text` with what `render` makes of it (default: the name).

    Adapters call this after escaping the text, so `render` gets the name escaped too.
    """
    return _MENTIONS.sub(lambda m: render(_mention(m)), text)


def _mention(found: re.Match[str]) -> Mention:
    platform, user, name = found.groups()
    return Mention(platform, user, name.replace(_NBSP, " "))


@dataclass(frozen=True, slots=True)
class Button:
    """A button; pressing it sends `callback` back to the core as a button event."""

    label: str
    callback: str
    style: str = "secondary"  # primary | secondary | success | danger


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply: an image (PNG) or a document (e.g. a JSON export)."""

    filename: str
    data: bytes
    is_image: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the bot.

    `to` is None for "answer where the event came from"; features set it to reach someone
    else (an intro request to another member, a digest to a channel). A `Mention` in the
    text is the only member the reply may notify; nothing ever pings everyone.
    """

    text: str = ""
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    visibility: Visibility = Visibility.PUBLIC
    to: Target | None = None
    slow: bool = False  # produced by slow work: adapters defer interactions before it
    community: int | None = None  # made for this community: `Core.send` stamps its buttons

    def with_target(self, target: Target) -> Reply:
        return replace(self, to=target)


def dm(platform: str, user: str, **kwargs: object) -> Reply:
    """A reply to one member's private chat."""
    return Reply(to=Target(platform, user=user), visibility=Visibility.DM, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an adapter can render; the core and `render` fall back where one lacks it."""

    buttons: bool = True
    ephemeral: bool = False
    images: bool = True
    files: bool = True
    edits: bool = False
    max_text: int = 4000
    markdown: str = "plain"  # plain | html | discord
