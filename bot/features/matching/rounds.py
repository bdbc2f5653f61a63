"""Intro rounds: members opt in; on schedule (or /rounds now) everyone is paired by an exact
maximum-weight matching on mutual fit, never with someone met or asked within the cooldown.
A member left over joins a trio. A week later each gets a follow-up ("did you meet?").
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.commands import Arg, Args, CommandError, sub
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.matching.intro_store import WEEK, add_history, recent_pairs
from bot.features.matching.intros import contact
from bot.features.matching.outcomes import activity_levels, expect_outcomes
from bot.features.matching.round_pairing import group
from bot.features.matching.round_store import (
    MIGRATIONS,
    delete_rounds,
    export_rounds,
    join_rounds,
    leave_rounds,
    participants,
    record_round,
)
from bot.features.matching.service import service
from bot.features.profiles.store import load_profile
from bot.replies import Reply, Target, Visibility
from bot.scheduling.scheduler import Scheduler
from bot.text import plural

if TYPE_CHECKING:
    from bot.core import Core
    from bot.scheduling.scheduler import ScheduleRow
    from models.matching.matcher import Matcher

KIND = "rounds"
DEFAULT_WHEN = "mon 09:00"


class Rounds(
    Feature,
    name="rounds",
    requires=("matching", "profiles"),
    migrations=MIGRATIONS,
    member_columns=[("round_members", "member")],
):
    """Intro rounds; scheduled through the scheduler when the bot runs one."""

    async def start(self) -> None:
        if self.core.has(Scheduler):
            self.core.feature(Scheduler).register_kind(KIND, run_scheduled_round)


Rounds.exporter(export_rounds)
Rounds.deleter(delete_rounds)


def _fits(matcher: Matcher, a: int, b: int) -> tuple[float, float, float, list[str]]:
    s = matcher.explain(a, b)
    return (s.score, s.fit_ab, s.fit_ba, s.why) if s else (0.0, 0.0, 0.0, [])


async def _dm(core: Core, member: int, text: str, title: str) -> bool:
    target = core.dm_target(member)
    if target is None:
        return False
    return await core.send(Reply(text, title=title, to=target, visibility=Visibility.DM))


async def run_round(core: Core, community: int, *, announce: Target | None = None) -> str:
    """Pair the community's round participants, message every group, plan follow-ups.

    Returns a one-line summary (also posted to `announce` when given).
    """
    store = core.store
    now = int(core.clock().timestamp())
    joined = participants(store, community)
    matcher = await service(core).matcher(community)
    eligible = [m for m in joined if (p := matcher.profile(m)) is not None and p.visible]
    for m in set(joined) - set(eligible):
        await _dm(core, m, "You're in the intro rounds, but I can't pair you without a visible "
                  "profile and matching on (/profile setup, /privacy matching on).", "Intro round")  # fmt: skip
    if len(eligible) < 2:
        summary = f"Intro round skipped: {plural(len(eligible), 'participant')} with a profile."
        if announce is not None:
            await core.send(Reply(summary, to=announce))
        return summary
    skip = recent_pairs(store, community, now - core.config.cooldown_weeks * WEEK)
    weights = matcher.pair_weights(eligible, exclude_pairs=skip)
    groups, alone = await asyncio.to_thread(group, weights)
    round_id = record_round(store, community, now, len(eligible), len(groups))
    levels = activity_levels(store, community, now)
    for g, members in enumerate([[eligible[i] for i in grp] for grp in groups]):
        ref = f"round:{round_id}:{g}"
        fits = {(a, b): _fits(matcher, a, b) for a in members for b in members if a != b}
        pairs = [(a, b, *fits[a, b][:3]) for a in members for b in members if a < b]
        add_history(store, community, pairs, ref, now)
        for m in members:
            others = [o for o in members if o != m]
            mine = [(o, fits[m, o][1], fits[m, o][2]) for o in others]
            expect_outcomes(store, community, m, mine, ref, now, levels)
            await _dm(core, m, _group_text(core, m, others, fits), "Your intro round match")
    for i in alone:
        await _dm(core, eligible[i], "No good match for you this round; you're in the next one.",
                  "Intro round")  # fmt: skip
    summary = (
        f"Intro round: {plural(len(groups), 'group')} from "
        f"{plural(len(eligible), 'participant')}" + (f", {len(alone)} unmatched." if alone else ".")
    )
    if announce is not None:
        await core.send(Reply(summary + " Check your private messages.", to=announce))
    return summary


def _group_text(
    core: Core, member: int, others: list[int], fits: dict[tuple[int, int], Any]
) -> str:
    target = core.dm_target(member)
    platform = target.platform if target else ""
    names = [core.store.member_info(o)["name"] for o in others]  # type: ignore[index]
    lines = [f"This round you're meeting {' and '.join(names)}. Say hello and find a time!"]
    for o, name in zip(others, names, strict=True):
        how = contact(core.store, o, platform)
        lines.append(f"\n{name} — reach them: {how}")
        lines.extend(f"• {w}" for w in fits[member, o][3][:3])
    lines.append("\nI'll check in in a week to ask how it went.")
    return "\n".join(lines)


async def run_scheduled_round(core: Core, row: ScheduleRow) -> None:
    """The scheduler's runner for kind "rounds"."""
    await run_round(core, row.community, announce=row.target)


