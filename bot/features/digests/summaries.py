"""Topic summaries: what each past period talked about, kept after its text is deleted.

Text retention is a privacy promise (message text older than `text_retention_days` is
deleted), but the insight outlives the text: every digest stores its period's topics here
(label, messages, growth, status) with at most one quote per topic, only from a member who
lets themself be named, and the quote itself is dropped once it is older than the text
retention. Daily counts live in the rollups (bot/storage/rollups.py). `/trends 90` on a
community with 30 days of text reads the older weeks from here, and says so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.features.digests.data import Window
    from models.topics.extract import TopicReport, TopicTrend

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE topic_summaries (
            community INTEGER NOT NULL, period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
            rank INTEGER NOT NULL, label TEXT NOT NULL, keywords TEXT NOT NULL,
            messages INTEGER NOT NULL, growth REAL NOT NULL, status TEXT NOT NULL, quote TEXT,
            PRIMARY KEY (community, period_start, period_end, rank))""",
        "CREATE INDEX topic_summaries_end ON topic_summaries (community, period_end)",
    ]
]
KEEP_TOPICS = 10


@dataclass(frozen=True, slots=True)
class Summary:
    """One stored topic of one past period."""

    period_start: int
    period_end: int
    label: str
    messages: int
    growth: float
    status: str
    quote: str | None


def _quotable(conn: sqlite3.Connection, community: int, w: Window, texts: list[str]) -> set[str]:
    """Those of `texts` written in the window by a member who may be named."""
    if not texts:
        return set()
    marks = ",".join("?" * len(texts))
    rows = conn.execute(
        "SELECT DISTINCT a.text FROM activity a JOIN members m ON m.id = a.member "
        f"WHERE a.community = ? AND a.at >= ? AND a.at < ? AND a.text IN ({marks}) "
        "AND m.named = 1 AND m.tracking = 1",
        (community, w.start, w.end, *texts),
    )
    return {r[0] for r in rows}


def save(store: Store, community: int, w: Window, report: TopicReport) -> int:
    """Store (or replace) the period's topic summary; returns how many topics were kept."""
    topics = report.topics[:KEEP_TOPICS]
    candidates = [e for t in topics for e in t.examples]
    with store.transaction() as c:
        allowed = _quotable(c, community, w, candidates)
        c.execute(
            "DELETE FROM topic_summaries WHERE community = ? AND period_start = ? "
            "AND period_end = ?",
            (community, w.start, w.end),
        )
        c.executemany(
            "INSERT INTO topic_summaries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(community, w, rank, t, allowed) for rank, t in enumerate(topics)],
        )
    return len(topics)


def _row(
    community: int, w: Window, rank: int, t: TopicTrend, allowed: set[str]
) -> tuple[object, ...]:
    quote = next((e for e in t.examples if e in allowed), None)
    keywords = ", ".join(t.keywords[:6])
    return (community, w.start, w.end, rank, t.label, keywords, t.current, t.growth, t.status,
            quote)  # fmt: skip


def expire_quotes(store: Store, community: int, before: int) -> int:
    """Drop the quotes of periods that ended before `before` (the text retention cutoff)."""
    with store.transaction() as c:
        cur = c.execute(
            "UPDATE topic_summaries SET quote = NULL WHERE community = ? AND period_end < ? "
            "AND quote IS NOT NULL",
            (community, before),
        )
    return cur.rowcount


def forget_quotes(store: Store, community: int, texts: list[str]) -> int:
    """Drop every stored quote taken from one of `texts` (a member's erased messages)."""
    erased = set(texts)
    with store.transaction() as c:
        rows = c.execute(
            "SELECT period_start, period_end, rank, quote FROM topic_summaries "
            "WHERE community = ? AND quote IS NOT NULL",
            (community,),
        ).fetchall()
        gone = [
            (community, start, end, rank)
            for start, end, rank, quote in rows
            if quote in erased or any(t.startswith(quote.rstrip("…").rstrip()) for t in erased)
        ]
        c.executemany(
            "UPDATE topic_summaries SET quote = NULL WHERE community = ? AND period_start = ? "
            "AND period_end = ? AND rank = ?",
            gone,
        )
    return len(gone)


def load(store: Store, community: int, start: int, end: int, *, days: int = 7) -> list[Summary]:
    """Summaries of `days`-day periods ending in (start, end], oldest period first."""
    rows = store.rows(
        "SELECT period_start, period_end, label, messages, growth, status, quote "
        "FROM topic_summaries WHERE community = ? AND period_end > ? AND period_end <= ? "
        "AND period_end - period_start BETWEEN ? AND ? ORDER BY period_end, rank",
        (community, start, end, days * 86400 - 7200, days * 86400 + 7200),
    )
    return [Summary(**r) for r in rows]


def earlier_topics(summaries: list[Summary], limit: int = 5) -> list[tuple[str, int, int]]:
    """(label, messages, periods) of the topics most talked about across the summaries."""
    totals: dict[str, list[int]] = {}
    for s in summaries:
        entry = totals.setdefault(s.label, [0, 0])
        entry[0] += s.messages
        entry[1] += 1
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(label, n, p) for label, (n, p) in ranked[:limit]]


def day_label(ts: int) -> str:
    return f"{datetime.fromtimestamp(ts):%d %b %Y}"
