"""Reading a labelled matching set (tests/data/eval_*.json) through `/profile set` parsing,
and `convene eval matching --set FILE`: the matcher beside a plain cosine baseline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.commands import CommandError
from bot.features.profiles.fields import PARSERS, set_field
from models.matching.evaluate import (
    CosineBaseline,
    HonestyChecker,
    LabelledSet,
    encode_all,
    evaluate,
    quotes_of,
    rank_all,
    related_floor,
)
from models.matching.languages import language_note
from models.matching.matcher import Matcher
from models.matching.profile import Profile
from models.matching.types import TextEncoder

# What a set may call a field, and the /profile field it is typed into.
ALIASES = {
    "region": "based_in",
    "invests_in": "serves",
    "exclusions": "excludes",
    "checks_k": "checks",
}


class SetError(ValueError):
    """A labelled set that cannot be read; the message names the file and the place."""


def _typed(value: Any, name: str = "") -> str:
    if isinstance(value, list):
        sep = "; " if name in ("excludes", "portfolio", "offers", "seeks") else ", "
        return sep.join(str(v) for v in value)
    return str(value)


def _known(name: str, raw: str, warnings: list[str], member: int) -> str:
    """For list fields, keep the values the field knows and warn about the rest, as a member
    fixing a typo would; other fields are typed as they are."""
    if name not in ("roles", "sectors"):
        return raw
    kept = []
    for word in re.split(r"[,\s]+", raw.strip()):
        if not word:
            continue
        try:
            PARSERS[name](word)
            kept.append(word)
        except CommandError:
            warnings.append(f"member {member}, {name}: {word!r} is not a known value; left out")
    return ", ".join(kept)


def profile_from(row: dict[str, Any], warnings: list[str]) -> tuple[Profile, str]:
    """A profile built field by field as a member would type it; returns (profile, excludes)."""
    try:
        p = Profile(int(row["member"]), str(row.get("name") or f"member {row['member']}"))
    except (KeyError, TypeError, ValueError) as exc:
        raise SetError(f"a profile has no numeric 'member' ({exc})") from exc
    typed: dict[str, str] = {}
    spill: list[str] = []
    if "check_min" in row or "check_max" in row:
        lo, hi = (
            row.get("check_min", row.get("check_max")),
            row.get("check_max", row.get("check_min")),
        )
        typed["checks"] = f"{lo}-{hi}"
    for key, value in row.items():
        if key in ("member", "name", "check_min", "check_max") or value in (None, "", []):
            continue
        name = ALIASES.get(key, key)
        if name not in PARSERS and name == "based_in" and "region" in PARSERS:
            name = "region"
        if name in PARSERS:
            typed[name] = _known(name, _typed(value, name), warnings, p.member)
        else:  # a field this version lacks: members would write it in their offers
            spill.append(_typed(value))
    if spill:
        typed["offers"] = " ".join([typed.get("offers", ""), *spill]).strip()
    for name, raw in typed.items():
        if not raw:
            continue
        try:
            p = set_field(p, name, raw)
        except CommandError as exc:
            warnings.append(f"member {p.member}, {name}: {exc}")
    return p, typed.get("excludes", "")


def load_set(path: Path) -> tuple[LabelledSet, list[str]]:
    """The labelled set in `path` and warnings for fields that did not parse."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SetError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise SetError(f"{path} is not JSON: line {exc.lineno}: {exc.msg}") from exc
    warnings: list[str] = []
    profiles, excludes = [], {}
    for row in raw.get("profiles", []):
        p, ex = profile_from(row, warnings)
        profiles.append(p)
        if ex:
            excludes[p.member] = ex
    ids = {p.member for p in profiles}

    def pairs(key: str) -> list[tuple[int, int]]:
        out = []
        for i, pair in enumerate(raw.get(key, [])):
            a, b = int(pair[0]), int(pair[1])
            if a not in ids or b not in ids:
                warnings.append(f"{key}[{i}] names a member with no profile; left out")
                continue
            out.append((a, b))
        return out

    lset = LabelledSet(profiles, pairs("pairs"), pairs("bad_pairs"), excludes)
    if not lset.good:
        raise SetError(f"{path} has no usable 'pairs'")
    return lset, warnings


class MatcherRanker:
    """The real matcher behind the evaluation's Ranker interface."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def ranked(self, member: int, n: int) -> list[tuple[int, list[str]]]:
        return [(s.member, s.why) for s in self.matcher.suggest(member, n=n)]

    def pair_score(self, a: int, b: int) -> float:
        found = self.matcher.explain(a, b)
        return float("-inf") if found is None else found.score


def halves(lset: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    """The set's pairs split by seeker: odd member ids (tuned on) and even (held out)."""

    def part(odd: int) -> LabelledSet:
        return LabelledSet(
            lset.profiles,
            [(a, b) for a, b in lset.good if a % 2 == odd],
            [(a, b) for a, b in lset.bad if a % 2 == odd],
            lset.excludes,
        )

    return part(1), part(0)


async def eval_set(
    lset: LabelledSet, encoder: TextEncoder, *, details: bool = False, split: bool = False
) -> str:
    """The report `convene eval matching --set` prints."""
    matcher = Matcher(encoder)
    await matcher.sync(lset.profiles)
    ours = MatcherRanker(matcher)
    base_texts = [t for p in lset.profiles for t in CosineBaseline.texts(p)]
    vectors = await encode_all(encoder, base_texts)
    baseline = CosineBaseline(lset.profiles, vectors)
    ranked_ours, ranked_base = rank_all(ours, lset), rank_all(baseline, lset)  # type: ignore[arg-type]
    vectors.update(await encode_all(encoder, quotes_of(ranked_ours) + quotes_of(ranked_base)))
    from models.matching.evaluate import clause_split

    needs = [c for p in lset.profiles for c in clause_split(p.seeks)]
    offers = [c for p in lset.profiles for c in clause_split(p.offers)]
    floor = related_floor(vectors, needs, offers)
    checker = HonestyChecker(lset, vectors, floor)
    figures = [
        evaluate("matcher", ours, ranked_ours, lset, checker),  # type: ignore[arg-type]
        evaluate("baseline", baseline, ranked_base, lset, checker),
    ]
    parts = []
    if split:
        for label, half in zip(("odd seekers", "even seekers"), halves(lset), strict=True):
            if not half.good:
                continue
            mine = {a: ranked_ours[a] for a, _ in half.good}
            base = {a: ranked_base[a] for a, _ in half.good}
            for name, ranker, ranked in (("matcher", ours, mine), ("baseline", baseline, base)):
                f = evaluate(f"{name}", ranker, ranked, half, checker)  # type: ignore[arg-type]
                parts.append(f"  {label:<13}" + f.line())
    lines = [
        f"{len(lset.profiles)} profiles, {len(lset.good)} good pairs, {len(lset.bad)} bad pairs; "
        f"a reason must link clauses at cosine >= {floor:.2f} (80% of random pairings fall below)",
        *(f.line() for f in figures),
        "baseline: mutual cosine of whole seeks vs offers, role filter only",
        *parts,
    ]
    warn = language_note(lset.profiles, getattr(encoder, "model_id", "").startswith("multi"))
    if warn:
        lines.append(f"note: {warn}")
    if details:
        lines.append("\ntempting-bad pairs: what the matcher does with them (the admin dry run)")
        for a, b in lset.bad:
            lines.append(f"  {a}->{b}: {matcher.why_not(a, b) or 'not removed; ranked by fit'}")
        for f in figures:
            lines.append(f"\n{f.name}: reasons that fail")
            lines.extend(f"  {x}" for x in f.failures)
    return "\n".join(lines)
