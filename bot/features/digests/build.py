"""Assembling a digest: numbers, topics, forecast, chart and other features' sections.

Heavy steps run in worker threads (SQL on a reader connection, clustering, the chart);
the model is only reached through the embedder's own `aencode` thread. A failing part
(chart, topics, a section) is logged and left out: the rest of the digest still goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from bot.chart import ChartData, render_chart
from bot.features.digests import summaries
from bot.features.digests.data import Change, DigestData, collect, window_for
from bot.features.digests.topic_worker import DAY, CachedReport, priority
from bot.features.profiles.feature import Profiles
from bot.features.profiles.store import load_profile
from bot.replies import Attachment, Button, Reply
from bot.text import defuse_mentions, plural, shorten
from models.embedder import text_hash
from models.forecast import Forecast, choose_forecast, in_words
from models.topics.extract import TopicReport, TopicTrend, extract_topics
from models.topics.words import name_tokens

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("convene.digest")
ENCODE_BUDGET = 1500  # texts a digest may encode itself when the background work lags
SHOWN_TOPICS = 3
_PLATFORM_MENTION = re.compile(r"<@[!&]?\d+>")
_AT_WORD = re.compile(r"@(\w)")
_WORDS = re.compile(r"\W+")


@dataclass
class Digest:
    """A built digest: the reply to post and what went into it."""

    reply: Reply  # what is posted: fits a phone screen, with a "More" button
    data: DigestData
    topics: TopicReport | None = None
    forecast: Forecast | None = None
    chart: bytes | None = None
    notes: list[str] = field(default_factory=list)
    full: Reply | None = None  # every section, for the "More" button


def period_label(days: int) -> str:
    names = {1: "Daily", 7: "Weekly", 14: "Fortnightly"}
    return names.get(days, "Monthly" if 28 <= days <= 31 else f"{days}-day")


def change(c: Change) -> str:
    if c.before == 0:
        return f"{c.now:,} (none the period before)" if c.now else "0"
    ratio = (c.now - c.before) / c.before
    return f"{c.now:,} ({'±0%' if abs(ratio) < 0.005 else f'{ratio:+.0%}'} vs {c.before:,})"


def snippet(text: str, limit: int = 90) -> str:
    """One safe line of a member's message: trimmed, no pings of anyone."""
    flat = _PLATFORM_MENTION.sub("@someone", " ".join(text.split()))
    return defuse_mentions(_AT_WORD.sub("@\u200b\\1", shorten(flat, limit)))


async def _vectors(
    core: Core, texts: list[str], periods: list[int], budget: int | None = None
) -> tuple[list[int], np.ndarray]:
    """Indices of the texts that have vectors, and those vectors (cached first, then a budget)."""
    embedder = core.embedder
    assert embedder is not None
    hashes = [text_hash(t) for t in texts]
    cached: dict[str, np.ndarray] = {}
    if embedder.cache is not None:
        cached = await asyncio.to_thread(embedder.cache.get_many, embedder.model_id, hashes)
    # Newest period first; within a period a uniform (hash-ordered) part, so shares stay fair.
    misses = {h: i for i, h in enumerate(hashes) if h not in cached}.values()
    missing = sorted(misses, key=lambda i: (-periods[i], priority(texts[i])))[
        : ENCODE_BUDGET if budget is None else budget
    ]
    if missing:
        fresh = await embedder.aencode([texts[i] for i in missing])
        cached.update({hashes[i]: fresh[j] for j, i in enumerate(missing)})
    keep = [i for i, h in enumerate(hashes) if h in cached]
    if not keep:
        return [], np.zeros((0, embedder.dim), dtype=np.float32)
    return keep, np.stack([cached[hashes[i]] for i in keep])


async def _topics(
    core: Core, community: int, data: DigestData, notes: list[str], budget: int | None = None
) -> TopicReport | None:
    if core.embedder is None or not data.topic_texts:
        return None
    keep, vecs = await _vectors(core, data.topic_texts, data.topic_periods, budget)
    skipped = len(data.topic_texts) - len(keep)
    if skipped:
        notes.append(f"{plural(skipped, 'message')} are still waiting for topic analysis.")
    if data.sampled_days:
        notes.append(
            f"Topics use a sample of up to {data.sample_cap:,} messages a day on "
            f"{plural(data.sampled_days, 'busy day')} ({data.stored_texts:,} messages in all)."
        )
    if not keep:
        return None
    texts = [data.topic_texts[i] for i in keep]
    periods = np.array([data.topic_periods[i] for i in keep], dtype=np.int64)
    hide = name_tokens(core.store.member_names(community))
    return await asyncio.to_thread(extract_topics, texts, vecs, periods, hide_words=hide)


