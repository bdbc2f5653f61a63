"""Digests: the scheduled ones that ran, and the link to a dry run of the next."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime

from bot.dashboard import queries as q
from bot.dashboard.charts import bar_chart
from bot.dashboard.pages.base import Page, Range, Table, when


def digests(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("digests", "Digests", rng)
    runs = q.digest_runs(conn, c, rng.t0, rng.t1)
    rows = [
        (when(int(_iso(period).timestamp()), rng), status, _where(target), when(claimed, rng),
         when(finished, rng) if finished else "")
        for period, status, target, claimed, finished in runs
    ]  # fmt: skip
    page.tables = [
        Table(
            "archive",
            "Scheduled digests (the period ending)",
            ("period ending", "status", "posted to", "started", "finished"),
            rows,
        )
    ]
    statuses = Counter(r[1] for r in rows)
    page.charts.append(
        bar_chart("Scheduled digests by outcome", sorted(statuses.items()) or [("none yet", 0)])
    )
    page.links.append(("Dry run of the next digest", "digests/next"))
    if not rows:
        page.notes.append(
            "No scheduled digest ran in this range. Schedule one with /digest schedule."
        )
    return page


def _iso(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


def _where(target: str) -> str:
    """'telegram #-100123' from a stored target (JSON)."""
    try:
        found = json.loads(target)
    except ValueError:
        return ""
    place = found.get("chat") or ("a private chat" if found.get("user") else "")
    return (
        f"{found.get('platform', '')} #{place}"
        if found.get("chat")
        else f"{found.get('platform', '')} {place}".strip()
    )
