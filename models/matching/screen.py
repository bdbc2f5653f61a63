"""The pair rules that read text: exclusions, "only" places and stages, portfolio conflicts.

Each rule returns the reason a pair is removed (kept for an admin's dry run), or None.
Place is a hard rule only where a profile says it is exclusive; elsewhere it is graded
(`place_term`).
"""

from __future__ import annotations

import numpy as np

from models.matching.places import Place
from models.matching.profile import Profile
from models.matching.reading_profile import ProfileReading

PLACE_BONUS = 0.05  # they serve where you are
GLOBAL_BONUS = 0.02  # they serve anywhere
PLACE_PENALTY = 0.08  # they state where they serve, and it is not where you are
SAME_CITY_BONUS = 0.01


def serving_side(a: Profile, b: Profile) -> tuple[int, int] | None:
    """(server, client) indexes 0/1 when one side invests in or serves the other's company."""
    a_f, b_f = "founder" in a.roles, "founder" in b.roles
    if a_f and not b_f:
        return 1, 0
    if b_f and not a_f:
        return 0, 1
    return None


def _named_in_seeks(client: ProfileReading, server: ProfileReading) -> bool:
    """The client asked for this place themselves ("a warehouse partner in Germany")."""
    from models.matching.places import mentioned

    wanted = mentioned(client.seeks_text)
    return bool(wanted.countries & (server.exclusive or server.serves).countries)


def place_rule(server: ProfileReading, client: ProfileReading) -> str | None:
    """Why the server would not take the client on, by place, or None."""
    base = client.base
    if not base.countries:
        return None
    if server.refused.countries and base.countries <= server.refused.countries:
        return f"does not serve {base.label}"
    # a partner's "only" may be where it operates ("warehouses only in Germany"), which a
    # client elsewhere may want; an investor's "only" is where its companies must be
    outside = server.exclusive is not None and not server.exclusive.countries & base.countries
    if outside and (server.pays or not _named_in_seeks(client, server)):
        assert server.exclusive is not None
        return f"works only in {server.exclusive.label}; the other is in {base.label}"
    return None


def place_term(server: ProfileReading, client: ProfileReading) -> float:
    """Graded place signal: served +, stated and not served −, unknown 0."""
    base, serves = client.base, server.serves
    if not base.countries or not serves.known:
        return 0.0
    if serves.countries & base.countries:
        return PLACE_BONUS
    if serves.anywhere:
        return GLOBAL_BONUS
    return -PLACE_PENALTY if server.serves_declared else -PLACE_PENALTY / 2


def place_line(server_p: Profile, server: ProfileReading, client: ProfileReading,
               server_is_you: bool) -> str | None:  # fmt: skip
    """ "Invests in Europe; you are in Lisbon" (or the partner/mentor wording)."""
    base, serves = client.base, server.serves
    if not base.countries or not serves.known:
        return None
    if not (serves.anywhere or serves.countries & base.countries):
        return None
    verb = "invest" if "investor" in server_p.roles else "work"
    where = (
        "globally"
        if serves.anywhere and not serves.countries & base.countries
        else ("in " + _served_label(serves, base))
    )
    if server_is_you:
        return f"Based in {base.label}; you {verb} {where}"
    return f"{'Invests' if verb == 'invest' else 'Works'} {where}; you are in {base.label}"


def _served_label(serves: Place, base: Place) -> str:
    parts = [x.strip() for x in serves.label.split(",") if x.strip()]
    return ", ".join(parts[:3]) if parts else base.label


def stage_rule(server_p: Profile, server: ProfileReading, client_p: Profile) -> str | None:
    stage = client_p.stage
    if "investor" not in server_p.roles or not stage:
        return None
    if server.stages_allowed and stage not in server.stages_allowed:
        return (
            f"invests only at {', '.join(sorted(server.stages_allowed))}; the other is at {stage}"
        )
    if stage in server.stages_refused:
        return f"does not invest at {stage}"
    return None


def exclusion_rule(
    holder: ProfileReading,
    holder_vecs: np.ndarray,
    other: ProfileReading,
    other_vecs: np.ndarray,
    floor: float,
) -> str | None:
    """The holder's exclusion the other falls under (by topic or by meaning), or None."""
    if not holder.exclusions:
        return None
    hit = holder.exclusion_topics & other.own_topics
    if hit:
        for c in holder.exclusions:
            from models.matching.reading_profile import topics

            if topics(c) & hit:
                return f"excludes “{c}”"
    if len(other_vecs) and len(holder_vecs):
        sims = holder_vecs @ other_vecs.T
        i, _ = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if float(sims.max()) >= floor:
            return f"excludes “{holder.exclusions[int(i)]}”"
    return None


def portfolio_rule(
    investor: ProfileReading, portfolio_vecs: np.ndarray, company_vec: np.ndarray, floor: float
) -> str | None:
    """A portfolio company that is a direct competitor of the founder's, or None."""
    if not investor.portfolio or not len(portfolio_vecs):
        return None
    sims = portfolio_vecs @ company_vec
    i = int(np.argmax(sims))
    if float(sims[i]) >= floor:
        return f"backs {investor.portfolio[i]}, a direct competitor"
    return None
