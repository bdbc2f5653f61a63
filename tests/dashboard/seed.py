"""Building small communities for the dashboard tests: members, messages, intros, events."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core import Core
from bot.features.events import store as events
from bot.features.matching.intro_store import add_history, create_request, decide
from bot.features.matching.outcomes import expect_outcomes
from bot.features.profiles.store import save_profile
from bot.storage.store import ACTIVITY_KINDS
from models.matching.profile import Profile

DAY = 86400


def ts(day: str, hour: int = 12) -> int:
    """A UTC timestamp: `ts("2026-10-05", 9)`."""
    return int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp())


def member(core: Core, community: int, name: str, joined: int, *, role: str | None = None) -> int:
    m = core.store.member(community, "fake", name.lower(), name, joined).id
    core.store.set_member(m, joined_at=joined, first_seen=joined)
    if role:
        profile = Profile(member=m, name=name, roles=frozenset({role}), headline=f"{name} here")
        save_profile(core.store, community, profile, joined)
    return m


def say(
    core: Core, community: int, who: int, at: int, text: str = "hello", chat: str = "general"
) -> None:
    c = core.store.chat(community, "fake", chat, chat)
    core.store.add_activity(community, who, c, at, ACTIVITY_KINDS["message"], len(text), text)


def intro(
    core: Core,
    community: int,
    a: int,
    b: int,
    at: int,
    status: str = "pending",
    *,
    met: bool | None = None,
    useful: bool | None = None,
) -> int:
    """An intro request from a to b, decided and followed up as asked."""
    request = create_request(core.store, community, a, b, at, (0.5, 0.5, 0.5))
    if status != "pending":
        decide(core.store, request, status, at + 3600)
    if status == "accepted" and met is not None:
        ref = f"intro:{request}"
        add_history(core.store, community, [(a, b, 0.5, 0.5, 0.5)], ref, at + 3600)
        expect_outcomes(core.store, community, a, [(b, 0.5, 0.5)], ref, at + 3600)
        with core.store.transaction() as c:  # the member pressed "met" / "useful"
            c.execute(
                "UPDATE match_outcomes SET met = ?, useful = ?, answered_at = ? WHERE ref = ?",
                (int(met), int(bool(useful)), at + 7 * DAY, ref),
            )
    return request


def event(
    core: Core, community: int, title: str, starts: int, rsvps: list[int], came: list[int]
) -> int:
    e = events.create_event(core.store, community, title, starts, rsvps[0], starts - 7 * DAY)
    for m in rsvps:
        events.add_rsvp(core.store, e, m, starts - DAY)
    for m in came:
        events.check_in(core.store, e, m, starts + 600)
    return e.id


def posted_digest(core: Core, community: int, due: int, status: str = "sent") -> None:
    """A weekly digest run as the scheduler records it (claimed, then finished)."""
    from dataclasses import replace

    from bot.replies import Target
    from bot.scheduling.store import claim, finish, save_schedule

    row = save_schedule(
        core.store,
        community,
        "digest",
        "weekly mon 09:00",
        "UTC",
        Target("fake", chat="general"),
        None,
        due,
    )
    when = datetime.fromtimestamp(due, UTC)
    assert claim(core.store, row, when, due)
    finish(core.store, replace(row, due=when), status, due + 30)
