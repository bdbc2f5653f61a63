"""A deterministic demo community: members, ~8 weeks of chat, reactions and what was planted.

`generate(seed, end=...)` builds a realistic startup community (profiles, evergreen chatter,
short replies, intros of new members) with planted topics that rise and fade in known weeks and
planted complementary member pairs, so topic extraction and matching can be checked against
ground truth. The same (seed, end) always gives the same community.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.demo.chatter import (
    BACKGROUND,
    CHANNEL_WEIGHTS,
    CHANNELS,
    CLOSERS,
    CONTEXTS,
    FILLERS,
    GREETINGS,
    INTRO_TEMPLATES,
    OPENERS,
    QUESTION_CLOSERS,
    QUESTION_OPENERS,
    SHORT_REPLIES,
)
from bot.demo.members import DemoMember, make_members
from bot.demo.planted import TOPIC_SPECS, TopicSpec

__all__ = [
    "DemoCommunity",
    "DemoMember",
    "DemoMessage",
    "DemoReaction",
    "Planted",
    "PlantedTopic",
    "generate",
    "to_json",
]

HOUR_WEIGHTS = (  # UTC; the community spans Europe and the Americas
    1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.2, 3.5, 3.4,
    3.2, 3.3, 3.6, 3.8, 3.7, 3.4, 3.0, 2.6, 2.2, 1.8, 1.5, 1.2,
)  # fmt: skip
WEEKDAY_FACTOR = (1.1, 1.15, 1.15, 1.1, 1.0, 0.6, 0.55)  # Monday..Sunday
PEAK_TOPIC_SHARE = 0.065  # share of a day's messages a hot planted topic takes
SHORT_REPLY_SHARE = 0.2
GREETING_SHARE = 0.03
INTRO_PAIRS = 12
NAMES = ("Founders Commons", "Launchpad Collective", "Seed Street", "The Builders Guild")


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """A chat message; `member` indexes `DemoCommunity.members`."""

    member: int
    at: datetime
    chat: str
    text: str


@dataclass(frozen=True, slots=True)
class DemoReaction:
    """An emoji reaction by `member` in `chat` at `at`."""

    member: int
    at: datetime
    chat: str


@dataclass(frozen=True, slots=True)
class PlantedTopic:
    """A topic the generator planted; weeks are indexes 0..weeks-1 from `DemoCommunity.start`."""

    name: str
    keywords: tuple[str, ...]
    rises_in_week: int
    fades_in_week: int | None


@dataclass(frozen=True, slots=True)
class Planted:
    """Ground truth: planted topics, and member index pairs written to be complementary."""

    topics: list[PlantedTopic]
    intros: list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class DemoCommunity:
    """The whole demo: members in joining order, messages and reactions in time order."""

    name: str
    start: datetime
    end: datetime
    members: list[DemoMember]
    messages: list[DemoMessage]
    reactions: list[DemoReaction]
    planted: Planted


class _Slots(dict[str, str]):
    """Template fillers, picked at random on first use and stable within one message."""

    def __init__(self, rng: random.Random, values: dict[str, str]) -> None:
        super().__init__(values)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = self.rng.choice(FILLERS[key])
        self[key] = value
        return value


def _topic_level(spec: TopicSpec, day: int) -> float:
    """How hot a planted topic is on a day, 0..1 (a trickle before it rises)."""
    week = day // 7
    if spec.fades_in_week is not None and week >= spec.fades_in_week:
        return 0.12
    if week < spec.rises_in_week:
        return 0.03
    if week == spec.rises_in_week:
        return 0.6 + 0.4 * (day % 7) / 6
    return 1.0


def _casual(rng: random.Random, text: str) -> str:
    """Vary capitalization and punctuation the way people type in chat."""
    if rng.random() < 0.2 and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    if rng.random() < 0.15 and text[-1] in ".!?":
        text = text[:-1]
    return text


def _compose(rng: random.Random, template: str, slots: _Slots) -> str:
    """Fill a template and sometimes wrap it in a chatty opener or closer."""
    body = _casual(rng, template.format_map(slots))
    question = "?" in body
    roll = rng.random()
    if roll < 0.3:
        opener = rng.choice(QUESTION_OPENERS if question else OPENERS)
        if opener[-2] != "!" and body[:2] != "I " and not body[:2].isupper():
            body = body[0].lower() + body[1:]
        body = opener + body
    elif roll < 0.55:
        closer = rng.choice(QUESTION_CLOSERS if question else CLOSERS).lstrip()
        sep = ". " if body[-1].isalnum() and closer[0].isupper() else " "
        body = body + sep + closer
    roll = rng.random()
    if roll < 0.1:
        body = f"@{slots['first']} " + body
    elif roll < 0.35:
        body = body + rng.choice(CONTEXTS).format_map(slots)
    return body


def generate(
    seed: int = 7,
    *,
    end: datetime,
    weeks: int = 8,
    members: int = 150,
    messages_per_day: int = 360,
) -> DemoCommunity:
    """Build the demo community whose `weeks` weeks of chat finish at `end` (aware, UTC).

    Raises:
        ValueError: with one sentence saying which argument is wrong.
    """
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be a timezone-aware datetime (UTC).")
    if weeks < 1 or not 2 * INTRO_PAIRS <= members <= 2000 or messages_per_day < 1:
        raise ValueError(
            f"need weeks >= 1, {2 * INTRO_PAIRS} <= members <= 2000 and messages_per_day >= 1."
        )
    rng = random.Random(seed)
    days = weeks * 7
    start = end - timedelta(days=days)
    people, intros = make_members(rng, members, start, end, INTRO_PAIRS)
    first_names = [m.name.split()[0] for m in people]
    activity = [rng.paretovariate(1.3) for _ in people]
    specs = [s for s in TOPIC_SPECS if s.rises_in_week < weeks]
    messages: list[DemoMessage] = []
    reactions: list[DemoReaction] = []
    hours = range(24)
    joined_idx = sum(m.joined_at < start for m in people)  # founding members, already in
    for day in range(days):
        day_start = start + timedelta(days=day)
        day_end = day_start + timedelta(days=1)
        ready = joined_idx  # members who joined before today can post all day
        while joined_idx < len(people) and people[joined_idx].joined_at < day_end:
            joined_idx += 1
        for member in range(ready, joined_idx):  # today's newcomers introduce themselves
            person = people[member]
            slots = _Slots(rng, {"me": person.name, "my_headline": person.headline})
            text = rng.choice(INTRO_TEMPLATES).format_map(slots)
            at = max(person.joined_at, day_start) + timedelta(minutes=rng.uniform(2, 90))
            messages.append(DemoMessage(member, at, "general", text))
        if ready == 0:
            continue
        eligible = range(ready)
        cum = list(_accumulate(activity[:ready]))
        trend = 0.85 + 0.3 * day / max(days - 1, 1)
        noise = math.exp(rng.gauss(0.0, 0.12))
        count = round(messages_per_day * trend * WEEKDAY_FACTOR[day_start.weekday()] / 0.95 * noise)
        shares = [PEAK_TOPIC_SHARE * _topic_level(s, day) for s in specs]
        for _ in range(count):
            at = day_start + timedelta(
                hours=rng.choices(hours, HOUR_WEIGHTS)[0], seconds=rng.uniform(0, 3600)
            )
            member = rng.choices(eligible, cum_weights=cum)[0]
            slots = _Slots(rng, {"first": first_names[rng.randrange(ready)]})
            roll = rng.random()
            for spec, share in zip(specs, shares, strict=True):
                if roll < share:
                    chat = rng.choice(spec.channels)
                    text = _compose(rng, rng.choice(spec.templates), slots)
                    break
                roll -= share
            else:
                chat = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
                if roll < SHORT_REPLY_SHARE:
                    text = rng.choice(SHORT_REPLIES)
                elif roll < SHORT_REPLY_SHARE + GREETING_SHARE:
                    chat, text = "general", rng.choice(GREETINGS).format_map(slots)
                else:
                    text = _compose(rng, rng.choice(BACKGROUND[chat]), slots)
            messages.append(DemoMessage(member, at, chat, text))
            for _ in range(rng.choices((0, 1, 2, 3), (0.55, 0.3, 0.1, 0.05))[0]):
                who = rng.choices(eligible, cum_weights=cum)[0]
                reactions.append(
                    DemoReaction(who, at + timedelta(minutes=rng.expovariate(1 / 30)), chat)
                )
    messages.sort(key=lambda m: m.at)
    reactions = sorted((r for r in reactions if r.at < end), key=lambda r: r.at)
    messages = [m for m in messages if m.at < end]
    planted = Planted(
        topics=[PlantedTopic(s.name, s.keywords, s.rises_in_week, s.fades_in_week) for s in specs],
        intros=intros,
    )
    return DemoCommunity(rng.choice(NAMES), start, end, people, messages, reactions, planted)


def _accumulate(values: list[float]) -> list[float]:
    total = 0.0
    out = []
    for v in values:
        total += v
        out.append(total)
    return out


def week_of(community: DemoCommunity, at: datetime) -> int:
    """The demo week index (0..weeks-1) a timestamp falls in; before the start counts as 0."""
    return max(0, int((at - community.start).total_seconds() // (7 * 86400)))


def to_json(community: DemoCommunity) -> dict[str, Any]:
    """A JSON-ready dict of the whole community (datetimes as ISO 8601 strings)."""

    def member(m: DemoMember) -> dict[str, Any]:
        return {
            "name": m.name,
            "joined_at": m.joined_at.isoformat(),
            "roles": sorted(m.roles),
            "headline": m.headline,
            "offers": m.offers,
            "seeks": m.seeks,
            "sectors": sorted(m.sectors),
            "stage": m.stage,
            "region": m.region,
            "serves": list(m.serves),
            "check_min": m.check_min,
            "check_max": m.check_max,
        }

    return {
        "name": community.name,
        "start": community.start.isoformat(),
        "end": community.end.isoformat(),
        "members": [member(m) for m in community.members],
        "messages": [
            {"member": m.member, "at": m.at.isoformat(), "chat": m.chat, "text": m.text}
            for m in community.messages
        ],
        "reactions": [
            {"member": r.member, "at": r.at.isoformat(), "chat": r.chat}
            for r in community.reactions
        ],
        "planted": {
            "topics": [
                {
                    "name": t.name,
                    "keywords": list(t.keywords),
                    "rises_in_week": t.rises_in_week,
                    "fades_in_week": t.fades_in_week,
                }
                for t in community.planted.topics
            ],
            "intros": [list(pair) for pair in community.planted.intros],
        },
    }
