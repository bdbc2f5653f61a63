"""The dashboard's pages: each turns query results into tables (which its CSV repeats) and
SVG charts. Builders run in a worker thread on a reader connection (`Store.read`).

Members who turned tracking off or prefer not to be named appear only in counts: a table
that lists people leaves them out and says how many it left out.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from bot.dashboard import queries as q
from bot.dashboard.charts import bar_chart, line_chart
from bot.dashboard.rollup import DAY, backlog, community_offset, refresh
from bot.text import plural

EPOCH = date(1970, 1, 1)
DEFAULT_DAYS = 56
MAX_DAYS = 3 * 366
WINDOW = 28  # engagement levels are measured over four-week windows
LEVELS = ("core", "active", "occasional", "quiet")
TOPIC_SAMPLE = 4000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NotFound(Exception):
    """The id asked for is not one of this community's."""


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive local dates, and the UTC offset that makes them timestamps."""

    first: date
    last: date
    offset: int
    text_from: int = 0  # no message text is kept before this time (the retention)

    @property
    def d0(self) -> int:
        return (self.first - EPOCH).days

    @property
    def d1(self) -> int:
        return (self.last - EPOCH).days

    @property
    def t0(self) -> int:
        return self.d0 * DAY - self.offset

    @property
    def t1(self) -> int:
        return (self.d1 + 1) * DAY - self.offset

    @property
    def days(self) -> int:
        return self.d1 - self.d0 + 1

    @property
    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def day_label(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


def parse_range(args: Mapping[str, str], today: date, offset: int) -> tuple[Range, str]:
    """The page's date range from `from` and `to` (YYYY-MM-DD), and a problem sentence if any."""
    default = Range(today - timedelta(days=DEFAULT_DAYS - 1), today, offset)
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    if not raw_from and not raw_to:
        return default, ""
    try:
        last = _date(raw_to) if raw_to else today
        first = _date(raw_from) if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        return default, "Dates are written YYYY-MM-DD, e.g. 2026-11-01; showing the last 8 weeks."
    if first > last:
        return default, "The range starts after it ends; showing the last 8 weeks."
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        return Range(first, last, offset), "A range covers at most three years; shortened."
    return Range(first, last, offset), ""


def _date(text: str) -> date:
    if not _DATE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


