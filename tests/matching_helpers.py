"""Shared helpers for the profile, intro and round tests (FakeAdapter in a group)."""

from __future__ import annotations

from adapters.fake import FakeAdapter, Sent
from bot.core import Core
from bot.features.profiles.fields import ALIASES

FOUNDER = {
    "roles": "founder",
    "headline": "Building a climate fintech for carbon accounting",
    "offers": "Early revenue data and a strong engineering team",
    "seeks": "A seed investor writing checks in climate fintech",
    "sectors": "climate fintech",
    "stage": "seed",
}
INVESTOR = {
    "roles": "investor",
    "headline": "Partner at a seed fund investing in climate fintech",
    "offers": "Seed investor writing checks in climate fintech startups",
    "seeks": "Seed founders in climate fintech raising their round",
    "sectors": "climate fintech",
    "stage": "seed",
    "checks": "250-1000",
}
MENTOR = {
    "roles": "mentor",
    "headline": "Former VP Sales, advisor",
    "offers": "Coaching on enterprise sales and pricing for climate founders",
    "seeks": "Climate founders starting enterprise sales",
    "sectors": "climate",
}


async def make_profile(chat: FakeAdapter, user: str, fields: dict[str, str]) -> None:
    """Create a member in the group and set their profile field by field."""
    for name, value in fields.items():
        [sent] = await chat.say(user, f"/profile set {name} {value}")
        assert sent.reply.text.startswith(f"Saved your {ALIASES.get(name, name)}"), sent.text


def member_id(core: Core, user: str) -> int:
    rows = core.store.rows("SELECT member FROM identities WHERE user = ?", (user,))
    return int(rows[0]["member"])


def to_user(sent: list[Sent], user: str) -> list[Sent]:
    """Everything that reached `user` privately, plus public posts (which they also see)."""
    return [s for s in sent if s.target.user == user or s.target.chat is not None]


def button(sent: Sent, prefix: str, label: str = "") -> str:
    """The callback of the first button whose callback starts with prefix (and label matches)."""
    for b in sent.reply.buttons:
        if b.callback.startswith(prefix) and label in b.label:
            return b.callback
    raise AssertionError(f"no {prefix} button in {sent.reply.buttons}")
