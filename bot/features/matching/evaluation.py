"""`convene eval matching`: how intros went, and whether the learned re-ranker earns its keep."""

from __future__ import annotations

from bot.features.matching.intro_store import funnel_counts, outcomes
from bot.features.matching.outcomes import training_outcomes
from bot.features.matching.round_store import rounds_held
from bot.scope import community_name
from bot.storage.store import Store
from models.matching.rerank import eval_report


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"


def eval_matching(store: Store, community: int | None) -> str:
    """A plain-text report on intros, follow-ups and the re-ranker (all communities if None)."""
    tables = set(store.tables())
    if not {"intro_requests", "match_outcomes", "rounds"} <= tables:
        return "No matching data in this database yet: run the bot with matching first."
    counts = funnel_counts(store, community)
    planned = counts.pop("planned")
    asked = sum(counts.values())
    answered = counts.get("accepted", 0) + counts.get("declined", 0)
    rounds = rounds_held(store, community)
    rows = outcomes(store, community)
    met = sum(1 for r in rows if r["met"])
    useful = sum(1 for r in rows if r["useful"])
    scope = "all communities" if community is None else community_name(store, community)
    lines = [
        f"Matching report for {scope}",
        f"Intro requests: {asked}; answered {_share(answered, asked)}, "
        f"accepted {_share(counts.get('accepted', 0), asked)}.",
        f"Intro rounds held: {rounds}.",
        f"Follow-ups answered: {_share(len(rows), planned)}; met {_share(met, len(rows))}, "
        f"useful {_share(useful, met)} of those who met.",
        "",
        eval_report(training_outcomes(store, community)),
    ]
    return "\n".join(lines)