@dataclass
class Table:
    """A table as the page shows it and its CSV repeats it."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    links: dict[int, str] = field(default_factory=dict)  # row index → href of its first cell


@dataclass
class Page:
    slug: str
    title: str
    rng: Range
    charts: list[Markup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: list[tuple[str, str]] = field(default_factory=list)  # headline figures
    report: str = ""  # preformatted text (the re-ranker's report)
    links: list[tuple[str, str]] = field(default_factory=list)
    behind: int = 0  # activity rows not folded into the rollups yet

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise NotFound(name)


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


# -- activity --------------------------------------------------------------------------------


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
                sum(msgs.get(d, 0) for d in span),
                weekly_active.get(w, 0),
                sum(new.get(d, 0) for d in span),
            )
        )
    weekly = Table(
        "weekly",
        "Per week (Monday to Sunday; messages and newcomers within the range)",
        ("week of", "messages", "active members", "new members"),
        weeks,
    )
    page.charts.append(
        line_chart(
            "Messages and active members per week",
            [w[0][5:] for w in weeks],
            {"messages": [w[1] for w in weeks], "active members": [w[2] for w in weeks]},
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


# -- engagement ------------------------------------------------------------------------------


def level(days: int) -> str:
    """Engagement level from active days in a four-week window."""
    if days >= 12:
        return "core"
    if days >= 4:
        return "active"
    return "occasional" if days >= 1 else "quiet"


def engagement(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("engagement", "Engagement levels", rng)
    windows = min(13, max(2, -(-rng.days // WINDOW)))
    base = rng.d1 - WINDOW * windows + 1
    days = q.member_days(conn, c, base, rng.d1, WINDOW)
    roles = q.roles(conn, c)
    members = q.members(conn, c)
    ends = [base + WINDOW * (w + 1) - 1 for w in range(windows)]
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
        "Members per level and role, four-week windows ending",
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


# -- topics ----------------------------------------------------------------------------------


@dataclass
class TopicStats:
    weeks: int
    sampled: int
    per_week: list[int]
    counts: dict[str, list[int]]
    texts: list[tuple[int, int, str, set[str]]]


def _topic_stats(conn: sqlite3.Connection, c: int, rng: Range) -> TopicStats:
    from models.topics.words import content_tokens, tokens

    hide = {w for name in q.member_words(conn, c) for w in tokens(name)}
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
        words = {
            t for t in content_tokens(text) if len(t) > 2 and not t.isdigit() and t not in hide
        }
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


def topics(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("topics", "Topics over time", rng)
    stats = _topic_stats(conn, c, rng)
    ranked = sorted(stats.counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    top = [(w, v) for w, v in ranked if sum(v) >= 3][:25]
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
        links[i] = f"topics/{word}"
    table = Table(
        "topics",
        "Topics (share of sampled messages: last two weeks vs before)",
        ("topic", "messages", "share", "last two weeks", "before", "trend"),
        rows,
        links,
    )
    timeline = []
    for w in range(stats.weeks):
        best = sorted(stats.counts.items(), key=lambda kv: (-kv[1][w], kv[0]))[:5]
        words = ", ".join(word for word, v in best if v[w] >= 2)
        timeline.append((day_label(rng.d0 + 7 * w), stats.per_week[w], words))
    labels = [row[0][5:] for row in timeline]
    page.charts.append(
        line_chart(
            "Share of messages per week, top topics (%)",
            labels,
            {
                word: [100 * n / t if t else 0 for n, t in zip(weekly, stats.per_week, strict=True)]
                for word, weekly in top[:5]
            },
        )
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


# -- matching --------------------------------------------------------------------------------


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


def _cv_report(conn: sqlite3.Connection, c: int) -> str:
    """The re-ranker's cross-validation report over this community's answered outcomes."""
    from models.matching.rerank import Outcome, eval_report

    if not q.has_table(conn, "match_outcomes"):
        return "No intro outcomes recorded yet."
    rows = conn.execute(
        "SELECT fit_ab, fit_ba, sector_overlap, stage_fit, activity, coalesce(useful, 0) "
        "FROM match_outcomes WHERE community = ? AND answered_at IS NOT NULL AND met "
        "ORDER BY answered_at, id",
        (c,),
    ).fetchall()
    return eval_report([Outcome(*map(float, r[:5]), useful=bool(r[5])) for r in rows])


# -- events ----------------------------------------------------------------------------------


def _when(at: int, rng: Range) -> str:
    return datetime.fromtimestamp(at + rng.offset, UTC).strftime("%Y-%m-%d %H:%M")


def events(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("events", "Events", rng)
    found = q.events(conn, c, rng.t0, rng.t1)
    now_day = rng.last
    rows, links = [], {}
    pairs = q.pairs_made(conn, c, min((e["starts_at"] for e in found), default=0))
    for i, e in enumerate(found):
        _rsvps, came = q.event_people(conn, e["id"])
        made = {(a, b) for a, b, at in pairs if at >= e["starts_at"] and a in came and b in came}
        intros = len(made)
        past = e["starts_at"] < (now_day - EPOCH).days * DAY
        state = "cancelled" if e["cancelled_at"] else ("held" if past else "upcoming")
        rows.append(
            (e["title"], _when(e["starts_at"], rng), state, e["rsvps"], e["checkins"],
             e["no_shows"] if past else "", intros)
        )  # fmt: skip
        links[i] = f"events/{e['id']}"
    page.tables = [
        Table(
            "events",
            "Events in the range",
            ("event", "starts", "state", "RSVPs", "attended", "no-shows", "intros among attendees"),
            rows,
            links,
        )
    ]
    page.charts.append(
        bar_chart(
            "RSVPs and attendance, all events in the range",
            [
                ("RSVPs", sum(e["rsvps"] for e in found)),
                ("attended", sum(e["checkins"] for e in found)),
                ("intros among attendees", sum(r[6] for r in rows)),
            ],
        )
    )
    if not found:
        page.notes.append("No events start in this range.")
    return page


def event_detail(conn: sqlite3.Connection, c: int, rng: Range, event_id: str) -> Page:
    """One event's people (named members only) — an event of another community is not found."""
    if not event_id.isdigit():
        raise NotFound(event_id)
    e = q.event(conn, c, int(event_id))
    if e is None:
        raise NotFound(event_id)
    page = Page("events", f"Event: {e['title']}", rng)
    rsvps, came = q.event_people(conn, e["id"])
    shown = {m.id: m.name for m in q.members(conn, c) if m.shown}
    rows = sorted(
        (shown[m], "yes" if m in rsvps else "", "yes" if m in came else "")
        for m in rsvps | came
        if m in shown
    )
    hidden = len((rsvps | came) - shown.keys())
    page.tables = [Table("people", "People", ("member", "RSVP", "came"), rows)]
    page.charts.append(bar_chart("This event", [("RSVPs", len(rsvps)), ("attended", len(came))]))
    page.notes.append(
        f"Starts {_when(e['starts_at'], rng)}{' at ' + e['place'] if e['place'] else ''}."
    )
    if hidden:
        page.notes.append(
            f"{plural(hidden, 'more member')} took part (not named, by their choice)."
        )
    page.links.append(("All events", "../events"))
    return page


# -- digests ---------------------------------------------------------------------------------


def digests(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("digests", "Digests", rng)
    runs = q.digest_runs(conn, c, rng.t0, rng.t1)
    rows = [
        (_when(int(_iso(period).timestamp()), rng), status, _where(target), _when(claimed, rng),
         _when(finished, rng) if finished else "")
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


Builder = Callable[[sqlite3.Connection, int, Range, str], Page]
PAGES: dict[str, tuple[str, Builder]] = {
    "activity": ("Activity", activity),
    "engagement": ("Engagement", engagement),
    "topics": ("Topics", topics),
    "matching": ("Matching", matching),
    "events": ("Events", events),
    "digests": ("Digests", digests),
}
DETAILS: dict[str, Builder] = {"topics": topic, "events": event_detail}


FOLD_PER_PAGE = 40_000  # activity rows a page view folds into the rollups at most


def build(
    conn: sqlite3.Connection,
    c: int,
    builder: Builder,
    args: Mapping[str, str],
    now: datetime,
    default_tz: str,
    item: str = "",
    *,
    text_days: int = 30,
) -> Page:
    """Bring the rollups forward, read the range from `args`, and build one page.

    A page view folds at most `FOLD_PER_PAGE` new rows; a bigger backlog (the first start
    on a big store) is folded in the background and the page says so.
    """
    refresh(conn, default_tz, max_rows=FOLD_PER_PAGE)
    behind = backlog(conn)
    offset = community_offset(conn, c, default_tz)
    today = EPOCH + timedelta(days=(int(now.timestamp()) + offset) // DAY)
    rng, problem = parse_range(args, today, offset)
    rng = replace(rng, text_from=int(now.timestamp()) - text_days * DAY)
    page = builder(conn, c, rng, item)
    page.behind = behind
    if problem:
        page.notes.insert(0, problem)
    if behind:
        page.notes.insert(
            0,
            f"Still counting about {behind:,} earlier messages into these figures; "
            "reload in a minute for the full picture.",
        )
    return page
