"""Saying why a list of suggestions is empty or thin, in words a member can act on:
"No investors serve the Middle East here yet; 3 invest globally (shown above)."
"""

from __future__ import annotations

from models.matching.matcher import Matcher
from models.matching.places import region_of
from models.matching.profile import COMPLEMENTS


def _plural(role: str | None) -> str:
    return f"{role}s" if role else "members"


def thin_note(matcher: Matcher, member: int, role: str | None, shown: list[int], n: int) -> str:
    """A note for a list with fewer than n suggestions or none that serve where you are;
    empty when the list needs no explanation."""
    me, mine = matcher.profile(member), matcher.reading(member)
    if me is None or mine is None:
        return ""
    wanted = {role} if role else set().union(*(COMPLEMENTS.get(r, set()) for r in me.roles))
    others = [
        (p, r)
        for m in matcher.members()
        if m != member
        and (p := matcher.profile(m)) is not None
        and (r := matcher.reading(m)) is not None
        and p.matchable
        and p.visible
        and p.roles & wanted
    ]
    if not others:
        return f"No new {_plural(role)} to suggest right now: none has a visible profile here yet."
    lines: list[str] = []
    base = mine.base
    servers = [(p, r) for p, r in others if r.serves.known and "founder" not in p.roles]
    if "founder" in me.roles and base.countries and servers:
        here = [p for p, r in servers if r.serves.countries & base.countries]
        anywhere = [p for p, r in servers if r.serves.anywhere]
        if not here:
            who = _plural(role) if role else "investors, partners or mentors"
            line = f"No {who} serve {region_of(base)} here yet"
            if anywhere:
                verb = "invest" if role == "investor" else "work"
                line += f"; {len(anywhere)} {verb} globally"
                line += " (shown above)" if any(p.member in shown for p in anywhere) else ""
            lines.append(line + ".")
    if len(shown) < n:
        removed = matcher.screened(member, role)
        if removed:
            lines.append(
                f"{len(removed)} more {'is' if len(removed) == 1 else 'are'} left out by their "
                "own rules or yours (only some places or stages, or things excluded)."
            )
        if not shown and not removed:
            lines.append(
                f"No new {_plural(role)} to suggest right now; people you asked or met "
                "recently are left out for a while."
            )
    return "\n".join(lines)
