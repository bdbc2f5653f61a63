"""Activity insight: /stats, /leaderboard, /activity over the logged activity rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.storage.store import ACTIVITY_KINDS, KIND_NAMES, Store
from bot.text import plural
from models.vector_cache import text_hash

feature = Feature("activity", member_columns=[("activity", "member"), ("imported", "member")])
DAY = 86400
_BARS = "▁▂▃▄▅▆▇█"


def day_offset(ctx: Context) -> int:
    """Seconds to add to a UTC timestamp to get the community's local day."""
    offset = ctx.now.astimezone(ctx.tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def daily_counts(
    conn: sqlite3.Connection,
    community: int,
    start: int,
    end: int,
    offset: int,
    member: int | None = None,
) -> dict[int, int]:
    """Messages per local day number in [start, end)."""
    sql = (
        "SELECT (at + ?) / 86400 AS day, count(*) FROM activity "
        "WHERE community = ? AND kind = 0 AND at >= ? AND at < ?"
    )
    params: list[Any] = [offset, community, start, end]
    if member is not None:
        sql += " AND member = ?"
        params.append(member)
    return {int(day): int(n) for day, n in conn.execute(sql + " GROUP BY day", params)}


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(7, round(v / top * 7))] for v in values)


def display_name(name: str, named: int) -> str:
    return name if named else "(a member who prefers not to be named)"


def _top_members(
    conn: sqlite3.Connection, community: int, since: int
) -> list[tuple[str, int, int]]:
    """(name, named, messages) of the ten most active members since `since`."""
    return conn.execute(
        "SELECT m.name, m.named, count(*) AS n FROM activity a "
        "JOIN members m ON m.id = a.member WHERE a.community = ? AND a.kind = 0 AND a.at >= ? "
        "GROUP BY a.member ORDER BY n DESC, m.name LIMIT 10",
        (community, since),
    ).fetchall()


@feature.command(
    "stats",
    "Your activity, or another member's: messages, active days, streak, rank.",
    Arg("member", "member", "whose stats (default: yours)", default=None),
)
async def stats(ctx: Context, args: Args) -> Answer:
    member, name = (ctx.member, ctx.event.name)
    if args["member"]:
        member, name = ctx.find_member(args["member"])
    info = ctx.store.member_info(member) or {}
    if not info.get("tracking", 1):
        return ctx.private(f"{name} has turned activity tracking off, so there is nothing to show.")
    if member != ctx.member and not info.get("named", 1):
        return ctx.private(f"{name} prefers not to be shown in stats.")
    now = int(ctx.now.timestamp())
    days, ranking, attended = await ctx.store.read(
        _stats_data, ctx.community, member, now, day_offset(ctx)
    )
    total = sum(days.values())
    today = (now + day_offset(ctx)) // DAY
    streak, day = 0, today if today in days else today - 1
    while day in days:
        streak += 1
        day -= 1
    rank = next((i for i, m in enumerate(ranking, 1) if m == member), None)
    first = datetime.fromtimestamp(info.get("first_seen", now), ctx.tz).strftime("%d %b %Y")
    rank_text = f"#{rank} of {len(ranking)} (last 30 days)" if rank else "not ranked yet"
    return ctx.reply(
        title=f"Stats for {name}",
        fields=(
            ("Messages", f"{total:,}"),
            ("Active days", f"{len(days):,}"),
            ("Streak", plural(streak, "day")),
            ("First seen", first),
            ("Rank", rank_text),
            ("Events attended", f"{attended:,}"),
        ),
    )


def _stats_data(
    conn: sqlite3.Connection, community: int, member: int, now: int, offset: int
) -> tuple[dict[int, int], list[int], int]:
    """A member's messages per day, the 30-day ranking of members, events attended."""
    days = daily_counts(conn, community, 0, now + 1, offset, member)
    ranking = [
        int(m)
        for m, _ in conn.execute(
            "SELECT member, count(*) AS n FROM activity WHERE community = ? AND kind = 0 "
            "AND at >= ? GROUP BY member ORDER BY n DESC",
            (community, now - 30 * DAY),
        )
    ]
    attended = conn.execute(
        "SELECT count(*) FROM activity WHERE community = ? AND member = ? AND kind = ?",
        (community, member, ACTIVITY_KINDS["attend"]),
    ).fetchone()[0]
    return days, ranking, int(attended)


