"""What the core answers with: `Reply` objects addressed to a `Target`, and adapter capabilities."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


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
    else (an intro request to another member, a digest to a channel).
    """

    text: str = ""
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    visibility: Visibility = Visibility.PUBLIC
    to: Target | None = None
    mention_user: str | None = None  # one platform user id the text may notify; never mass mentions
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
