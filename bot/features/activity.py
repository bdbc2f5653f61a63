"""Activity insight: /stats, /leaderboard, /activity over the logged activity rows.

The rows are the core's (`bot/storage/activity.py` reads them); imported history is the
importers' (`bot.importers.records`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.importers.records import forget_imports
from bot.storage.activity import (
    DAY,
    community_activity,
    delete_member_activity,
    export_activity_rows,
    member_stats,
    top_members,
)
from bot.storage.store import KIND_NAMES, Store
from bot.text import plural
from models.vector_cache import text_hash


class Activity(
    Feature,
    name="activity",
    member_columns=[("activity", "member"), ("imported", "member"), ("member_days", "member")],
):
    """/stats, /leaderboard and /activity over the core's activity log."""

    def erase_texts(self, community: int, texts: list[str]) -> None:
        """The cached embeddings of the texts go with them (a cache: another member's same
        text is simply encoded again when needed)."""
        self.core.store.delete_vectors([text_hash(t) for t in texts])


_BARS = "▁▂▃▄▅▆▇█"


def day_offset(ctx: Context) -> int:
    """Seconds to add to a UTC timestamp to get the community's local day."""
    offset = ctx.now.astimezone(ctx.tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(7, round(v / top * 7))] for v in values)


def display_name(name: str, named: int) -> str:
    return name if named else "(a member who prefers not to be named)"


@Activity.command(
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
        member_stats, ctx.community, member, now, day_offset(ctx)
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


@Activity.command(
    "leaderboard",
    "The most active members over the last days.",
    Arg("days", "int", "how many days back (1-365)", default=7, min=1, max=365),
)
async def leaderboard(ctx: Context, args: Args) -> Answer:
    days = args["days"]
    since = int((ctx.now - timedelta(days=days)).timestamp())
    until = int(ctx.now.timestamp()) + 1  # `convene chat --at` looks from a past day
    rows = await ctx.store.read(top_members, ctx.community, since, until)
    if not rows:
        return ctx.reply(f"No messages in the last {plural(days, 'day')} yet.")
    lines = [
        f"{i}. {display_name(name, named)} — {plural(n, 'message')}"
        for i, (name, named, n) in enumerate(rows, 1)
    ]
    return ctx.reply("\n".join(lines), title=f"Leaderboard, last {plural(days, 'day')}")


@Activity.command(
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
        community_activity, ctx.community, start, now, offset
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


@Activity.exporter
def export_activity(store: Store, community: int, member: int) -> dict[str, Any]:
    days = store.rows(
        "SELECT day * 86400 AS day, kind, sum(n) AS n FROM member_days WHERE community = ? "
        "AND member = ? GROUP BY day, kind ORDER BY day, kind",
        (community, member),
    )
    daily = [
        {"day": datetime.fromtimestamp(r["day"], UTC).date().isoformat(),
         "kind": KIND_NAMES[r["kind"]], "count": r["n"]}
        for r in days
    ]  # fmt: skip
    return {"activity": export_activity_rows(store, community, member), "member_days": daily}


@Activity.deleter
def delete_activity(store: Store, community: int, member: int) -> None:
    """Delete a member's activity, live and imported (`bot.features.privacy.erase_activity`
    also deletes what was derived from their texts)."""
    delete_member_activity(store, community, member)
    forget_imports(store, community, member)
