"""An in-process adapter for tests: push events, read what was sent. Async, no threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.chat_event import ChatEvent, EventKind
from bot.core import Core
from bot.delivery import route, target_for
from bot.replies import Capabilities, Reply, Target, render_mentions


@dataclass
class Sent:
    """A reply as it left the bot, with where it went."""

    target: Target
    reply: Reply

    @property
    def text(self) -> str:
        fields = "\n".join(f"{k}: {v}" for k, v in self.reply.fields)
        text = "\n".join(p for p in (self.reply.title or "", self.reply.text, fields) if p)
        return render_mentions(text)  # a plain platform shows a mention as the name


@dataclass
class FakeAdapter:
    """Drives the core like a platform would, recording every reply."""

    core: Core
    name: str = "fake"
    space: str = "space-1"
    chat: str = "general"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(ephemeral=True))
    sent: list[Sent] = field(default_factory=list)
    admins: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.core.attach(self)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def event(
        self,
        user: str,
        text: str = "",
        *,
        kind: EventKind = "message",
        direct: bool = False,
        name: str | None = None,
        at: datetime | None = None,
        chat: str | None = None,
        handle: str | None = None,
    ) -> ChatEvent:
        return ChatEvent(
            platform=self.name,
            space="" if direct else self.space,
            chat=(f"dm-{user}" if direct else chat or self.chat),
            user=user,
            name=name or user.title(),
            kind=kind,
            text=text,
            is_direct=direct,
            is_admin=user in self.admins,
            at=at or self.core.clock().astimezone(UTC),
            handle=user if handle is None else handle,
        )

    async def push(self, event: ChatEvent) -> list[Sent]:
        """Hand an event to the core and return what was sent because of it."""
        before = len(self.sent)
        replies = await route(self.core, self, await self.core.handle(event))
        for reply in replies:
            self.sent.append(Sent(target_for(reply, event, self.capabilities), reply))
        return self.sent[before:]

    async def say(self, user: str, text: str, **kwargs: object) -> list[Sent]:
        return await self.push(self.event(user, text, **kwargs))  # type: ignore[arg-type]

    async def press(
        self, user: str, callback: str, *, direct: bool = True, **kwargs: object
    ) -> list[Sent]:
        return await self.push(self.event(user, callback, kind="button", direct=direct, **kwargs))  # type: ignore[arg-type]

    async def deliver(self, reply: Reply) -> bool:
        assert reply.to is not None
        self.sent.append(Sent(reply.to, reply))
        return True
