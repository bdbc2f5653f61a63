"""Demo members: realistic profiles, later joiners, and planted complementary intro pairs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.demo.people import (
    CHECKS_BY_STAGE,
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    PRODUCTS,
    ROLE_TEMPLATES,
    fill,
    money,
    pick_region,
    pick_sector,
    slot_values,
)
from models.matching.profile import SECTORS, STAGES


@dataclass(frozen=True, slots=True)
class DemoMember:
    """One demo member and their matching profile (check sizes in $k, investors only).

    Founding members have `joined_at` before the demo's start; the others join during it.
    """

    name: str
    joined_at: datetime
    roles: frozenset[str]
    headline: str
    offers: str
    seeks: str
    sectors: frozenset[str]
    stage: str | None
    region: str | None  # where they are based: a city, as members type it
    check_min: int | None
    check_max: int | None
    serves: tuple[str, ...] = ()  # investors, mentors, partners: where they work


ROLE_MIX: tuple[tuple[str, float], ...] = (
    ("founder", 0.45),
    ("investor", 0.15),
    ("mentor", 0.15),
    ("partner", 0.1),
    ("talent", 0.15),
)
FOUNDING_SHARE = 0.62  # members already in the community when the demo window starts
PAIR_ROLES = ("investor", "mentor", "partner", "talent")


@dataclass(slots=True)
class _Draft:
    role: str
    sector: str
    stage: str
    region: str
    city: str = ""
    headline: str = ""
    offers: str = ""
    seeks: str = ""
    extra_role: str | None = None
    extra_sector: str | None = None


def _random_draft(rng: random.Random, role: str) -> _Draft:
    sector = pick_sector(rng, SECTORS)
    stage = rng.choices(STAGES, weights=(1, 3, 3, 2, 1))[0]
    draft = _Draft(role, sector, stage, pick_region(rng))
    values = slot_values(rng, sector, stage, draft.region)
    draft.city = values["city"]
    headlines, offers, seeks = ROLE_TEMPLATES[role]
    persona = rng.randrange(len(headlines))  # a headline and the offer that goes with it
    draft.headline = fill(rng, headlines[persona], values)
    draft.offers = fill(rng, offers[persona % len(offers)], values)
    draft.seeks = fill(rng, rng.choice(seeks), values)
    if role in ("investor", "mentor", "partner") or rng.random() < 0.2:
        draft.extra_sector = pick_sector(rng, SECTORS)
    if role == "mentor" and rng.random() < 0.3:
        draft.extra_role = "investor"  # many mentors also write angel checks
    return draft


def _a(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def _pair_drafts(rng: random.Random, other_role: str) -> tuple[_Draft, _Draft]:
    """A founder and a counterpart whose profiles were written to fit each other."""
    sector = pick_sector(rng, SECTORS)
    stage = rng.choice(("pre-seed", "seed", "series-a"))
    region = pick_region(rng)
    product = rng.choice(PRODUCTS[sector])
    label = "AI" if sector == "ai" else sector
    lo, hi = CHECKS_BY_STAGE[stage]
    founder = _Draft("founder", sector, stage, region, rng.choice(CITIES[region]))
    founder.headline = f"Founder & CEO, {product} ({label})"
    other = _Draft(other_role, sector, stage, region, founder.city)  # met locally
    if other_role == "investor":
        founder.seeks = f"A lead investor for our {money(hi * 2)} {stage} round in {label}"
        founder.offers = f"Early revenue and a strong team building {product}, happy to share data"
        other.headline = f"Partner at {_a(label)} {label} fund, leads {stage} rounds in {region}"
        other.offers = (
            f"Leads {stage} rounds in {label} startups in {region}, {money(lo)}-{money(hi)} checks"
        )
        other.seeks = f"{stage.capitalize()} {label} founders raising their round, e.g. {product}"
    elif other_role == "mentor":
        founder.seeks = f"A mentor who has scaled enterprise sales of {label} software"
        founder.offers = f"Insights from 40 customer interviews about {product}"
        other.headline = f"Former VP Sales at {_a(label)} {label} scale-up, advisor"
        other.offers = (
            f"Coaching on enterprise sales, pricing and first sales hires for {label} founders"
        )
        other.seeks = (
            f"{label[0].upper() + label[1:]} founders at {stage} who are starting enterprise sales"
        )
    elif other_role == "partner":
        founder.seeks = f"A paid pilot and distribution partner in {label}"
        founder.offers = f"A working product, {product}, ready for a pilot"
        other.headline = f"Innovation lead at a large {label} company in {region}"
        other.offers = f"Paid pilots and distribution to our {label} customers for startups"
        other.seeks = f"{label[0].upper() + label[1:]} startups with a product ready to pilot"
    else:
        founder.seeks = f"A founding machine learning engineer to build {product}"
        founder.offers = f"Founding engineer equity and ownership of the ML stack for {product}"
        other.headline = f"Senior ML engineer, 7 years in {label}"
        other.offers = f"Machine learning engineering: models, pipelines and evaluation for {label}"
        other.seeks = f"A founding engineer role at a {stage} {label} startup"
    return founder, other


def make_members(
    rng: random.Random, count: int, start: datetime, end: datetime, pairs: int
) -> tuple[list[DemoMember], list[tuple[int, int]]]:
    """Members in joining order plus the planted intro pairs (indexes into that list)."""
    drafts: list[_Draft] = []
    for k in range(pairs):
        drafts.extend(_pair_drafts(rng, PAIR_ROLES[k % len(PAIR_ROLES)]))
    roles = [r for r, _ in ROLE_MIX]
    weights = [w for _, w in ROLE_MIX]
    drafts.extend(
        _random_draft(rng, rng.choices(roles, weights)[0]) for _ in range(count - len(drafts))
    )
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    chosen = rng.sample(names, count)
    span = (end - start).total_seconds()
    joins: list[datetime] = []
    for _ in range(count):
        if rng.random() < FOUNDING_SHARE:
            joins.append(start - timedelta(days=rng.uniform(0.0, 120.0)))
        else:  # later joiners, slightly more towards the end as the community grows
            joins.append(start + timedelta(seconds=span * rng.random() ** 0.8))
    order = sorted(range(count), key=lambda i: joins[i])
    position = {old: new for new, old in enumerate(order)}
    members = [_finish(rng, drafts[i], chosen[i], joins[i]) for i in order]
    intros = [(position[2 * k], position[2 * k + 1]) for k in range(pairs)]
    return members, intros


def _finish(rng: random.Random, draft: _Draft, name: str, joined: datetime) -> DemoMember:
    roles = {draft.role} | ({draft.extra_role} if draft.extra_role else set())
    sectors = {draft.sector} | ({draft.extra_sector} if draft.extra_sector else set())
    check_min = check_max = None
    if "investor" in roles:
        check_min, check_max = CHECKS_BY_STAGE[draft.stage]
    has_stage = draft.role in ("founder", "investor") or rng.random() < 0.5
    return DemoMember(
        name=name,
        joined_at=joined,
        roles=frozenset(roles),
        headline=draft.headline,
        offers=draft.offers,
        seeks=draft.seeks,
        sectors=frozenset(sectors),
        stage=draft.stage if has_stage else None,
        region=draft.city or None,
        check_min=check_min,
        check_max=check_max,
        serves=(draft.region,) if roles & {"investor", "mentor", "partner"} else (),
    )
