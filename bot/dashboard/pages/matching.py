"""The matching funnel by role pair, rounds held, the re-ranker's cross-validation."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, datetime

from bot.dashboard import queries as q
from bot.dashboard.charts import bar_chart
from bot.dashboard.pages.base import Page, Range, Table, pct


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def matching(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("matching", "Matching funnel", rng)
    roles = q.roles(conn, c)
    requests = q.intro_requests(conn, c, rng.t0, rng.t1)
    proposed = q.proposed_pairs(conn, c, rng.t0, rng.t1)
    outcomes = q.outcome_pairs(conn, c, rng.t0, rng.t1)
    requested = {_pair(a, b) for a, b, _ in requests}
    accepted = {_pair(a, b) for a, b, s in requests if s == "accepted"}
    declined = {_pair(a, b) for a, b, s in requests if s == "declined"}
    suggested = requested | {_pair(a, b) for a, b, _ in proposed}
    met = {_pair(a, b) for a, b, m, _ in outcomes if m} & accepted
    useful = {_pair(a, b) for a, b, m, u in outcomes if m and u} & met
    stages = (
        ("suggested", suggested),
        ("requested", requested),
        ("accepted", accepted),
        ("met", met),
        ("useful", useful),
    )
    page.charts.append(bar_chart("Intro funnel (pairs)", [(n, len(s)) for n, s in stages]))
    funnel_rows, before = [], None
    for name, pairs in stages:
        funnel_rows.append(
            (name, len(pairs), pct(len(pairs), before) if before is not None else "")
        )
        before = len(pairs)

    def role_pair(p: tuple[int, int]) -> str:
        return " ↔ ".join(sorted(roles.get(m, "no profile") for m in p))

    by_role: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for i, (_, pairs) in enumerate(stages):
        for p in pairs:
            by_role[role_pair(p)][i] += 1
    for p in declined:
        by_role[role_pair(p)][5] += 1
    role_rows = [
        (label, *v[:5], pct(v[2], v[2] + v[5]))
        for label, v in sorted(by_role.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    answered = len(accepted) + len(declined)
    page.notes.append(
        f"Acceptance rate: {pct(len(accepted), answered)} of answered requests "
        f"({len(accepted)} accepted, {len(declined)} declined, "
        f"{len(requested) - answered} waiting or expired)."
    )
    held = q.rounds(conn, c, rng.t0, rng.t1)
    round_pairs = {_pair(a, b) for a, b, ref in proposed if ref.startswith("round")}
    round_met = {_pair(a, b) for a, b, m, _ in outcomes if m} & round_pairs
    page.notes.append(
        f"Intro rounds held: {len(held)}, making {len(round_pairs)} pairs; "
        f"{len(round_met)} of them said they met."
    )
    page.notes.append(
        "Suggested counts the pairs proposed by rounds or shown and then asked for; met and "
        "useful count accepted intros whose follow-up said so."
    )
    page.stats = [
        ("pairs suggested", f"{len(suggested):,}"),
        ("intros requested", f"{len(requested):,}"),
        ("acceptance rate", pct(len(accepted), answered)),
        ("met and found it useful", f"{len(useful):,}"),
        ("rounds held", f"{len(held):,}"),
    ]
    page.tables = [
        Table("funnel", "Funnel", ("stage", "pairs", "of previous stage"), funnel_rows),
        Table(
            "role_pairs",
            "By role pair",
            ("role pair", "suggested", "requested", "accepted", "met", "useful", "acceptance rate"),
            role_rows,
        ),
        Table(
            "rounds",
            "Intro rounds",
            ("held", "participants", "groups"),
            [
                (datetime.fromtimestamp(a + rng.offset, UTC).strftime("%Y-%m-%d"), p, g)
                for a, p, g in held
            ],
        ),
    ]
    page.report = _cv_report(conn, c)
    return page


_CV_CACHE: dict[tuple[str, int], tuple[int, str]] = {}  # (db, community) → (key, report)


def _cv_report(conn: sqlite3.Connection, c: int) -> str:
    """The re-ranker's cross-validation report over this community's answered outcomes,
    recomputed only when they change (k-fold fitting costs more than the rest of the page)."""
    from models.matching.rerank import Outcome, eval_report

    if not q.has_table(conn, "match_outcomes"):
        return "No intro outcomes recorded yet."
    rows = conn.execute(
        "SELECT fit_ab, fit_ba, sector_overlap, stage_fit, activity, coalesce(useful, 0) "
        "FROM match_outcomes WHERE community = ? AND answered_at IS NOT NULL AND met <> 0 "
        "ORDER BY answered_at, id",
        (c,),
    ).fetchall()
    where = (q.database(conn), c)
    key = hash(tuple(rows))
    found = _CV_CACHE.get(where)
    if found is None or found[0] != key:
        report = eval_report([Outcome(*map(float, r[:5]), useful=bool(r[5])) for r in rows])
        found = _CV_CACHE[where] = (key, report)
    return found[1]
