"""Short, evidence-based reasons for a suggestion, written from the requester's side."""

from __future__ import annotations

from models.matching.profile import Profile
from models.matching.reading import clauses, is_money

__all__ = ["clauses", "facts", "is_money", "quote"]

QUOTE_CHARS = 90


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The text in quotes, cut at a word boundary when long."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return f"“{text}”"


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
    """Reasons from the structured fields: sectors, stage, check size."""
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
    return out