async def _newcomers(core: Core, community: int, data: DigestData) -> list[str]:
    lines = []
    profiles = core.has(Profiles)
    for member, name in data.newcomers:
        headline = ""
        profile = load_profile(core.store, community, member) if profiles else None
        if profile is not None and profile.visible and profile.headline:
            headline = " — " + snippet(profile.headline, 80)
        lines.append(f"• {snippet(name, 40)}{headline}")
    return lines


def _topic_lines(
    title: str, topics: list[TopicTrend], days: int, *, topics_shown: int = SHOWN_TOPICS,
    quotes: int = 2,
) -> list[str]:  # fmt: skip
    unit = {1: "day", 7: "week", 14: "fortnight"}.get(days, "period")
    lines = [title]
    for t in topics[:topics_shown]:
        lines.append(
            f"• {snippet(t.label, 60)} — ×{t.growth:.1f} vs earlier {unit}s ({t.current} messages)"
        )
        shown: list[str] = []
        for example in t.examples:
            line = snippet(example, 80)
            key = _WORDS.sub("", line.lower().rstrip("…"))
            if not any(key.startswith(k) or k.startswith(key) for k in shown):
                shown.append(key)
                lines.append(f"    “{line}”")
            if len(shown) == quotes:
                break
    return lines


def _from_summaries(core: Core, community: int, start: int, end: int) -> list[str]:
    """Lines on the topics of the weeks in [start, end) whose text is gone, from summaries."""
    if end - start < DAY:
        return []
    try:
        found = summaries.load(core.store, community, start, end)
    except sqlite3.OperationalError:
        return []
    top = summaries.earlier_topics(found)
    if not top:
        return []
    lines = [f"Earlier, {summaries.day_label(start)}–{summaries.day_label(end)} (weekly summaries)"]
    for label, messages, weeks in top:
        lines.append(f"• {snippet(label, 60)} — {messages:,} messages over {plural(weeks, 'week')}")
    return lines


def _forecast_text(f: Forecast, days: int) -> str:
    unit = {1: "day", 7: "week", 14: "fortnight"}.get(days, "month" if 28 <= days <= 31 else "")
    return in_words(f, unit or plural(days, "day"))


async def topic_report(core: Core, community: int, end: datetime, days: int) -> CachedReport:
    """Only the topics of the period ending at `end` (for the background worker's cache)."""
    window = window_for(end.astimezone(core.timezone(community)), days)
    data = await asyncio.to_thread(collect, core.store.reader(), community, window)
    notes: list[str] = []
    report = await _topics(core, community, data, notes)
    if report is not None and report.topics:
        with contextlib.suppress(sqlite3.OperationalError):
            summaries.save(core.store, community, window, report)
    return CachedReport(window.end, time.time(), report, tuple(notes))


