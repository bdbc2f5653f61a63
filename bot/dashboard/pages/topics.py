"""Topics over time: each week's words and phrases, rising and fading, quotes."""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from bot.dashboard import queries as q
from bot.dashboard.charts import line_chart
from bot.dashboard.pages.base import NotFound, Page, Range, Table, day_label, pct
from bot.dashboard.rollup import DAY
from bot.text import plural

TOPIC_SAMPLE = 2000


@dataclass
class TopicStats:
    weeks: int
    sampled: int
    per_week: list[int]
    counts: dict[str, list[int]]
    texts: list[tuple[int, int, str, set[str]]]


_NAMES: dict[tuple[str, int], tuple[int, frozenset[str]]] = {}


def _name_words(
    conn: sqlite3.Connection, c: int, tokens: Callable[[str], list[str]]
) -> frozenset[str]:
    """Words of members' names (they never name a topic), kept while the names stay the same."""
    names = q.member_words(conn, c)
    where, key = (q.database(conn), c), hash(tuple(names))
    found = _NAMES.get(where)
    if found is None or found[0] != key:
        found = _NAMES[where] = (key, frozenset(w for name in names for w in tokens(name)))
    return found[1]


def _topic_stats(conn: sqlite3.Connection, c: int, rng: Range) -> TopicStats:
    from models.topics.words import content_tokens, tokens

    hide = _name_words(conn, c, tokens)
    t0 = max(rng.t0, rng.text_from)
    first_day = (t0 + rng.offset) // DAY
    expected = sum(q.messages_by_day(conn, c, first_day, rng.d1).values())
    sample = q.text_sample(conn, c, t0, rng.t1, TOPIC_SAMPLE, expected)
    weeks = -(-rng.days // 7)
    per_week = [0] * weeks
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    texts = []
    for at, member, text in sample:
        w = min(weeks - 1, ((at + rng.offset) // DAY - rng.d0) // 7)
        kept = [t for t in content_tokens(text) if len(t) > 2 and not t.isdigit() and t not in hide]
        words = set(kept) | {f"{a} {b}" for a, b in itertools.pairwise(kept) if a != b}
        per_week[w] += 1
        for word in words:
            counts[word][w] += 1
        texts.append((at, member, text, words))
    return TopicStats(weeks, len(sample), per_week, dict(counts), texts)


def _trend(weekly: list[int], per_week: list[int]) -> tuple[float, float, str]:
    """(recent share, earlier share, rising/fading/steady) comparing the last two weeks."""
    recent_n, recent_all = sum(weekly[-2:]), sum(per_week[-2:])
    early_n, early_all = sum(weekly[:-2]), sum(per_week[:-2])
    recent = recent_n / recent_all if recent_all else 0.0
    early = early_n / early_all if early_all else 0.0
    if early_all == 0 or recent_all == 0:
        return recent, early, "steady"
    if recent_n >= 3 and recent >= 1.5 * early + 0.002:
        return recent, early, "rising"
    if early_n >= 3 and recent <= 0.6 * early:
        return recent, early, "fading"
    return recent, early, "steady"


def _ranked(counts: dict[str, list[int]]) -> list[str]:
    """Terms seen at least 3 times, two-word phrases first; a word that mostly (70%) appears
    in one phrase is left to it ("product roadmap" rather than "product" and "roadmap")."""
    total = {t: sum(v) for t, v in counts.items() if sum(v) >= 3}
    phrases = sorted((t for t in total if " " in t), key=lambda t: (-total[t], t))
    covered = {w for p in phrases for w in p.split() if total[p] >= 0.7 * total.get(w, 0)}
    return sorted(
        (t for t in total if t not in covered),
        key=lambda t: (-total[t] * (2.0 if " " in t else 1.0), t),
    )


def topics(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("topics", "Topics over time", rng)
    stats = _topic_stats(conn, c, rng)
    ranked = _ranked(stats.counts)[:200]
    top = [(t, stats.counts[t]) for t in ranked[:25]]
    rows, links = [], {}
    for i, (word, weekly) in enumerate(top):
        recent, early, trend = _trend(weekly, stats.per_week)
        rows.append(
            (
                word,
                sum(weekly),
                pct(sum(weekly), stats.sampled),
                f"{recent:.1%}",
                f"{early:.1%}",
                trend,
            )
        )
        links[i] = f"topics/{quote(word)}"
    table = Table(
        "topics",
        "Topics (share of sampled messages: last two weeks vs before)",
        ("topic", "messages", "share", "last two weeks", "before", "trend"),
        rows,
        links,
    )
    # Weeks before the text retention began have no text to read: the timeline starts after.
    horizon = (max(rng.t0, rng.text_from) + rng.offset) // DAY
    first = min(max(0, (horizon - rng.d0) // 7), stats.weeks - 1)
    shown = range(first, stats.weeks)
    timeline = []
    for w in shown:
        best = sorted(ranked, key=lambda t: (-stats.counts[t][w], t))[:5]
        words = ", ".join(t for t in best if stats.counts[t][w] >= 2)
        timeline.append((day_label(rng.d0 + 7 * w), stats.per_week[w], words))
    page.charts.append(
        line_chart(
            "Share of messages per week, top topics (%)",
            [row[0][5:] for row in timeline],
            {
                word: [
                    100 * weekly[w] / stats.per_week[w] if stats.per_week[w] else 0 for w in shown
                ]
                for word, weekly in top[:5]
            },
        )
    )
    if first:
        page.notes.append(
            f"Message text is kept for the retention period only, so topics start on "
            f"{day_label(horizon)}; the insight work's period summaries will reach further back."
        )
    page.tables = [
        table,
        Table(
            "timeline",
            "Timeline: each week's main words",
            ("week from", "messages", "topics"),
            timeline,
        ),
        Table(
            "moves",
            "Rising and fading",
            ("topic", "trend"),
            [(r[0], r[5]) for r in rows if r[5] != "steady"],
        ),
    ]
    page.notes.append(
        f"Read from an even sample of {stats.sampled:,} stored messages in the range "
        "(stored text is kept for the retention period only)."
    )
    return page


def topic(conn: sqlite3.Connection, c: int, rng: Range, word: str) -> Page:
    """One topic: its weekly count and quotes from members who allow being quoted."""
    stats = _topic_stats(conn, c, rng)
    weekly = stats.counts.get(word)
    if weekly is None or sum(weekly) < 3:
        raise NotFound(word)
    page = Page("topics", f"Topic: {word}", rng)
    shown = {m.id: m for m in q.members(conn, c) if m.shown}
    quotes, unquoted = [], set()
    for at, member, text, words in sorted(stats.texts, key=lambda t: -t[0]):
        if word not in words:
            continue
        if member not in shown:
            unquoted.add(member)
        elif len(quotes) < 12:
            when = datetime.fromtimestamp(at + rng.offset, UTC).strftime("%Y-%m-%d")
            quotes.append((when, shown[member].name, " ".join(text.split())[:300]))
    page.charts.append(
        line_chart(
            f"Messages about {word} per week (sampled)",
            [day_label(rng.d0 + 7 * w)[5:] for w in range(stats.weeks)],
            {word: weekly},
        )
    )
    page.tables = [Table("quotes", "What members said", ("day", "member", "message"), quotes)]
    if unquoted:
        page.notes.append(
            f"{plural(len(unquoted), 'more member')} wrote about it (not quoted, by their choice)."
        )
    page.links.append(("All topics", "../topics"))
    return page
