"""Follow-ups after an intro or a round ("did you meet? was it useful?"), the outcomes they
record, and the learned re-ranker those outcomes feed once it beats the plain ranking."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.commands import parse_id
from bot.features.matching.intro_store import (
    DAY,
    WEEK,
    answer_followup,
    due_followups,
    followup_partners,
    get_followup,
    mark_followup_sent,
    outcomes,
    plan_followup,
)
from bot.features.matching.service import service
from bot.features.profiles.store import load_profile
from bot.replies import Button, Reply, Visibility
from bot.storage.activity import messages_per_member
from bot.storage.store import Store
from models.matching.matcher import Suggestion
from models.matching.rerank import Outcome, ReRanker, evaluate, sector_overlap, stage_fit

if TYPE_CHECKING:
    from bot.context import Answer, Context
    from bot.core import Core
    from models.matching.profile import Profile

FOLLOW_UP_AFTER = WEEK
ACTIVITY_DAYS = 30
ANSWERS = {
    "yes": ("Met, it was useful", 1, 1),
    "meh": ("Met, not useful", 1, 0),
    "no": ("We didn't meet", 0, 0),
}


def activity_levels(store: Store, community: int, now: int) -> dict[int, float]:
    """Each member's messages over the last 30 days relative to the most active member (0-1).

    Members without messages are absent (level 0).
    """
    counts = messages_per_member(store, community, now - ACTIVITY_DAYS * DAY)
    top = max(counts.values(), default=0)
    return {m: n / top for m, n in counts.items()} if top else {}


def expect_outcomes(
    store: Store,
    community: int,
    member: int,
    others: Sequence[tuple[int, float, float]],
    ref: str,
    now: int,
    levels: dict[int, float] | None = None,
) -> None:
    """Plan a follow-up for `member` about partners (other, fit_ab, fit_ba) met under `ref`.

    The features the re-ranker learns from are recorded now, as they were when the pair
    was made; the answer fills in `met` and `useful`. `levels` are `activity_levels`
    (computed here when not given).
    """
    if levels is None:
        levels = activity_levels(store, community, now)
    a = load_profile(store, community, member)
    rows = []
    for other, fit_ab, fit_ba in others:
        b = load_profile(store, community, other)
        overlap = sector_overlap(a, b) if a and b else 0.0
        stage = stage_fit(a, b) if a and b else 0.0
        level = levels.get(other, 0.0)
        rows.append((community, member, other, ref, fit_ab, fit_ba, overlap, stage, level, now))
    plan_followup(store, community, member, ref, now + FOLLOW_UP_AFTER, rows)


async def send_due_followups(core: Core) -> int:
    """Send every follow-up that is due; returns how many were delivered."""
    store = core.store
    now = int(core.clock().timestamp())
    sent = 0
    for row in due_followups(store, now):
        names = followup_partners(store, row["member"], row["ref"])
        target = core.dm_target(row["member"])
        delivered = False
        if names and target is not None:
            who = " and ".join(names)
            reply = Reply(
                f"A week ago you were introduced to {who}. Did you meet, and was it useful? "
                "Your answer helps Convene suggest better matches.",
                title="How did your intro go?",
                buttons=tuple(
                    Button(label, f"fu:{row['id']}:{key}") for key, (label, _, _) in ANSWERS.items()
                ),
                to=target,
                visibility=Visibility.DM,
                community=row["community"],
            )
            delivered = await core.send(reply)
            sent += int(delivered)
        if delivered or not names or target is None:
            mark_followup_sent(store, row["id"], now)
    return sent


async def followup_pressed(ctx: Context, payload: str) -> Answer:
    """Record a follow-up answer as outcomes; a second press changes nothing."""
    ident, _, answer = payload.partition(":")
    number = parse_id(ident)
    if number is None or answer not in ANSWERS:
        return ctx.private("That button has expired.")
    row = get_followup(ctx.store, number)
    if row is None or row["member"] != ctx.member:
        return ctx.private("That button belongs to someone else.")
    if row["answered_at"] is not None:
        return ctx.private(f"You already answered ({ANSWERS[row['answer']][0].lower()}). Thanks!")
    _, met, useful = ANSWERS[answer]
    now = int(ctx.now.timestamp())
    answer_followup(ctx.store, row, answer, met, useful, now)
    return ctx.private("Thanks, noted! It helps Convene suggest better intros.")


# -- learning -------------------------------------------------------------------------------


def training_outcomes(store: Store, community: int | None) -> list[Outcome]:
    """Answered outcomes of pairs that met, as re-ranker examples."""
    keys = ("fit_ab", "fit_ba", "sector_overlap", "stage_fit", "activity")
    return [
        Outcome(*(float(r[k]) for k in keys), useful=bool(r["useful"]))
        for r in outcomes(store, community)
        if r["met"]
    ]


async def reranker(core: Core, community: int) -> ReRanker | None:
    """A re-ranker fitted on the community's outcomes, or None while it does not beat the
    plain ranking out of fold. Kept by the match service until the outcomes change."""
    cache = service(core).rerankers
    examples = training_outcomes(core.store, community)
    key = hash(tuple(examples))
    found = cache.get(community)
    if found is not None and found[0] == key:
        return found[1]

    def fit() -> ReRanker | None:
        if not evaluate(examples).should_use:
            return None
        return ReRanker().fit(examples)

    model = await asyncio.to_thread(fit)
    cache[community] = (key, model)
    return model


def suggestion_features(
    store: Store, community: int, a: Profile, found: Sequence[tuple[Suggestion, Profile]], now: int
) -> np.ndarray:
    """Re-ranker feature rows for suggestions of profiles to `a`."""
    levels = activity_levels(store, community, now)
    rows: list[list[Any]] = [
        [s.fit_ab, s.fit_ba, sector_overlap(a, b), stage_fit(a, b), levels.get(b.member, 0.0)]
        for s, b in found
    ]
    return np.array(rows, dtype=np.float64).reshape(-1, 5)
