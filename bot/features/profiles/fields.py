"""Profile fields: parsing what a member types into a `Profile`, with limits and clear errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.commands import CommandError
from models.matching.profile import ROLE_HELP, ROLES, SECTORS, STAGES, Profile

LIMITS = {
    "headline": 120,
    "offers": 500,
    "seeks": 500,
    "based_in": 60,
    "excludes": 300,
    "portfolio": 300,
}
MAX_LINKS, LINK_CHARS = 3, 200
MAX_TAGS, TAG_CHARS = 10, 30
MAX_SECTORS = 5
MAX_SERVES, SERVE_CHARS = 10, 40
ALIASES = {"region": "based_in"}  # the field's old name still works
MAX_CHECK_K = 10_000_000
CLEAR_WORDS = {"none", "-", "clear"}
_LIST_SPLIT = re.compile(r"[,\s]+")
_AMOUNT = re.compile(r"^\$?(\d+(?:\.\d+)?)\s*([km]?)$", re.IGNORECASE)

FIELD_HELP: dict[str, str] = {
    "roles": f"one or more of: {', '.join(ROLES)}",
    "headline": "one line about you (up to 120 characters)",
    "offers": "what you can offer others (up to 500 characters)",
    "seeks": "what you are looking for (up to 500 characters)",
    "sectors": f"up to {MAX_SECTORS} of: {', '.join(SECTORS)}",
    "tags": "up to 10 short keywords, comma separated",
    "stage": f"one of: {', '.join(STAGES)}",
    "based_in": "where you are based, as you would say it: Berlin, Germany · Lisboa · remote",
    "serves": "investors, partners, mentors: where you invest or work, comma separated "
    "(countries or regions like Europe, Southeast Asia, East Africa; or global)",
    "excludes": "what you do NOT want or offer, e.g. 'no crypto, no pre-revenue' "
    "(up to 300 characters)",
    "portfolio": "investors: companies you back, 'Name (what it does); ...' (up to 300 "
    "characters), so direct competitors are not suggested to you",
    "checks": "check size or round in $k, e.g. 25-250 (or $25k-$2.5M)",
    "links": "up to 3 web links (https://…), separated by spaces",
    "visible": "on or off: whether others can see your profile and be suggested to you",
}
FIELDS: tuple[str, ...] = tuple(FIELD_HELP)


def _words(value: str) -> list[str]:
    return [w for w in _LIST_SPLIT.split(value.strip().lower()) if w]


# Words members use for a role ("/profile set roles angel" means investor).
ROLE_WORDS = {
    "investors": "investor", "angel": "investor", "vc": "investor", "fund": "investor",
    "founders": "founder", "ceo": "founder", "cofounder": "founder",
    "advisor": "mentor", "adviser": "mentor", "mentors": "mentor", "expert": "mentor",
    "partners": "partner", "corporate": "partner", "service": "partner",
    "engineer": "talent", "developer": "talent", "designer": "talent", "hire": "talent",
}  # fmt: skip


def parse_roles(value: str) -> frozenset[str]:
    roles = [ROLE_WORDS.get(r, r) for r in _words(value)]
    bad = [r for r in roles if r not in ROLES]
    if bad:
        valid = "; ".join(f"{r} ({ROLE_HELP[r]})" for r in ROLES)
        raise CommandError(f"Unknown role {bad[0]!r}. Valid roles: {valid}.")
    if not roles:
        raise CommandError(f"Give at least one role: {', '.join(ROLES)}.")
    return frozenset(roles)


def parse_sectors(value: str) -> frozenset[str]:
    sectors = _words(value)
    bad = [s for s in sectors if s not in SECTORS]
    if bad or not sectors:
        what = f"Unknown sector {bad[0]!r}. " if bad else ""
        raise CommandError(f"{what}Valid sectors: {', '.join(SECTORS)}.")
    if len(set(sectors)) > MAX_SECTORS:
        raise CommandError(f"Pick at most {MAX_SECTORS} sectors (you gave {len(set(sectors))}).")
    return frozenset(sectors)


def parse_tags(value: str) -> frozenset[str]:
    tags = [t.strip().lower() for t in value.split(",") if t.strip()]
    if len(tags) > MAX_TAGS:
        raise CommandError(f"At most {MAX_TAGS} tags, please (you gave {len(tags)}).")
    long = [t for t in tags if len(t) > TAG_CHARS]
    if long:
        raise CommandError(f"Tag {long[0][:40]!r} is too long: at most {TAG_CHARS} characters.")
    return frozenset(tags)


def parse_stage(value: str) -> str:
    stage = value.strip().lower().replace(" ", "-")
    if stage not in STAGES:
        raise CommandError(f"Unknown stage {value!r}. Valid stages: {', '.join(STAGES)}.")
    return stage


def _amount(text: str) -> int:
    m = _AMOUNT.match(text.strip().replace(",", ""))
    if not m:
        raise CommandError(
            f"{text!r} is not an amount. Write checks in $k like 25-250, or $25k-$2.5M."
        )
    number, unit = float(m.group(1)), m.group(2).lower()
    amount = number * 1000 if unit == "m" else number
    if not math.isfinite(amount) or amount > MAX_CHECK_K:  # 1-999…9 parses as infinity
        raise CommandError("That check size is larger than any round; amounts are in $k.")
    return round(amount)


def parse_checks(value: str) -> tuple[int, int]:
    parts = [p for p in re.split(r"\s*(?:-|–|to)\s*", value.strip()) if p]
    if not 1 <= len(parts) <= 2:
        raise CommandError("Write checks as a range in $k, like 25-250.")
    low, high = _amount(parts[0]), _amount(parts[-1])
    if low > high:
        raise CommandError(f"The range {value!r} goes down; write the smaller amount first.")
    if high > MAX_CHECK_K:
        raise CommandError("That check size is larger than any round; amounts are in $k.")
    return low, high


def parse_links(value: str) -> tuple[str, ...]:
    links = value.split()
    if len(links) > MAX_LINKS:
        raise CommandError(f"At most {MAX_LINKS} links, please (you gave {len(links)}).")
    for link in links:
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", link):
            raise CommandError(f"{link[:60]!r} is not a web link; it must start with https://.")
        if len(link) > LINK_CHARS:
            raise CommandError(f"A link can be at most {LINK_CHARS} characters.")
    return tuple(links)


def parse_visible(value: str) -> bool:
    word = value.strip().lower()
    if word in ("on", "yes", "true", "visible"):
        return True
    if word in ("off", "no", "false", "hidden"):
        return False
    raise CommandError("visible must be on or off.")


def parse_serves(value: str) -> tuple[str, ...]:
    items = [i.strip() for i in re.split(r"[,;，、]", value) if i.strip()]
    if len(items) > MAX_SERVES:
        raise CommandError(f"At most {MAX_SERVES} places, please (you gave {len(items)}).")
    long = [i for i in items if len(i) > SERVE_CHARS]
    if long:
        raise CommandError(f"{long[0][:40]!r} is too long for a place: at most {SERVE_CHARS}.")
    return tuple(dict.fromkeys(items))


def text_parser(name: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        text = " ".join(value.split()) if name in ("headline", "based_in") else value.strip()
        if len(text) > LIMITS[name]:
            raise CommandError(
                f"{name} is {len(text)} characters; the limit is {LIMITS[name]}. Please shorten it."
            )
        return text

    return parse


PARSERS: dict[str, Callable[[str], Any]] = {
    "roles": parse_roles,
    "headline": text_parser("headline"),
    "offers": text_parser("offers"),
    "seeks": text_parser("seeks"),
    "sectors": parse_sectors,
    "tags": parse_tags,
    "stage": parse_stage,
    "based_in": text_parser("based_in"),
    "serves": parse_serves,
    "excludes": text_parser("excludes"),
    "portfolio": text_parser("portfolio"),
    "checks": parse_checks,
    "links": parse_links,
    "visible": parse_visible,
}
_EMPTY: dict[str, dict[str, Any]] = {
    "roles": {"roles": frozenset()},
    "headline": {"headline": ""},
    "offers": {"offers": ""},
    "seeks": {"seeks": ""},
    "sectors": {"sectors": frozenset()},
    "tags": {"tags": frozenset()},
    "stage": {"stage": None},
    "based_in": {"region": None},
    "serves": {"serves": ()},
    "excludes": {"excludes": ""},
    "portfolio": {"portfolio": ""},
    "checks": {"check_min": None, "check_max": None},
    "links": {"links": ()},
}


def apply(profile: Profile, name: str, value: Any) -> Profile:
    """The profile with one parsed field value set (None clears it)."""
    if value is None:
        if name not in _EMPTY:
            raise CommandError(f"{name} cannot be cleared; set it to on or off.")
        return replace(profile, **_EMPTY[name])
    if name == "checks":
        return replace(profile, check_min=value[0], check_max=value[1])
    if name == "based_in":
        return replace(profile, region=value or None)
    return replace(profile, **{name: value})


def set_field(profile: Profile, name: str, raw: str) -> Profile:
    """Parse `raw` for field `name` and return the updated profile; 'none' clears a field."""
    name = ALIASES.get(name, name)
    if name not in PARSERS:
        raise CommandError(f"Unknown field {name!r}. Fields: {', '.join(FIELDS)}.")
    if raw.strip().lower() in CLEAR_WORDS:
        return apply(profile, name, None)
    return apply(profile, name, PARSERS[name](raw))


def money(k: int) -> str:
    return f"${k / 1000:g}M" if k >= 1000 else f"${k}k"


def describe(p: Profile, *, private: bool = False) -> tuple[tuple[str, str], ...]:
    """The profile as (field, value) pairs for display; empty fields are left out."""
    rows: list[tuple[str, str]] = []
    if p.roles:
        rows.append(("Roles", ", ".join(r for r in ROLES if r in p.roles)))
    for label, value in (("Offers", p.offers), ("Seeks", p.seeks)):
        if value:
            rows.append((label, value))
    if p.sectors:
        rows.append(("Sectors", ", ".join(sorted(p.sectors))))
    if p.stage:
        rows.append(("Stage", p.stage))
    if p.region:
        rows.append(("Based in", p.region))
    if p.serves:
        rows.append(("Serves", ", ".join(p.serves)))
    if p.excludes:
        rows.append(("Does not want or offer", p.excludes))
    if p.portfolio:
        rows.append(("Portfolio", p.portfolio))
    if p.check_min is not None and p.check_max is not None:
        rows.append(("Checks", f"{money(p.check_min)}–{money(p.check_max)}"))
    if p.tags:
        rows.append(("Tags", ", ".join(sorted(p.tags))))
    if p.links:
        rows.append(("Links", " ".join(p.links)))
    if private:
        rows.append(("Visible", "on" if p.visible else "off (never suggested, /whois hides it)"))
    return tuple(rows)