@Rounds.command(
    "rounds",
    "Intro rounds: join or leave; admins schedule them (weekly/biweekly), run one now or stop.",
    sub("status", "Whether intro rounds are scheduled and if you're in."),
    sub("join", "Take part in the intro rounds."),
    sub("leave", "Stop taking part in the intro rounds."),
    sub("schedule", "Schedule intro rounds (admins).",
        Arg("when", "text", help="weekly or biweekly, optionally a day and time",
            default=None), admin=True),
    sub("now", "Run an intro round now (admins).", admin=True),
    sub("off", "Stop the scheduled intro rounds (admins).", admin=True),
    default="status",
)  # fmt: skip
async def rounds(ctx: Context, args: Args) -> Answer:
    action, when = args["action"], args.get("when")
    now = int(ctx.now.timestamp())
    if action == "join":
        join_rounds(ctx.store, ctx.community, ctx.member, now)
        p = load_profile(ctx.store, ctx.community, ctx.member)
        hint = "" if p and p.visible else " Set up a visible profile (/profile setup) to be paired."
        return ctx.private("You're in the intro rounds; you'll get your match privately." + hint)
    if action == "leave":
        leave_rounds(ctx.store, ctx.community, ctx.member)
        return ctx.private("You've left the intro rounds.")
    if action == "now":
        return ctx.private(await run_round(ctx.core, ctx.community))
    scheduler = ctx.core.feature(Scheduler) if ctx.core.has(Scheduler) else None
    if action == "schedule":
        if scheduler is None:
            return ctx.private("Scheduling isn't running in this bot; use /rounds now.")
        words = (when or "").split()
        if not words or words[0].lower() not in ("weekly", "biweekly"):
            raise CommandError("Say how often: /rounds schedule weekly|biweekly [day HH:MM].")
        spec = " ".join([words[0].lower(), *(words[1:] or DEFAULT_WHEN.split())])
        row = scheduler.set_schedule(
            ctx.community, KIND, spec, ctx.tz.key, ctx.origin, created_by=ctx.member
        )
        first = scheduler.next_run(row).strftime("%a %d %b %H:%M")
        return ctx.reply(f"Intro rounds scheduled: {spec} ({row.timezone}). First one: {first}.")
    if action == "off":
        removed = scheduler is not None and scheduler.remove_schedule(ctx.community, KIND)
        return ctx.reply("Intro rounds stopped." if removed else "No intro rounds were scheduled.")
    count = len(participants(ctx.store, ctx.community))
    mine = ctx.member in participants(ctx.store, ctx.community)
    row = scheduler.schedule(ctx.community, KIND) if scheduler else None
    when_text = f"scheduled {row.spec} ({row.timezone})" if row else "not scheduled"
    return ctx.private(
        f"Intro rounds are {when_text}; {plural(count, 'member')} taking part. "
        + ("You're in (/rounds leave)." if mine else "Join with /rounds join.")
    )
