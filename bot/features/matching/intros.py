"""Warm double-opt-in intros: a request reaches the other member privately; only an accept
introduces both. A decline is never revealed: the requester sees "pending" until it expires.

The handlers are registered by `bot.features.matching.feature`.
"""

from __future__ import annotations

from bot.commands import Args, parse_id
from bot.context import Answer, Context
from bot.features.matching.intro_store import (
    DAY,
    EXPIRE_DAYS,
    WEEK,
    Request,
    between,
    blocked_by,
    create_request,
    day,
    decide,
    get_request,
    incoming_count,
    paired_at,
    requests_of,
)
from bot.features.matching.outcomes import expect_outcomes
from bot.features.matching.service import service
from bot.features.profiles.fields import describe
from bot.features.profiles.store import load_profile
from bot.replies import Button, Mention, Reply
from bot.storage.store import Store

CLOSED = "They aren't taking new intro requests right now."


def contact(store: Store, member: int, prefer: str) -> str:
    """How to reach a member, preferably on platform `prefer` (a mention the adapter renders)."""
    ids = store.identities(member)
    ids.sort(key=lambda pu: pu[0] != prefer)
    info = store.member_info(member)
    name = info["name"] if info else "them"
    if not ids:
        return name
    platform, user = ids[0]
    where = {"discord": "Discord", "telegram": "Telegram"}.get(platform, platform)
    return f"{Mention(platform, user, name)} on {where}"


def _refusal(ctx: Context, other: int, name: str, now: int) -> str | None:
    """Why this member may not ask `other` now, in words that never reveal a decline."""
    cooldown = ctx.config.cooldown_weeks * WEEK
    for r in between(ctx.store, ctx.community, ctx.member, other, now - cooldown):
        if r.status == "accepted":
            return f"You and {name} were introduced on {day(r.decided_at or r.created_at)}."
        if r.from_member == ctx.member:
            if r.shown_to_requester(now) == "pending":
                return f"Your intro request to {name} is pending (sent {day(r.created_at)})."
            return (
                f"You asked {name} on {day(r.created_at)}; you can ask again from "
                f"{day(r.created_at + cooldown)}."
            )
        if not r.expired(now) and r.status == "pending":
            return f"{name} has already asked to meet you: accept it in /intros."
        return f"You can ask {name} again from {day(r.created_at + cooldown)}."
    met = paired_at(ctx.store, ctx.community, ctx.member, other, now - cooldown)
    if met is not None:
        return f"You were paired with {name} in an intro round on {day(met)}."
    return None


async def request_intro(ctx: Context, payload: str) -> Answer:
    """Button `intro:<member>`: ask that member, privately, whether they want an intro."""
    other = parse_id(payload)
    if other is None:
        return ctx.private("That button has expired.")
    info = ctx.store.member_info(other)
    if info is None or info["community"] != ctx.community:
        return ctx.private("That member is no longer in this community.")
    if other == ctx.member:
        return ctx.private("That's you!")
    mine = load_profile(ctx.store, ctx.community, ctx.member)
    if mine is None:
        return ctx.private("Set up your profile first (/profile setup) so they can see who asks.")
    name = info["name"]
    if blocked_by(ctx.store, ctx.community, ctx.member, other):
        return ctx.private(f"You have blocked {name}; /unblock {name} first.")
    now = int(ctx.now.timestamp())
    problem = _refusal(ctx, other, name, now)
    if problem:
        return ctx.private(problem)
    theirs = load_profile(ctx.store, ctx.community, other)
    is_open = (
        theirs is not None
        and theirs.visible
        and bool(info["matching"])
        and not blocked_by(ctx.store, ctx.community, other, ctx.member)
        and incoming_count(ctx.store, ctx.community, other, now - WEEK)
        < ctx.config.weekly_request_cap
        and ctx.core.dm_target(other) is not None
    )
    if not is_open:
        return ctx.private(CLOSED)
    matcher = await service(ctx.core).matcher(ctx.community)
    mine_side = matcher.explain(ctx.member, other)
    theirs_side = matcher.explain(other, ctx.member)
    fits = (mine_side.score, mine_side.fit_ab, mine_side.fit_ba) if mine_side else (0.0, 0.0, 0.0)
    rid = create_request(ctx.store, ctx.community, ctx.member, other, now, fits)
    why = "\n".join(f"• {w}" for w in theirs_side.why) if theirs_side and theirs_side.why else ""
    text = (
        f"{mine.name} would like an introduction to you.\n\n{mine.headline}\n"
        + (f"\nWhy you might fit:\n{why}\n" if why else "")
        + f"\nIf you decline, they won't be told; the request simply expires in {EXPIRE_DAYS} days."
    )
    ask = ctx.dm(
        other,
        text,
        title="Intro request",
        fields=describe(mine),
        buttons=(
            Button("Accept", f"introans:{rid}:yes", "success"),
            Button("Decline", f"introans:{rid}:no", "secondary"),
        ),
    )
    return [
        ctx.private(
            f"Asked {name} for an intro. If they accept, you'll both get a private "
            f"introduction. Requests expire after {EXPIRE_DAYS} days; /intros shows yours."
        ),
        *([ask] if ask else []),
    ]


