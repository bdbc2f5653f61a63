"""Intro rounds: exact pairing, trios, the 12-week memory, scheduling, follow-ups, privacy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from adapters.fake import FakeAdapter
from bot.core import Core
from bot.features.matching import rounds
from bot.features.matching.evaluation import eval_matching
from bot.features.matching.outcomes import send_due_followups
from bot.features.matching.round_pairing import EPS, group, matching_weight, max_weight_matching
from bot.features.profiles.store import load_profile, profile_hashes
from bot.scheduling.scheduler import Scheduler
from bot.storage.store import Store
from tests.conftest import Clock
from tests.matching_helpers import FOUNDER, INVESTOR, MENTOR, button, make_profile, member_id
from tests.privacy_scan import traces

pytestmark = pytest.mark.engines


INVESTOR_2 = {**INVESTOR, "headline": "Angel investor in climate fintech", "checks": "25-100"}
FOUNDER_2 = {**FOUNDER, "headline": "Founder of a fintech for climate risk"}


def brute_force_matching(weights: np.ndarray) -> float:
    """The best total weight by trying every matching (exponential: n <= 10)."""
    n = weights.shape[0]

    def best(free: tuple[int, ...]) -> float:
        if len(free) < 2:
            return 0.0
        first, rest = free[0], free[1:]
        value = best(rest)  # `first` stays unpaired
        for k, other in enumerate(rest):
            if weights[first, other] > EPS:
                value = max(value, weights[first, other] + best(rest[:k] + rest[k + 1 :]))
        return value

    return best(tuple(range(n)))


def _random_weights(rng: np.random.Generator, n: int, density: float) -> np.ndarray:
    w = rng.random((n, n))
    w = np.triu(w * (rng.random((n, n)) < density), 1)
    return w + w.T


def test_max_weight_matching_equals_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(150):
        n = int(rng.integers(2, 10))
        w = _random_weights(rng, n, float(rng.uniform(0.2, 1.0)))
        pairs = max_weight_matching(w)
        used = [i for p in pairs for i in p]
        assert len(used) == len(set(used))
        assert all(w[i, j] > 0 for i, j in pairs)
        assert matching_weight(w, pairs) == pytest.approx(brute_force_matching(w), abs=1e-9)


def test_max_weight_is_not_greedy() -> None:
    # Greedy takes the 0.9 edge (1-2) and is stuck with 0.9; the optimum is 0-1 + 2-3 = 1.6.
    w = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.8, (1, 2): 0.9, (2, 3): 0.8}.items():
        w[i, j] = w[j, i] = v
    assert sorted(max_weight_matching(w)) == [(0, 1), (2, 3)]


def test_odd_member_joins_the_pair_where_they_fit_best() -> None:
    w = np.zeros((5, 5))
    for (i, j), v in {(0, 1): 0.9, (2, 3): 0.9, (4, 2): 0.5, (4, 3): 0.4, (4, 0): 0.3}.items():
        w[i, j] = w[j, i] = v
    groups, alone = group(w)
    assert sorted(sorted(g) for g in groups) == [[0, 1], [2, 3, 4]]
    assert alone == []


def test_member_with_no_allowed_partner_stays_alone() -> None:
    w = np.zeros((3, 3))
    w[0, 1] = w[1, 0] = 0.5
    groups, alone = group(w)
    assert groups == [[0, 1]]
    assert alone == [2]


@pytest.fixture
def group_chat(cached_core: Core) -> FakeAdapter:
    chat = FakeAdapter(cached_core)
    chat.admins.add("admin")
    return chat


async def _join(chat: FakeAdapter, profiles: dict[str, dict[str, str]]) -> None:
    for user, fields in profiles.items():
        await make_profile(chat, user, fields)
        [sent] = await chat.say(user, "/rounds join")
        assert "You're in the intro rounds" in sent.text


def _pairs(core: Core) -> list[set[str]]:
    rows = core.store.rows(
        "SELECT a.name AS a, b.name AS b FROM match_history h JOIN members a ON a.id = h.member_a "
        "JOIN members b ON b.id = h.member_b ORDER BY h.id"
    )
    return [{r["a"], r["b"]} for r in rows]


async def test_round_now_pairs_members_privately_with_a_trio(
    cached_core: Core, group_chat: FakeAdapter
) -> None:
    await _join(group_chat, {"ana": FOUNDER, "fe": FOUNDER_2, "bo": INVESTOR, "cy": MENTOR,
                             "di": INVESTOR_2})  # fmt: skip
    [refused] = await group_chat.say("ana", "/rounds now")
    assert "admins only" in refused.text
    mark = len(group_chat.sent)
    sent = await group_chat.say("admin", "/rounds now")
    summary = sent[-1]
    assert summary.target.user is None
    assert summary.text == "Intro round: 2 groups from 5 participants."
    dms = [s for s in group_chat.sent[mark:] if s.target.is_direct]
    assert sorted(s.target.user for s in dms) == ["ana", "bo", "cy", "di", "fe"]
    assert all(s.reply.title == "Your intro round match" for s in dms)
    trio = [s for s in dms if re.search(r"meeting \w+ and \w+\.", s.reply.text)]
    assert len(trio) == 3  # everyone in the trio hears about both others
    assert all("reach them:" in s.text for s in dms)
    # Founders never meet founders, investors never meet investors (role filter).
    for a, b in _pairs(cached_core):
        assert {a, b} not in ({"Ana", "Fe"}, {"Bo", "Di"})


async def test_no_pair_repeats_within_twelve_weeks(
    cached_core: Core, group_chat: FakeAdapter, clock: Clock
) -> None:
    await _join(group_chat, {"ana": FOUNDER, "fe": FOUNDER_2, "bo": INVESTOR, "di": INVESTOR_2})
    community = cached_core.store.community("fake:space-1", "")
    first = await rounds.run_round(cached_core, community)
    assert first == "Intro round: 2 groups from 4 participants."
    round1 = _pairs(cached_core)
    clock.advance(weeks=1)
    await rounds.run_round(cached_core, community)
    round2 = _pairs(cached_core)[len(round1) :]
    assert len(round2) == 2
    assert not [p for p in round2 if p in round1]
    clock.advance(weeks=1)
    mark = len(group_chat.sent)
    third = await rounds.run_round(cached_core, community)
    assert third == "Intro round: 0 groups from 4 participants, 4 unmatched."
    assert all("No good match" in s.text for s in group_chat.sent[mark:])
    clock.advance(weeks=10, days=1)  # 12 weeks and a day after round 1
    await rounds.run_round(cached_core, community)
    round4 = _pairs(cached_core)[len(round1) + len(round2) :]
    assert round4
    assert all(p in round1 for p in round4)


async def test_scheduled_round_runs_and_announces(
    cached_core: Core, group_chat: FakeAdapter, clock: Clock
) -> None:
    await _join(group_chat, {"ana": FOUNDER, "bo": INVESTOR})
    [refused] = await group_chat.say("ana", "/rounds schedule weekly")
    assert "admins only" in refused.text
    [bad] = await group_chat.say("admin", "/rounds schedule monthly")
    assert "weekly|biweekly" in bad.text
    [sent] = await group_chat.say("admin", "/rounds schedule weekly")
    assert (
        "Intro rounds scheduled: weekly mon 09:00 (UTC). First one: Mon 09 Nov 09:00" in sent.text
    )
    [status] = await group_chat.say("bo", "/rounds")
    assert "scheduled weekly mon 09:00" in status.text
    assert "2 members" in status.text
    await cached_core.feature(rounds.Rounds).start()
    scheduler = cached_core.feature(Scheduler)
    assert scheduler.kinds["rounds"] is rounds.run_scheduled_round
    clock.advance(days=6, hours=21, minutes=30)  # Monday 9 Nov, 09:30
    mark = len(group_chat.sent)
    ran = await scheduler.run_due(clock())
    assert [r.kind for r in ran] == ["rounds"]
    posted = [s for s in group_chat.sent[mark:] if s.target.chat == "general"]
    assert [s.text for s in posted] == [
        "Intro round: 1 group from 2 participants. Check your private messages."
    ]
    [off] = await group_chat.say("admin", "/rounds off")
    assert off.text == "Intro rounds stopped."
    [left] = await group_chat.say("bo", "/rounds leave")
    assert "left" in left.text
    [status] = await group_chat.say("bo", "/rounds")
    assert "not scheduled" in status.text
    assert "1 member" in status.text


async def test_round_follow_up_records_outcomes_and_eval_reports(
    cached_core: Core, group_chat: FakeAdapter, clock: Clock
) -> None:
    await _join(group_chat, {"ana": FOUNDER, "bo": INVESTOR})
    community = cached_core.store.community("fake:space-1", "")
    await rounds.run_round(cached_core, community)
    clock.advance(days=7)
    mark = len(group_chat.sent)
    assert await send_due_followups(cached_core) == 2
    ask = next(s for s in group_chat.sent[mark:] if s.target.user == "bo")
    assert "introduced to Ana" in ask.text
    await group_chat.press("bo", button(ask, "fu:", "not useful"))
    rows = cached_core.store.rows("SELECT * FROM match_outcomes WHERE answered_at IS NOT NULL")
    assert [(r["member"], r["met"], r["useful"]) for r in rows] == [
        (member_id(cached_core, "bo"), 1, 0)
    ]
    report = eval_matching(cached_core.store, community)
    assert "Intro rounds held: 1." in report
    assert "Follow-ups answered: 1/2 (50%); met 1/1 (100%), useful 0/1 (0%)" in report
    assert "Not enough outcomes to evaluate the re-ranker" in report


async def test_export_and_forget_leave_nothing(
    cached_core: Core, group_chat: FakeAdapter, clock: Clock
) -> None:
    await _join(group_chat, {"ana": FOUNDER, "bo": INVESTOR, "cy": MENTOR})
    community = cached_core.store.community("fake:space-1", "")
    ana = member_id(cached_core, "ana")
    await group_chat.say("ana", "/profile set links https://ana.example")
    sent = await group_chat.press("ana", f"intro:{member_id(cached_core, 'cy')}", direct=False)
    await group_chat.press("cy", button(sent[1], "introans:", "Accept"))
    await rounds.run_round(cached_core, community)  # pairs Ana with Bo (Cy was introduced)
    await group_chat.say("ana", "/block Bo")
    await group_chat.say("bo", "/block Ana")
    clock.advance(days=7)
    await send_due_followups(cached_core)
    ask = next(s for s in reversed(group_chat.sent) if s.target.user == "ana" and s.reply.buttons)
    await group_chat.press("ana", button(ask, "fu:", "useful"))
    profile = load_profile(cached_core.store, community, ana)
    assert profile is not None
    hashes = profile_hashes(profile)
    assert len(cached_core.store.get_many("fake-384", hashes)) == len(hashes)

    [export] = await group_chat.say("ana", "/export")
    assert export.reply.attachment is not None
    data = json.loads(export.reply.attachment.data)
    assert data["profile"]["headline"] == FOUNDER["headline"]
    assert data["profile"]["links"] == ["https://ana.example"]
    assert [r["status"] for r in data["intro_requests_sent"]] == ["introduced"]
    assert data["blocked_members"] == [member_id(cached_core, "bo")]
    assert data["match_history"]
    assert data["follow_ups"]
    assert data["outcomes"]
    assert data["intro_rounds"]["joined"] is True

    [confirm] = await group_chat.say("ana", "/forget")
    await group_chat.press("ana", button(confirm, "forget:yes"))
    needles = [FOUNDER["headline"], FOUNDER["offers"], FOUNDER["seeks"], "https://ana.example"]
    assert traces(cached_core.store, ana, needles) == []
    assert cached_core.store.get_many("fake-384", hashes) == {}
    for table, column in (("intro_requests", "from_member"), ("intro_requests", "to_member"),
                          ("match_blocks", "blocked_member"), ("match_history", "member_a"),
                          ("match_history", "member_b"), ("match_outcomes", "other_member")):  # fmt: skip
        assert not cached_core.store.scalar(
            f"SELECT count(*) FROM {table} WHERE {column} = ?", (ana,)
        ), table
    assert cached_core.store.scalar("SELECT count(*) FROM profiles") == 2  # bo and cy remain


def test_eval_on_a_database_without_matching_tables(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target: str | Path = tmp_path / "bare.db"
    if engine == "postgresql":  # not the shared database: it holds every feature's tables
        target = request.getfixturevalue("pg_server").new_database()
    store = Store(target)
    try:
        assert "No matching data in this database yet" in eval_matching(store, None)
    finally:
        store.close()
