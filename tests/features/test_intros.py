"""/match, double-opt-in intro requests, caps, the cooldown memory, blocks, follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.fake import FakeAdapter
from bot.core import Core
from bot.features.matching.feature import demo_matches, suggestions
from bot.features.matching.outcomes import reranker, send_due_followups
from bot.replies import Visibility
from tests.conftest import Clock
from tests.matching_helpers import FOUNDER, INVESTOR, MENTOR, button, make_profile, member_id

pytestmark = pytest.mark.engines


INVESTOR_2 = {**INVESTOR, "headline": "Angel investor in climate fintech", "checks": "25-100"}


@pytest.fixture
async def core(cached_core: Core) -> Core:
    """Matching needs an embedder: these tests pass the fake, deterministic one."""
    return cached_core


@pytest.fixture
async def people(chat: FakeAdapter) -> FakeAdapter:
    await make_profile(chat, "ana", FOUNDER)
    await make_profile(chat, "bo", INVESTOR)
    await make_profile(chat, "cy", MENTOR)
    return chat


def community(core: Core) -> int:
    return core.store.community("fake:space-1", "")


async def ask(chat: FakeAdapter, requester: str, target: str) -> list:
    member = member_id(chat.core, target)
    return await chat.press(requester, f"intro:{member}", direct=False)


async def test_match_lists_suggestions_with_why_and_buttons(people: FakeAdapter) -> None:
    [sent] = await people.say("ana", "/match")
    assert sent.reply.slow
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert sent.reply.title == "People you should meet"
    assert "Bo — Partner at a seed fund" in sent.text
    assert "Cy" in sent.text
    assert "• Offers “Seed investor writing checks" in sent.text
    assert "Both in climate, fintech" in sent.text
    labels = [b.label for b in sent.reply.buttons]
    assert labels[0] == "Request intro: Bo"
    assert "Request intro: Cy" in labels
    assert button(sent, "intro:", "Bo") == f"intro:{member_id(people.core, 'bo')}~c1"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/match wizard", "Unknown role 'wizard'. Valid roles: founder, investor"),
        ("/match 11", "n must be between 1 and 10"),
        ("/match investor 0", "n must be at least 1"),
        ("/match investor two", "n must be a whole number"),
    ],
)
async def test_match_bad_input(people: FakeAdapter, command: str, expected: str) -> None:
    [sent] = await people.say("ana", command)
    assert expected in sent.text


async def test_match_role_filter_and_count(people: FakeAdapter) -> None:
    await make_profile(people, "di", INVESTOR_2)
    [sent] = await people.say("ana", "/match mentors")
    assert [b.label for b in sent.reply.buttons] == ["Request intro: Cy"]
    [sent] = await people.say("ana", "/match 1")
    assert len(sent.reply.buttons) == 1
    [sent] = await people.say("ana", "/match investor 5")
    assert sorted(b.label for b in sent.reply.buttons) == ["Request intro: Bo", "Request intro: Di"]


async def test_match_needs_a_profile(people: FakeAdapter) -> None:
    [sent] = await people.say("zed", "/match")
    assert "/profile setup" in sent.text
    assert not sent.reply.buttons


async def test_opted_out_and_hidden_members_are_never_suggested(people: FakeAdapter) -> None:
    await people.say("bo", "/privacy matching off")
    await people.say("cy", "/profile set visible off")
    [sent] = await people.say("ana", "/match")
    assert "No new members to suggest" in sent.text
    assert not sent.reply.buttons
    [sent] = await ask(people, "ana", "bo")
    assert sent.text == "They aren't taking new intro requests right now."
    assert not [s for s in people.sent if s.target.user == "bo" and "Intro request" in s.text]


async def test_accept_introduces_both_privately(people: FakeAdapter) -> None:
    sent = await ask(people, "ana", "bo")
    assert len(sent) == 2
    assert "Asked Bo for an intro" in sent[0].text
    request = sent[1]
    assert request.target.user == "bo"
    assert request.target.is_direct
    assert "Ana would like an introduction to you" in request.text
    assert "Why you might fit" in request.text
    yes = button(request, "introans:", "Accept")
    [wrong] = await people.press("ana", yes)
    assert wrong.text == "That button belongs to someone else."
    sent = await people.press("bo", yes)
    assert {s.target.user for s in sent} == {"bo", "ana"}
    for_bo = next(s for s in sent if s.target.user == "bo")
    for_ana = next(s for s in sent if s.target.user == "ana")
    assert for_bo.reply.title == "You're introduced: Ana"
    assert "Reach them: Ana on fake." in for_bo.text
    assert FOUNDER["headline"] in for_bo.text
    assert "Bo accepted your intro request" in for_ana.text
    assert for_ana.reply.title == "You're introduced: Bo"
    assert INVESTOR["headline"] in for_ana.text
    [again] = await people.press("bo", yes)
    assert "You already accepted" in again.text
    [state] = await people.say("ana", "/intros")
    assert "Bo: introduced" in state.text


async def test_decline_is_never_revealed_to_the_requester(
    core: Core, people: FakeAdapter, clock: Clock
) -> None:
    before = len(people.sent)
    await ask(people, "ana", "bo")  # declined
    await ask(people, "ana", "cy")  # never answered
    asks = [s for s in people.sent[before:] if "Intro request" in s.text]
    no = button(next(s for s in asks if s.target.user == "bo"), "introans:", "Decline")
    mark = len(people.sent)
    [declined] = await people.press("bo", no)
    assert declined.target.user == "bo"
    assert "won't be told" in declined.text
    assert all(s.target.user != "ana" for s in people.sent[mark:])
    [state] = await people.say("ana", "/intros")
    assert "Bo: pending" in state.text
    assert "Cy: pending" in state.text
    [bo_again] = await ask(people, "ana", "bo")
    [cy_again] = await ask(people, "ana", "cy")
    assert bo_again.text.replace("Bo", "X") == cy_again.text.replace("Cy", "X")
    assert "is pending" in bo_again.text
    clock.advance(days=15)
    [state] = await people.say("ana", "/intros")
    assert "Bo: expired" in state.text
    assert "Cy: expired" in state.text
    [bo_later] = await ask(people, "ana", "bo")
    [cy_later] = await ask(people, "ana", "cy")
    assert bo_later.text.replace("Bo", "X") == cy_later.text.replace("Cy", "X")
    assert "you can ask again from" in bo_later.text
    everything_to_ana = " ".join(s.text for s in people.sent if s.target.user == "ana")
    assert "declin" not in everything_to_ana.lower()
    [late] = await people.press(
        "cy", button(next(s for s in asks if s.target.user == "cy"), "introans:", "Accept")
    )
    assert "This request expired on" in late.text
    [twice] = await people.press("bo", no)
    assert "already declined" in twice.text


async def test_weekly_cap_on_incoming_requests(
    core: Core, people: FakeAdapter, clock: Clock
) -> None:
    founders = [f"f{i}" for i in range(6)]
    for user in founders:
        await make_profile(people, user, FOUNDER)
    for user in founders[:5]:
        sent = await ask(people, user, "bo")
        assert any(s.target.user == "bo" for s in sent)
    sent = await ask(people, founders[5], "bo")
    assert [s.text for s in sent] == ["They aren't taking new intro requests right now."]
    assert all(s.target.user != "bo" for s in sent)
    clock.advance(days=7, seconds=1)
    sent = await ask(people, founders[5], "bo")
    assert any(s.target.user == "bo" and "Intro request" in s.text for s in sent)


async def test_cooldown_remembers_pairs_for_twelve_weeks(
    core: Core, people: FakeAdapter, clock: Clock
) -> None:
    sent = await ask(people, "ana", "bo")
    await people.press("bo", button(sent[1], "introans:", "Accept"))
    [match] = await people.say("ana", "/match investor")
    assert "Request intro: Bo" not in [b.label for b in match.reply.buttons]
    [refused] = await ask(people, "ana", "bo")
    assert "You and Bo were introduced on" in refused.text
    clock.advance(weeks=11, days=6)
    [match] = await people.say("ana", "/match investor")
    assert "Request intro: Bo" not in [b.label for b in match.reply.buttons]
    clock.advance(days=2)
    [match] = await people.say("ana", "/match investor")
    assert "Request intro: Bo" in [b.label for b in match.reply.buttons]


async def test_block_hides_both_ways_and_refuses_neutrally(core: Core, people: FakeAdapter) -> None:
    [sent] = await people.say("bo", "/block Ana")
    assert "Blocked Ana" in sent.text
    [sent] = await people.say("ana", "/match")
    assert "Request intro: Bo" not in [b.label for b in sent.reply.buttons]
    [sent] = await people.say("bo", "/match")
    assert "Request intro: Ana" not in [b.label for b in sent.reply.buttons]
    [sent] = await ask(people, "ana", "bo")
    assert sent.text == "They aren't taking new intro requests right now."
    [sent] = await ask(people, "bo", "ana")
    assert "You have blocked Ana" in sent.text
    [sent] = await people.say("bo", "/block bo")
    assert "can't block yourself" in sent.text
    [sent] = await people.say("bo", "/unblock Ana")
    assert sent.text == "Unblocked Ana."
    [sent] = await people.say("bo", "/unblock Ana")
    assert "haven't blocked" in sent.text
    [sent] = await people.say("ana", "/match")
    assert "Request intro: Bo" in [b.label for b in sent.reply.buttons]


async def test_bad_buttons_are_handled(people: FakeAdapter) -> None:
    [sent] = await people.press("ana", "intro:abc")
    assert sent.text == "That button has expired."
    [sent] = await people.press("ana", "intro:99999")
    assert "no longer in this community" in sent.text
    [sent] = await ask(people, "ana", "ana")
    assert sent.text == "That's you!"
    [sent] = await people.press("bo", "introans:424242:yes")
    assert sent.text == "That request no longer exists."
    assert await people.say("zed", "hello") == []  # a member without a profile
    [sent] = await ask(people, "zed", "bo")
    assert "Set up your profile first" in sent.text


async def test_intros_lists_incoming_with_buttons(people: FakeAdapter) -> None:
    [empty] = await people.say("bo", "/intros")
    assert "No intro requests" in empty.text
    await ask(people, "ana", "bo")
    [sent] = await people.say("bo", "/intros")
    assert "Ana asked on 02 Nov 2026" in sent.text
    assert [b.label for b in sent.reply.buttons] == ["Accept Ana", "Decline Ana"]


async def test_follow_up_after_an_intro_records_the_outcome(
    core: Core, people: FakeAdapter, clock: Clock
) -> None:
    sent = await ask(people, "ana", "bo")
    await people.press("bo", button(sent[1], "introans:", "Accept"))
    assert await send_due_followups(core) == 0
    clock.advance(days=7)
    mark = len(people.sent)
    assert await send_due_followups(core) == 2
    asks = people.sent[mark:]
    assert {s.target.user for s in asks} == {"ana", "bo"}
    assert await send_due_followups(core) == 0  # sent once
    for_ana = next(s for s in asks if s.target.user == "ana")
    assert "introduced to Bo" in for_ana.text
    [thanks] = await people.press("ana", button(for_ana, "fu:", "useful"))
    assert "Thanks" in thanks.text
    [again] = await people.press("ana", button(for_ana, "fu:", "didn't"))
    assert "already answered" in again.text
    [other] = await people.press("bo", button(for_ana, "fu:", "useful"))
    assert other.text == "That button belongs to someone else."
    rows = core.store.rows("SELECT * FROM match_outcomes WHERE answered_at IS NOT NULL")
    assert [(r["member"], r["other_member"], r["met"], r["useful"]) for r in rows] == [
        (member_id(core, "ana"), member_id(core, "bo"), 1, 1)
    ]
    assert rows[0]["fit_ab"] > 0
    assert rows[0]["sector_overlap"] == 1.0


async def test_follow_ups_are_sent_by_a_scheduler_tick(core: Core) -> None:
    from bot.features.matching import feature as matching
    from bot.scheduling.scheduler import Scheduler

    await core.feature(matching.Matching).start()
    seconds, run = core.feature(Scheduler)._periodic["match-followups"]
    assert seconds == matching.FOLLOW_UP_TICK
    assert run is send_due_followups


async def test_demo_matches_renders_top_matches(core: Core, people: FakeAdapter) -> None:
    text = await demo_matches(core, community(core), member_id(core, "ana"), n=2)
    assert text.startswith("Top matches for Ana:\n1. Bo")
    assert "• Offers" in text
    assert "no matching profile" in await demo_matches(core, community(core), 4242)


def _insert_outcomes(core: Core, n: int, *, informative: bool) -> None:
    rows = []
    for i in range(n):
        useful = i % 2
        activity = (0.9 if useful else 0.1) if informative else 0.5
        rows.append(
            (community(core), 1, 2, f"t:{i}", 1, useful, 0.5, 0.5, 0.0, 0.0, activity, 0, 1)
        )
    with core.store.transaction() as c:
        c.executemany(
            "INSERT INTO match_outcomes (community, member, other_member, ref, met, useful, fit_ab, "
            "fit_ba, sector_overlap, stage_fit, activity, created_at, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def test_reranker_is_used_only_when_it_beats_the_plain_score(
    core: Core, people: FakeAdapter
) -> None:
    assert await reranker(core, community(core)) is None  # no outcomes yet
    _insert_outcomes(core, 40, informative=False)
    assert await reranker(core, community(core)) is None  # no signal: plain ranking stays
    core.store.conn.execute("DELETE FROM match_outcomes")
    _insert_outcomes(core, 40, informative=True)
    assert await reranker(core, community(core)) is not None
    # The learned model now prefers active members: Cy talks, Bo does not.
    for _ in range(5):
        await people.say("cy", "hello everyone")
    await people.say("bo", "hi")
    found = await suggestions(core, community(core), member_id(core, "ana"), 2)
    assert [p.name for _, p in found] == ["Cy", "Bo"]


@pytest.mark.model
async def test_match_with_the_bundled_model(tmp_path: Path, clock: Clock) -> None:
    from bot.config import Config
    from bot.storage.store import Store
    from models.embedder import Embedder

    store = Store(tmp_path / "m.db")
    core = Core(Config(database=tmp_path / "m.db"), store, clock=clock)
    core.embedder = Embedder(cache=store)
    try:
        chat = FakeAdapter(core)
        await make_profile(chat, "ana", FOUNDER)
        await make_profile(chat, "bo", INVESTOR)
        await make_profile(chat, "cy", MENTOR)
        [sent] = await chat.say("ana", "/match 2")
        assert sent.reply.buttons[0].label == "Request intro: Bo"
        assert "• Offers “Seed investor writing checks" in sent.text
        assert store.scalar("SELECT count(*) FROM vectors") > 0  # cached in the store
    finally:
        await core.close()


async def test_blocking_twice_says_it_is_already_done(chat: FakeAdapter) -> None:
    await chat.say("ana", "hello")
    [first] = await chat.say("bo", "/block ana")
    assert first.text.startswith("Blocked Ana")
    [again] = await chat.say("bo", "/block ana")
    assert again.text == "You have already blocked Ana. /unblock Ana undoes it."
