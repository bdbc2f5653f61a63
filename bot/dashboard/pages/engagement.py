"""Engagement levels per role, movement between them, quiet founders, busy mentors."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict

from bot.dashboard import queries as q
from bot.dashboard.charts import line_chart
from bot.dashboard.pages.base import Page, Range, Table, day_label, pct
from bot.dashboard.rollup import DAY
from bot.text import plural

WEEKS = 4  # engagement levels are measured over windows of four weeks (Monday to Sunday)
LEVELS = ("core", "active", "occasional", "quiet")


def level(days: int) -> str:
    """Engagement level from active days in a four-week window."""
    if days >= 12:
        return "core"
    if days >= 4:
        return "active"
    return "occasional" if days >= 1 else "quiet"


def engagement(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("engagement", "Engagement levels", rng)
    last_week = q.week_of(rng.d1)
    windows = min(13, max(2, -(-(last_week - q.week_of(rng.d0) + 1) // WEEKS)))
    first_week = last_week - WEEKS * windows + 1
    days = q.member_weeks(conn, c, first_week, last_week, WEEKS)
    roles = q.roles(conn, c)
    members = q.members(conn, c)
    ends = [q.week_start(first_week + WEEKS * (w + 1) - 1) + 6 for w in range(windows)]
    levels_rows = []
    series: dict[str, list[int]] = {name: [] for name in LEVELS}
    for w, end in enumerate(ends):
        end_time = (end + 1) * DAY - rng.offset
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for m in members:
            if m.joined_at >= end_time:
                continue
            name = level(days.get(m.id, {}).get(w, 0)) if m.tracking else "not tracked"
            counts["all members"][name] += 1
            counts[roles.get(m.id, "no profile")][name] += 1
        for role in sorted(counts, key=lambda r: (r != "all members", r)):
            row = counts[role]
            levels_rows.append(
                (day_label(end), role, *(row[name] for name in (*LEVELS, "not tracked")))
            )
        for name in LEVELS:
            series[name].append(counts["all members"][name])
    page.charts.append(
        line_chart(
            "Members per engagement level (four-week windows)",
            [day_label(e)[5:] for e in ends],
            series,
        )
    )
    levels = Table(
        "levels",
        "Members per level and role, four-week windows (Monday to Sunday) ending",
        ("window ending", "role", *LEVELS, "not tracked"),
        levels_rows,
    )
    before_end = (ends[-2] + 1) * DAY - rng.offset
    moves: Counter[tuple[str, str]] = Counter()
    quiet_founders, hidden = [], 0
    for m in members:
        if not m.tracking or m.joined_at >= before_end:
            continue
        was, now = days.get(m.id, {}).get(windows - 2, 0), days.get(m.id, {}).get(windows - 1, 0)
        moves[(level(was), level(now))] += 1
        if (
            roles.get(m.id) == "founder"
            and level(was) in ("core", "active")
            and level(now) in ("occasional", "quiet")
        ):
            if m.shown:
                quiet_founders.append((m.name, was, now))
            else:
                hidden += 1
    movement = Table(
        "movement",
        f"Movement between the windows ending {day_label(ends[-2])} and {day_label(ends[-1])}",
        ("from", "to", "members"),
        [(a, b, moves[(a, b)]) for a in LEVELS for b in LEVELS if moves[(a, b)]],
    )
    founders = Table(
        "quiet_founders",
        "Founders who went quiet (active days, window before → last window)",
        ("founder", "active days before", "active days now"),
        sorted(quiet_founders, key=lambda r: (r[2] - r[1], r[0])),
    )
    if hidden:
        page.notes.append(
            f"{plural(hidden, 'more founder')} went quiet (not named, by their choice)."
        )
    received = q.requests_received(conn, c, rng.t0, rng.t1)
    by_id = {m.id: m for m in members}
    mentor_rows, hidden_mentors = [], 0
    for member, (n, answered) in received.items():
        m = by_id.get(member)
        if m is None or roles.get(member) != "mentor":
            continue
        if not m.shown:
            hidden_mentors += 1
            continue
        waiting = n - answered
        overloaded = waiting >= 3 or (n >= 3 and answered / n < 0.5)
        mentor_rows.append(
            (m.name, n, answered, waiting, pct(answered, n), "yes" if overloaded else "")
        )
    mentor_rows.sort(key=lambda r: (-r[3], -r[1], r[0]))
    mentors = Table(
        "mentors",
        "Mentors: intro requests received vs answered",
        ("mentor", "requests", "answered", "waiting", "answer rate", "overloaded"),
        mentor_rows,
    )
    if hidden_mentors:
        page.notes.append(
            f"{plural(hidden_mentors, 'more mentor')} received requests (not named, by their choice)."
        )
    page.notes.append(
        "Levels by active days in four weeks: core 12 or more, active 4–11, occasional 1–3, quiet 0."
    )
    page.tables = [levels, movement, founders, mentors]
    return page
