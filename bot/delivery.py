"""One delivery policy for every platform: where a reply goes, and what happens when it can't.

Adapters declare what they can do (`Capabilities`) and render; every decision about
*where* lives here, so Discord, Telegram, the console and the test adapter behave alike:

- `plan`: a reply to an event goes back where the event came from. A private (only-you)
  reply is answered in place and ephemeral where the platform can answer this event so
  (a Discord interaction), else by DM; `Visibility.DM` always goes by DM; `reply.to` wins.
- `after_dm`: when a DM to the member who asked could not be delivered, the answer falls
  back to an only-you answer in place (with `DM_CLOSED_NOTE`) where possible, else to a
  short public note in the group (`group_note`) that points them to a private chat; a DM to
  *another* member that failed is reported to the sender (`NOT_REACHED`).
- `tell_admins_once`: a notice for a community's admins (missing permissions, a setting to
  fix) goes to the first target that accepts it, once: the community's settings remember it.
- `route`: replies addressed to another platform go through `Core.send`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from bot.replies import Capabilities, Reply, Target, Visibility

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Adapter, Core

DM_SENT = "I sent you a direct message."
DM_CLOSED_NOTE = (
    "I could not message you directly (your DMs are closed for this server), "
    "so here it is — only you can see it:"
)
NOT_REACHED = "I could not reach them by direct message (their DMs are closed)."


class Fallback(Enum):
    """What to do with a reply whose DM could not be delivered."""

    NONE = "none"  # nothing more can be done (logged by the adapter)
    HERE_PRIVATELY = "here_privately"  # answer in place, only-you, after DM_CLOSED_NOTE
    GROUP_NOTE = "group_note"  # a public note in the group: open a private chat with me
    TELL_SENDER = "tell_sender"  # tell the member who asked (only-you) with NOT_REACHED


@dataclass(frozen=True, slots=True)
class Plan:
    """Where one reply goes: a target, and whether it is answered in place, only-you."""

    target: Target
    ephemeral: bool = False

    @property
    def is_dm(self) -> bool:
        return self.target.is_direct


def here(event: ChatEvent) -> Target:
    """The chat an event came from (the member's DM for a direct message)."""
    if event.is_direct:
        return Target(event.platform, user=event.user)
    return Target(event.platform, chat=event.chat, thread=event.thread)


def plan(reply: Reply, event: ChatEvent, caps: Capabilities, *, in_place: bool = True) -> Plan:
    """Where a reply to `event` goes.

    Args:
        in_place: the adapter can answer this event itself (a Discord interaction can be
            answered ephemerally; a plain message cannot). With ``caps.ephemeral`` it
            decides whether an only-you reply stays in the chat or goes by DM.
    """
    if reply.to is not None and reply.to != here(event):
        return Plan(reply.to)
    if event.is_direct:
        return Plan(here(event))
    if reply.visibility is Visibility.DM:
        return Plan(Target(event.platform, user=event.user))
    if reply.visibility is Visibility.ONLY_YOU:
        if caps.ephemeral and in_place:
            return Plan(here(event), ephemeral=True)
        return Plan(Target(event.platform, user=event.user))
    return Plan(here(event))


def target_for(reply: Reply, event: ChatEvent, caps: Capabilities) -> Target:
    """Where a reply to `event` goes (see `plan`); for adapters that answer in place."""
    return plan(reply, event, caps).target


def after_dm(
    target: Target, event: ChatEvent, caps: Capabilities, *, in_place: bool = True
) -> Fallback:
    """The fallback for a DM to `target`, sent because of `event`, that was refused."""
    if not target.is_direct:
        return Fallback.NONE
    if target.user != event.user:
        return Fallback.TELL_SENDER if caps.ephemeral and in_place else Fallback.NONE
    if event.is_direct:  # that DM was the answer itself
        return Fallback.NONE
    if caps.ephemeral and in_place:
        return Fallback.HERE_PRIVATELY
    return Fallback.GROUP_NOTE


def group_note(name: str, link: str) -> str:
    """The public note for a member whose private answer could not be sent (`name` is the
    adapter's rendered mention; `link` opens a private chat and delivers what waits)."""
    return (
        f"{name}, I answer that privately, but you have not started a chat with me "
        f"yet. Open {link} and press Start, and I will send it there."
    )


def already_told(core: Core, community: int | None, key: str, value: Any = True) -> bool:
    """Whether the admins of `community` were told about `key` (with this `value`)."""
    return community is not None and core.store.setting(community, key) == value


async def tell_admins_once(
    core: Core,
    community: int | None,
    key: str,
    text: str,
    targets: list[Target],
    value: Any = True,
) -> bool:
    """Tell a community's admins something once: the first target that accepts it gets it.

    `key` names the notice in the community's settings; a notice already given with the
    same `value` is not repeated (a different value, e.g. another set of missing
    permissions, is news). Returns whether the notice went out now.
    """
    if already_told(core, community, key, value):
        return False
    for target in targets:
        if await core.send(Reply(text, to=target)):
            if community is not None:
                core.store.set_setting(community, key, value)
            return True
    return False


async def route(core: Core, adapter: Adapter, replies: list[Reply]) -> list[Reply]:
    """Send replies addressed to other platforms through the core; return the rest."""
    local = []
    for reply in replies:
        if reply.to is not None and reply.to.platform != adapter.name:
            await core.send(reply)
        else:
            local.append(reply)
    return local
