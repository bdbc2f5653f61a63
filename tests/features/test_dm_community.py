"""Two communities, one shared member: every button and DM acts in the right community."""

from __future__ import annotations

import json

import pytest

from adapters.fake import FakeAdapter, Sent
from bot.core import Core
from bot.replies import Capabilities
from tests.matching_helpers import FOUNDER, INVESTOR, make_profile


def community_id(core: Core, key: str, name: str, space: str) -> int:
    community = core.store.community(key, name)
    core.store.link_space("fake", space, community)
    return community


@pytest.fixture
async def core(cached_core: Core) -> Core:
    return cached_core  # matching needs an embedder


@pytest.fixture
def alpha(core: Core) -> FakeAdapter:
    community_id(core, "alpha", "Alpha Founders", "a")
    return FakeAdapter(core, space="a", chat="a-general")


@pytest.fixture
def beta(core: Core) -> FakeAdapter:
    community_id(core, "beta", "Beta Builders", "b")
    adapter = FakeAdapter(core, space="b", chat="b-general")
    adapter.admins.add("admin")
    return adapter


def member(core: Core, user: str, community_name: str) -> int:
    return int(
        core.store.scalar(
            "SELECT i.member FROM identities i JOIN communities c ON c.id = i.community "
            "WHERE i.user = ? AND c.name = ?",
            (user, community_name),
        )
    )


def button(sent: Sent, label: str) -> str:
    return next(b.callback for b in sent.reply.buttons if label in b.label)


async def test_intro_accept_from_b_works_in_a_dm_after_speaking_in_a(
    core: Core, alpha: FakeAdapter, beta: FakeAdapter
) -> None:
    await make_profile(beta, "ana", FOUNDER)
    await make_profile(beta, "bo", INVESTOR)
    await alpha.say("bo", "bo also talks in alpha")
    sent = await beta.press("ana", f"intro:{member(core, 'bo', 'Beta Builders')}", direct=False)
    request = next(s for s in sent if s.target.user == "bo" and s.reply.buttons)
    await alpha.say("bo", "and is most recently active in alpha")
    done = await alpha.press("bo", button(request, "Accept"))  # a DM press
    assert any("You're introduced: Ana" in (s.reply.title or "") for s in done), done
    assert core.store.scalar("SELECT status FROM intro_requests") == "accepted"


async def test_forget_in_b_confirmed_by_dm_without_ephemeral_replies(
    core: Core, alpha: FakeAdapter, beta: FakeAdapter
) -> None:
    beta.capabilities = Capabilities(ephemeral=False)
    await alpha.say("ana", "ana in alpha")
    await beta.say("ana", "ana in beta")
    await alpha.say("ana", "ana speaks in alpha last")
    [confirm] = await beta.say("ana", "/forget")
    assert confirm.target.user == "ana"  # no ephemeral replies: the confirmation is a DM
    assert confirm.target.chat is None
    assert "in Beta Builders" in confirm.text
    [done] = await alpha.press("ana", button(confirm, "Yes"))  # pressed in the DM
    assert "everything about you in Beta Builders is deleted" in done.text
    assert core.store.rows("SELECT text FROM activity ORDER BY id") == [
        {"text": "ana in alpha"},
        {"text": "ana speaks in alpha last"},
    ]


async def test_a_dm_command_asks_which_community_and_names_it(
    core: Core, alpha: FakeAdapter, beta: FakeAdapter
) -> None:
    await alpha.say("ana", "/privacy tracking off")
    await beta.say("ana", "ana in beta")
    [ask] = await alpha.say("ana", "/privacy", direct=True)
    assert "You are a member of" in ask.text
    assert {b.label for b in ask.reply.buttons} == {"Alpha Founders", "Beta Builders"}
    [shown] = await alpha.press("ana", button(ask, "Alpha"))
    assert shown.reply.title == "Your privacy settings in Alpha Founders"
    assert "tracking: off" in shown.text
    [profile] = await alpha.say("ana", "/profile", direct=True)  # an answer without the name
    assert "(Alpha Founders · /use switches community)" in profile.text
    # the choice is remembered; /use switches it
    [again] = await alpha.say("ana", "/privacy tracking", direct=True)
    assert "tracking is off in Alpha Founders" in again.text
    [used] = await alpha.say("ana", "/use beta", direct=True)
    assert "now act in Beta Builders" in used.text
    [beta_now] = await alpha.say("ana", "/privacy tracking", direct=True)
    assert "tracking is on in Beta Builders" in beta_now.text
    [profile] = await alpha.say("ana", "/profile", direct=True)
    assert "(Beta Builders · /use switches community)" in profile.text


async def test_dm_export_and_forget_name_the_community(
    core: Core, alpha: FakeAdapter, beta: FakeAdapter
) -> None:
    await alpha.say("ana", "alpha words")
    await beta.say("ana", "beta words")
    await alpha.say("ana", "/use Beta Builders", direct=True)
    [export] = await alpha.say("ana", "/export", direct=True)
    assert "everything Convene stores about you in Beta Builders" in export.text
    assert export.reply.attachment is not None
    data = json.loads(export.reply.attachment.data)
    assert data["community"] == "Beta Builders"
    assert [a["text"] for a in data["activity"]] == ["beta words"]
    assert data["private_messages_act_here"] == [{"platform": "fake", "user": "ana"}]
    [forget] = await alpha.say("ana", "/forget", direct=True)
    assert "in Beta Builders" in forget.text


async def test_a_member_of_one_community_is_not_asked(core: Core, alpha: FakeAdapter) -> None:
    await alpha.say("ana", "hello")
    [sent] = await alpha.say("ana", "/privacy", direct=True)
    assert sent.reply.title == "Your privacy settings in Alpha Founders"
    assert "/use switches" not in sent.text


async def test_forged_buttons_of_another_community_are_refused(
    core: Core, alpha: FakeAdapter, beta: FakeAdapter
) -> None:
    await alpha.say("ana", "only in alpha")
    await beta.say("bo", "only in beta")
    b = core.store.scalar("SELECT id FROM communities WHERE name = 'Beta Builders'")
    bo = member(core, "bo", "Beta Builders")
    [dm] = await alpha.press("ana", f"forget:yes:{bo}~c{b}")
    assert "not part of" in dm.text
    [group] = await alpha.press("ana", f"forget:yes:{bo}~c{b}", direct=False)
    assert "another community" in group.text
    assert core.store.scalar("SELECT count(*) FROM members WHERE id = ?", (bo,)) == 1