def _introduction(ctx: Context, to: int, other: int) -> tuple[str, Reply]:
    p = load_profile(ctx.store, ctx.community, other)
    how = contact(ctx.store, other, ctx.event.platform)
    name = ctx.member_name(other)
    body = Reply(
        f"Meet {name}! Reach them: {how}.\n\n{p.headline if p else ''}".strip(),
        title=f"You're introduced: {name}",
        fields=describe(p) if p else (),
    )
    return name, body


async def answer_intro(ctx: Context, payload: str) -> Answer:
    """Button `introans:<request>:yes|no`, pressed by the member who was asked."""
    ident, _, answer = payload.partition(":")
    number = parse_id(ident)
    req = get_request(ctx.store, number) if number is not None else None
    if req is None or req.community != ctx.community or answer not in ("yes", "no"):
        return ctx.private("That request no longer exists.")
    if req.to_member != ctx.member:
        return ctx.private("That button belongs to someone else.")
    name = ctx.member_name(req.from_member)
    now = int(ctx.now.timestamp())
    if req.status != "pending":
        return ctx.private(_already(req, name))
    if req.expired(now):
        return ctx.private(f"This request expired on {day(req.created_at + EXPIRE_DAYS * DAY)}.")
    if answer == "no":
        if not decide(ctx.store, req.id, "declined", now):
            return ctx.private(_already(get_request(ctx.store, req.id) or req, name))
        return ctx.private(f"Declined. {name} won't be told; their request will simply expire.")
    if not decide(ctx.store, req.id, "accepted", now):
        return ctx.private(_already(get_request(ctx.store, req.id) or req, name))
    ref = f"intro:{req.id}"
    fit_ab, fit_ba = req.fit_ab or 0.0, req.fit_ba or 0.0
    expect_outcomes(
        ctx.store, ctx.community, req.from_member, [(req.to_member, fit_ab, fit_ba)], ref, now
    )
    expect_outcomes(
        ctx.store, ctx.community, req.to_member, [(req.from_member, fit_ba, fit_ab)], ref, now
    )
    _, mine = _introduction(ctx, ctx.member, req.from_member)
    _, theirs = _introduction(ctx, req.from_member, ctx.member)
    to_requester = ctx.dm(
        req.from_member,
        f"{ctx.member_name(ctx.member)} accepted your intro request.\n\n" + theirs.text,
        title=theirs.title,
        fields=theirs.fields,
    )
    replies = [ctx.private(mine.text, title=mine.title, fields=mine.fields)]
    return [*replies, *([to_requester] if to_requester else [])]


def _already(req: Request, name: str) -> str:
    if req.status == "accepted":
        return (
            f"You already accepted; you and {name} were introduced on {day(req.decided_at or 0)}."
        )
    return f"You already declined this request. {name} won't be told."


async def intros(ctx: Context, args: Args) -> Answer:
    """/intros: requests waiting for your answer, and the state of the ones you sent."""
    now = int(ctx.now.timestamp())
    recent = requests_of(ctx.store, ctx.community, ctx.member, now - 30 * DAY)
    incoming = [
        r
        for r in recent
        if r.to_member == ctx.member and r.status == "pending" and not r.expired(now)
    ]
    outgoing = [r for r in recent if r.from_member == ctx.member]
    if not incoming and not outgoing:
        return ctx.private("No intro requests in the last 30 days. /match suggests people to meet.")
    lines: list[str] = []
    buttons: list[Button] = []
    if incoming:
        lines.append("Waiting for your answer:")
        for r in incoming:
            who = ctx.member_name(r.from_member)
            lines.append(f"• {who} asked on {day(r.created_at)}")
            buttons += [
                Button(f"Accept {who}", f"introans:{r.id}:yes", "success"),
                Button(f"Decline {who}", f"introans:{r.id}:no"),
            ]
    if outgoing:
        lines.append("Your requests:")
        for r in outgoing:
            state = r.shown_to_requester(now)
            lines.append(f"• {ctx.member_name(r.to_member)}: {state} (sent {day(r.created_at)})")
    return ctx.private("\n".join(lines), title="Your intros", buttons=tuple(buttons[:10]))
