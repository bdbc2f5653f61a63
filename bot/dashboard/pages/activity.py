"""Activity: messages, active and new members per day and week, channels, cohorts."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from bot.dashboard import queries as q
from bot.dashboard.charts import line_chart
from bot.dashboard.pages.base import Page, Range, Table, day_label, pct


def activity(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("activity", "Activity", rng)
    days = list(range(rng.d0, rng.d1 + 1))
    msgs = q.messages_by_day(conn, c, rng.d0, rng.d1)
    active = q.active_by_day(conn, c, rng.d0, rng.d1)
    new = q.new_by_day(conn, c, rng.d0, rng.d1, rng.offset)
    weekly_active = q.active_by_week(conn, c, rng.d0, rng.d1)
    page.charts.append(
        line_chart(
            "Messages and active members per day",
            [day_label(d)[5:] for d in days],
            {
                "messages": [msgs.get(d, 0) for d in days],
                "active members": [active.get(d, 0) for d in days],
                "new members": [new.get(d, 0) for d in days],
            },
        )
    )
    daily = Table(
        "daily",
        "Per day",
        ("day", "messages", "active members", "new members"),
        [(day_label(d), msgs.get(d, 0), active.get(d, 0), new.get(d, 0)) for d in days],
    )
    weeks = []
    for w in range(q.week_of(rng.d0), q.week_of(rng.d1) + 1):
        span = range(max(rng.d0, q.week_start(w)), min(q.week_start(w) + 7, rng.d1 + 1))
        weeks.append(
            (
                day_label(q.week_start(w)),
                len(span),
                sum(msgs.get(d, 0) for d in span),
                weekly_active.get(w, 0),
                sum(new.get(d, 0) for d in span),
            )
        )
    weekly = Table(
        "weekly",
        "Per week (Monday to Sunday)",
        ("week of", "days in range", "messages", "active members", "new members"),
        weeks,
    )
    full = [w for w in weeks if w[1] == 7] or weeks  # a part of a week would look like a drop
    page.charts.append(
        line_chart(
            "Messages and active members per full week",
            [w[0][5:] for w in full],
            {"messages": [w[2] for w in full], "active members": [w[3] for w in full]},
        )
    )
    chats = q.by_chat(conn, c, rng.d0, rng.d1)
    platforms: Counter[str] = Counter()
    for _, platform, n in chats:
        platforms[platform] += n
    page.tables = [
        daily,
        weekly,
        Table("channels", "Per channel", ("channel", "platform", "messages"), list(chats)),
        Table("platforms", "Per platform", ("platform", "messages"), platforms.most_common()),
        _cohort_table(conn, c, rng),
    ]
    total = sum(msgs.values())
    this_week = sum(msgs.get(d, 0) for d in range(rng.d1 - 6, rng.d1 + 1))
    last_week = sum(msgs.get(d, 0) for d in range(rng.d1 - 13, rng.d1 - 6))
    change = f"{(this_week - last_week) / last_week:+.0%}" if last_week else "–"
    page.stats = [
        ("messages", f"{total:,}"),
        ("a day", f"{total / rng.days:,.1f}"),
        ("active members", f"{q.active_members(conn, c, rng.d0, rng.d1):,}"),
        ("new members", f"{sum(new.values()):,}"),
        ("last 7 days vs the 7 before", change),
    ]
    page.notes.append(
        f"From {rng.first.isoformat()} to {rng.last.isoformat()}, in the community's time zone."
    )
    return page


def _cohort_table(conn: sqlite3.Connection, c: int, rng: Range) -> Table:
    """Each month's newcomers and the share of them active in each month after."""
    found = q.cohorts(conn, c, rng.d0, rng.d1, rng.offset)
    horizon = 6
    last_month = rng.last.strftime("%Y-%m")
    rows = []
    for month in sorted(found):
        size = found[month].get("size", 0)
        year, mon = map(int, month.split("-"))
        cells: list[Any] = [month, size]
        for k in range(horizon):
            y, m = divmod(mon - 1 + k, 12)
            key = f"{year + y:04d}-{m + 1:02d}"
            cells.append(pct(found[month].get(key, 0), size) if key <= last_month else "")
        rows.append(tuple(cells))
    columns = ("month joined", "newcomers", *(f"month {k}" for k in range(horizon)))
    return Table("cohorts", "Retention of each month's newcomers (share active)", columns, rows)
