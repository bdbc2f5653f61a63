"""What a command handler receives: the event, who and where, and ways to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.chat_event import ChatEvent
from bot.commands import CommandError
from bot.replies import Button, Reply, Target, Visibility

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core import Core
    from bot.storage.store import Store

Answer = Reply | str | list[Reply] | None


class AmbiguousMember(CommandError):
    """A member argument names several members; the core offers them as buttons."""

    def __init__(self, token: str, found: list[tuple[int, str, str]]) -> None:
        names = ", ".join(label for _, _, label in found)
        super().__init__(f"{token!r} matches several members: {names}.")
        self.token = token
        self.found = found

    def reply(self) -> Reply:
        """Which one? One button per member; pressing one runs the command for them."""
        return Reply(
            f"{self.token!r} matches several members. Which one did you mean?",
            buttons=tuple(Button(label[:60], f"pick:{member}") for member, _, label in self.found),
            visibility=Visibility.ONLY_YOU,
        )


@dataclass
class Context:
    """One command or button press being handled."""

    core: Core
    event: ChatEvent
    community: int
    member: int
    picked: tuple[str, int] | None = None  # (token, member) chosen for an ambiguous argument

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def config(self) -> Config:
        return self.core.config

    @property
    def now(self) -> datetime:
        return self.core.clock()

    @property
    def tz(self) -> ZoneInfo:
        return self.core.timezone(self.community)

    @property
    def is_admin(self) -> bool:
        return self.core.is_admin(self.event)

    @property
    def origin(self) -> Target:
        """Where the event came from."""
        e = self.event
        if e.is_direct:
            return Target(e.platform, user=e.user)
        return Target(e.platform, chat=e.chat, thread=e.thread)

    def reply(self, text: str = "", **kwargs: Any) -> Reply:
        """A public answer in the chat the event came from."""
        return Reply(text, **kwargs)

    def private(self, text: str = "", **kwargs: Any) -> Reply:
        """An answer only the member sees (ephemeral where possible, else a DM)."""
        return Reply(text, visibility=Visibility.ONLY_YOU, **kwargs)

    def dm(self, member: int, text: str = "", **kwargs: Any) -> Reply | None:
        """A private message to any member of this community, on the platform they use.

        Prefers the platform of the current event. None if the member has no identity.
        """
        target = self.core.dm_target(member, prefer=self.event.platform)
        if target is None:
            return None
        return Reply(text, to=target, visibility=Visibility.DM, **kwargs)

    def member_name(self, member: int) -> str:
        info = self.store.member_info(member)
        return info["name"] if info else "a former member"

    def find_member(self, token: str) -> tuple[int, str]:
        """Resolve a name, @name or platform mention to one member of this community."""
        if self.picked is not None and self.picked[0] == token:
            member = self.picked[1]
            if self.store.scalar(
                "SELECT 1 FROM members WHERE id = ? AND community = ?", (member, self.community)
            ):
                return member, self.member_name(member)
        found = self.core.find_member(self.community, self.event.platform, token)
        if not found:
            raise CommandError(
                f"No member called {token!r} here. Check the spelling, or use their "
                "@handle or a mention."
            )
        if len(found) > 1:
            raise AmbiguousMember(token, [(m, n, self.core.member_label(m)) for m, n in found[:8]])
        return found[0]
