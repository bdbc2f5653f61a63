"""Short, evidence-based reasons for a suggestion, written from the requester's side."""

from __future__ import annotations

import re

import numpy as np

from models.matching.profile import Profile
from models.matching.rules import norm_region

_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[•·–—-]\s+")
_COMMA_SPLIT = re.compile(r",\s+(?:and\s+)?|\s+and\s+")
LONG_CLAUSE_WORDS = 18
QUOTE_CHARS = 90
FUNDING_CUE = 0.2
_FUNDING = re.compile(
    r"\b(invest\w*|fund\w*|angels?|capital|vc|raise|raising|round|money|cheques?|checks?"
    r"|financ\w*|debt|equity|backers?|series [a-d]|pre-seed)\b",
    re.IGNORECASE,
)


def clauses(text: str) -> list[str]:
    """Sentences/clauses of a free-text field; long sentences are cut at commas and 'and'."""
    out: list[str] = []
    for sentence in _CLAUSE_SPLIT.split(text.strip()):
        sentence = sentence.strip(" .;,!?\t")
        if not sentence:
            continue
        if len(sentence.split()) > LONG_CLAUSE_WORDS:
            parts = [p.strip(" .;,") for p in _COMMA_SPLIT.split(sentence)]
            out.extend(p for p in parts if len(p.split()) >= 2)
        else:
            out.append(sentence)
    return out


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The text in quotes, cut at a word boundary when long."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def is_funding(text: str) -> bool:
    """Whether a clause is about money (investors answer those needs)."""
    return bool(_FUNDING.search(text))


def matched_phrases(
    needs: list[str],
    need_vecs: np.ndarray,
    offers: list[str],
    offer_vecs: np.ndarray,
    offer_whole: np.ndarray,
    investor: bool,
) -> tuple[str, str] | None:
    """(offer clause, need clause): the need the whole offer answers best, then the
    offer clause closest to that need. Money needs are preferred for an investor and
    avoided otherwise (sentence models blur "a seed investor in health" and "health help")."""
    if not needs or not offers:
        return None
    cue = np.array([is_funding(n) == investor for n in needs], dtype=np.float32)
    i = int(np.argmax(need_vecs @ offer_whole + FUNDING_CUE * cue))
    j = int(np.argmax(offer_vecs @ need_vecs[i]))
    return offers[j], needs[i]


def closest_clause(texts: list[str], vecs: np.ndarray, target: np.ndarray) -> str | None:
    """The clause most similar to `target`."""
    return texts[int(np.argmax(vecs @ target))] if texts else None


def _money(k: int) -> str:
    return f"${k / 1000:g}M" if k >= 1000 else f"${k}k"


def _invests_at(investor: Profile, founder: Profile) -> bool:
    stage = founder.stage
    return (
        "investor" in investor.roles
        and bool(stage)
        and (stage == investor.stage or stage in investor.tags)
    )


def facts(a: Profile, b: Profile) -> list[str]:
    """Reasons from the structured fields: sectors, stage, check size, region."""
    out: list[str] = []
    shared = sorted(a.sectors & b.sectors)
    if shared:
        out.append("Both in " + ", ".join(shared))
    if _invests_at(b, a) and "founder" in a.roles:
        out.append(f"Invests at {a.stage}, your stage")
    if _invests_at(a, b) and "founder" in b.roles:
        out.append(f"Raising at {b.stage}, a stage you invest in")
    investor = None
    if "investor" in b.roles and "founder" in a.roles:
        investor = b
    elif "investor" in a.roles and "founder" in b.roles:
        investor = a
    if investor is not None and investor.check_min is not None and investor.check_max is not None:
        who = "Writes" if investor is b else "You write"
        out.append(f"{who} {_money(investor.check_min)}–{_money(investor.check_max)} checks")
    region = norm_region(a.region)
    if region and region == norm_region(b.region):
        out.append(f"Both based in {b.region}")
    return out