async def build_digest(
    core: Core,
    community: int,
    end: datetime,
    days: int,
    *,
    title: str | None = None,
    cached: CachedReport | None = None,
) -> Digest:
    """The digest of the `days` days ending at `end` (any aware datetime); `cached`: topics
    the background worker already worked out for this period."""
    tz = core.timezone(community)
    local_end = end.astimezone(tz)
    window = window_for(local_end, days)
    with_texts = core.embedder is not None and cached is None
    data = await asyncio.to_thread(  # the reader flushes the buffer first: off the loop
        lambda: collect(
            core.store.reader(),
            community,
            window,
            with_texts=with_texts,
            admins=frozenset(a.casefold() for a in core.config.console_admins),
        )
    )
    name = core.store.community_name(community)
    start_local = datetime.fromtimestamp(window.start, tz)
    span = f"{start_local:%d %b}–{(local_end - timedelta(seconds=1)):%d %b %Y}"
    heading = title or f"{period_label(days)} digest · {name}"
    if data.messages.now == 0 and data.active.now == 0 and data.new.now == 0:
        text = (
            f"A quiet {plural(days, 'day')} ({span}): nobody wrote in {name or 'the community'}. "
            "A good moment to ask a question or introduce someone!"
        )
        return Digest(Reply(text, title=heading), data)
    digest = Digest(Reply(), data)
    notes = digest.notes
    try:
        if cached is not None:
            digest.topics = cached.report
            notes.extend(cached.notes)
        else:
            digest.topics = await _topics(core, community, data, notes)
    except Exception:
        log.exception("topic extraction failed for community %s", community)
        notes.append("Topics could not be worked out this time.")
    digest.forecast = choose_forecast(data.history or [c for _, c in data.daily], days)
    try:
        digest.chart = await asyncio.to_thread(
            render_chart, ChartData(f"{name} · messages per day", data.daily, days)
        )
    except Exception:
        log.exception("chart failed for community %s", community)
        notes.append("The chart could not be drawn this time.")
    fields: list[tuple[str, str]] = [
        ("Messages", change(data.messages)),
        ("Active members", change(data.active)),
        ("New members", change(data.new)),
    ]
    if data.answered:
        fields.append(
            (
                "Top contributors",
                ", ".join(f"{snippet(n, 40)} ({c:,} answered)" for n, c in data.answered),
            )
        )
    elif data.top:
        fields.append(
            ("Top contributors", ", ".join(f"{snippet(n, 40)} ({c:,})" for n, c in data.top))
        )
    fields.append(("Forecast", _forecast_text(digest.forecast, days)))
    start = datetime.fromtimestamp(window.start, tz)
    # Sections other features declare with `@TheirFeature.digest_section` (upcoming events,
    # suggested intros); only installed features contribute.
    for section in [s for f in core.features for s in f.digest_sections]:
        try:
            extra = await section(core, community, start, local_end)
        except Exception:
            log.exception("digest section %s failed", getattr(section, "__name__", section))
            continue
        if extra:
            fields.append(extra)
    report = digest.topics
    now = int(core.clock().timestamp())
    if cached is None and report is not None and report.topics and window.end <= now + 60:
        with contextlib.suppress(sqlite3.OperationalError):  # no digests tables: no summary
            summaries.save(core.store, community, window, report)
    lines = [span]
    cutoff = now - core.config.text_retention_days * DAY
    earlier = _from_summaries(core, community, window.start, min(cutoff, window.end))
    if earlier:
        lines += ["", *earlier]
        notes.append(
            f"Message text is kept {plural(core.config.text_retention_days, 'day')}; topics "
            f"before {summaries.day_label(cutoff)} come from the weekly topic summaries."
        )
    if report is not None and report.rising:
        lines += ["", *_topic_lines("Rising topics", report.rising, days)]
    if report is not None and report.fading:
        lines += ["", *_topic_lines("Fading topics", report.fading, days)]
    if report is not None and not report.rising and not report.fading and report.topics:
        lines += ["", *_topic_lines("Most discussed", report.topics, days)]
    welcome = await _newcomers(core, community, data)
    if welcome:
        lines += ["", "Please welcome:", *welcome]
    if notes:
        lines += ["", *(f"ℹ {n}" for n in notes)]
    attachment = None
    if digest.chart is not None:
        attachment = Attachment(
            "digest.png", digest.chart, is_image=True,
            description="Messages per day, the least-squares trend and the forecast range",
        )  # fmt: skip
    digest.full = Reply(
        "\n".join(lines), title=heading, fields=tuple(fields), attachment=attachment
    )
    short = [span, *earlier[:3]]
    shown = (report.rising or report.topics) if report is not None else []
    if shown:
        title_line = "Rising topics" if report is not None and report.rising else "Most discussed"
        short += ["", *_topic_lines(title_line, shown, days, topics_shown=2, quotes=1)]
    if welcome:
        names = [w.removeprefix("• ").split(" — ")[0] for w in welcome]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        short += ["", f"Please welcome {', '.join(names[:3])}{more}!"]
    if notes:
        short += ["", *(f"ℹ {n}" for n in notes)]
    button = Button("More", f"dg:more:{window.end}:{days}")
    short_fields = tuple(fields)
    digest.reply = Reply(
        "\n".join(short), title=heading, fields=short_fields, attachment=attachment,
        buttons=(button,),
    )  # fmt: skip
    return digest
