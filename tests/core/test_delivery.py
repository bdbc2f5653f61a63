"""The one delivery policy (`bot.delivery`): where replies go and the fallbacks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from adapters.fake import FakeAdapter
from bot.chat_event import ChatEvent
from bot.core import Core
from bot.delivery import (
    Fallback,
    after_dm,
    here,
    plan,
    tell_admins_once,
)
from bot.replies import Capabilities, Reply, Target, Visibility

EPHEMERAL = Capabilities(ephemeral=True)
NO_EPHEMERAL = Capabilities(ephemeral=False)


def event(core: Core, *, direct: bool = False) -> ChatEvent:
    return FakeAdapter(core).event("ana", "/x", direct=direct)


def dm(user: str = "ana") -> Target:
    return Target("fake", user=user)


@pytest.mark.parametrize(
    ("visibility", "caps", "in_place", "expected", "ephemeral"),
    [
        (Visibility.PUBLIC, EPHEMERAL, True, "here", False),
        (Visibility.ONLY_YOU, EPHEMERAL, True, "here", True),
        (Visibility.ONLY_YOU, EPHEMERAL, False, "dm", False),  # e.g. a plain Discord message
        (Visibility.ONLY_YOU, NO_EPHEMERAL, True, "dm", False),  # Telegram
        (Visibility.DM, EPHEMERAL, True, "dm", False),
    ],
)
def test_where_a_reply_to_a_group_event_goes(
    core: Core,
    visibility: Visibility,
    caps: Capabilities,
    in_place: bool,
    expected: str,
    ephemeral: bool,
) -> None:
    e = event(core)
    found = plan(Reply("hi", visibility=visibility), e, caps, in_place=in_place)
    assert found.target == (here(e) if expected == "here" else dm())
    assert found.ephemeral is ephemeral


def test_replies_to_a_dm_stay_there_and_addressed_replies_go_where_addressed(core: Core) -> None:
    e = event(core, direct=True)
    assert plan(Reply("hi", visibility=Visibility.ONLY_YOU), e, EPHEMERAL) == plan(
        Reply(), e, EPHEMERAL
    )
    assert plan(Reply(), e, EPHEMERAL).target == dm()
    elsewhere = Target("fake", chat="announcements")
    assert plan(Reply("x", to=elsewhere), event(core), EPHEMERAL).target == elsewhere


def test_what_happens_when_a_dm_is_refused(core: Core) -> None:
    group, direct = event(core), event(core, direct=True)
    assert after_dm(dm(), group, EPHEMERAL) is Fallback.HERE_PRIVATELY
    assert after_dm(dm(), group, EPHEMERAL, in_place=False) is Fallback.GROUP_NOTE
    assert after_dm(dm(), group, NO_EPHEMERAL) is Fallback.GROUP_NOTE
    assert after_dm(dm("bo"), group, EPHEMERAL) is Fallback.TELL_SENDER
    assert after_dm(dm("bo"), direct, EPHEMERAL) is Fallback.TELL_SENDER
    assert after_dm(dm("bo"), group, NO_EPHEMERAL) is Fallback.NONE
    assert after_dm(dm(), direct, EPHEMERAL) is Fallback.NONE  # the DM was the answer
    assert after_dm(here(group), group, EPHEMERAL) is Fallback.NONE


@dataclass
class Picky(FakeAdapter):
    """Refuses to deliver to some targets, like a member with closed DMs."""

    refuse: set[Target] = field(default_factory=set)

    async def deliver(self, reply: Reply) -> bool:
        if reply.to in self.refuse:
            return False
        return await super().deliver(reply)


async def test_admins_are_told_once_at_the_first_target_that_accepts(core: Core) -> None:
    chat = Picky(core, refuse={dm("owner")})
    await chat.say("ana", "hello")
    community = core.community_for(chat.event("ana"))
    targets = [dm("owner"), Target("fake", chat="system")]
    assert await tell_admins_once(core, community, "notice", "Fix this.", targets)
    assert [s.target for s in chat.sent] == [Target("fake", chat="system")]
    assert not await tell_admins_once(core, community, "notice", "Fix this.", targets)
    assert len(chat.sent) == 1
    # news (another value) is told again; a notice nobody accepted is not remembered
    assert await tell_admins_once(core, community, "notice", "And this.", targets, value=2)
    assert not await tell_admins_once(core, community, "other", "x", [dm("owner")])
    assert core.store.setting(community, "other") is None