@feature.command(
    "leaderboard",
    "The most active members over the last days.",
    Arg("days", "int", "how many days back (1-365)", default=7, min=1, max=365),
)
async def leaderboard(ctx: Context, args: Args) -> Answer:
    days = args["days"]
    since = int((ctx.now - timedelta(days=days)).timestamp())
    rows = await ctx.store.read(_top_members, ctx.community, since)
    if not rows:
        return ctx.reply(f"No messages in the last {plural(days, 'day')} yet.")
    lines = [
        f"{i}. {display_name(name, named)} — {plural(n, 'message')}"
        for i, (name, named, n) in enumerate(rows, 1)
    ]
    return ctx.reply("\n".join(lines), title=f"Leaderboard, last {plural(days, 'day')}")


@feature.command(
    "activity",
    "Community activity: messages per day, active and new members, week-over-week change.",
    Arg("days", "int", "how many days back (1-365)", default=14, min=1, max=365),
)
async def activity(ctx: Context, args: Args) -> Answer:
    days = args["days"]
    offset = day_offset(ctx)
    now = int(ctx.now.timestamp())
    today = (now + offset) // DAY
    first_day = today - days + 1
    start = first_day * DAY - offset
    counts, active, new, this_week, last_week = await ctx.store.read(
        _activity_data, ctx.community, start, now, offset
    )
    series = [counts.get(d, 0) for d in range(first_day, today + 1)]
    if last_week:
        change = f"{(this_week - last_week) / last_week:+.0%} ({last_week:,} → {this_week:,})"
    else:
        change = f"new activity ({this_week:,} this week)" if this_week else "no messages yet"
    return ctx.reply(
        f"{sparkline(series)}\n{min(series, default=0):,} to {max(series, default=0):,} "
        "messages a day",
        title=f"Activity, last {plural(days, 'day')}",
        fields=(
            ("Messages", f"{sum(series):,} ({sum(series) / days:.1f} a day)"),
            ("Active members", f"{active:,}"),
            ("New members", f"{new:,}"),
            ("Week over week", change),
        ),
    )


def _activity_data(
    conn: sqlite3.Connection, community: int, start: int, now: int, offset: int
) -> tuple[dict[int, int], int, int, int, int]:
    """Messages per local day since `start`, active and new members, this and last week."""
    counts = daily_counts(conn, community, start, now + 1, offset)
    active = conn.execute(
        "SELECT count(DISTINCT member) FROM activity WHERE community = ? AND at >= ?",
        (community, start),
    ).fetchone()[0]
    new = conn.execute(
        "SELECT count(*) FROM members WHERE community = ? AND joined_at >= ?", (community, start)
    ).fetchone()[0]
    # Weeks are half-open (now - 7 days, now]: a message exactly a week old is last week's.
    week = 7 * DAY
    this_week = sum(daily_counts(conn, community, now - week + 1, now + 1, 0).values())
    last_week = sum(daily_counts(conn, community, now - 2 * week + 1, now - week + 1, 0).values())
    return counts, int(active), int(new), this_week, last_week


@feature.exporter
def export_activity(store: Store, community: int, member: int) -> dict[str, Any]:
    rows = store.rows(
        "SELECT a.at, a.kind, a.length, a.text, c.platform, c.ref AS chat FROM activity a "
        "JOIN chats c ON c.id = a.chat WHERE a.community = ? AND a.member = ? ORDER BY a.at",
        (community, member),
    )
    for row in rows:
        row["kind"] = KIND_NAMES[row["kind"]]
        row["at"] = datetime.fromtimestamp(row["at"], UTC).isoformat()
    return {"activity": rows}


@feature.deleter
def delete_activity(store: Store, community: int, member: int) -> None:
    """Delete the member's activity rows (`bot.features.privacy.erase_activity` also deletes
    what was derived from their texts)."""
    store.flush()
    with store.transaction() as c:
        c.execute("DELETE FROM activity WHERE community = ? AND member = ?", (community, member))
        has_imports = c.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'imported'"
        ).fetchone()
        if has_imports:
            c.execute(
                "DELETE FROM imported WHERE community = ? AND member = ?", (community, member)
            )


def member_texts(store: Store, community: int, member: int) -> list[str]:
    """The distinct message texts a member has stored in a community."""
    rows = store.rows(
        "SELECT DISTINCT text FROM activity WHERE community = ? AND member = ? "
        "AND text IS NOT NULL",
        (community, member),
    )
    return [r["text"] for r in rows]


@feature.text_eraser
def erase_vectors(store: Store, community: int, texts: list[str]) -> None:
    """The cached embeddings of the texts (a cache: another member's same text is simply
    encoded again when needed)."""
    store.delete_vectors([text_hash(t) for t in texts])
