"""Member matching: /match suggestions with reasons, intro requests (/intros), /block.

Suggestions leave out members who opted out (`/privacy matching off`), hidden profiles,
blocks either way, pending requests, and pairs asked, introduced or paired in a round
within `cooldown_weeks`. Once enough follow-up outcomes exist and the learned re-ranker
beats the plain ranking out of fold, it reorders the suggestions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Arg, Args, CommandError, parse_id
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.matching import intros
from bot.features.matching.intro_store import (
    MIGRATIONS,
    WEEK,
    blocked_by,
    delete_matching,
    export_matching,
    lapse_requests,
    partners_since,
    set_block,
)
from bot.features.matching.outcomes import (
    followup_pressed,
    reranker,
    send_due_followups,
    suggestion_features,
)
from bot.features.matching.service import UNAVAILABLE, MatchService, service
from bot.features.matching.thin import thin_note
from bot.features.profiles.store import load_profile
from bot.replies import Button
from bot.scheduling.scheduler import Scheduler
from models.matching.languages import language_note
from models.matching.matcher import Suggestion
from models.matching.profile import ROLES, Profile

if TYPE_CHECKING:
    from bot.core import Core

FOLLOW_UP_TICK = 3600.0


class Matching(
    Feature,
    name="matching",
    requires=("profiles",),
    migrations=MIGRATIONS,
    member_columns=[
        ("intro_requests", "from_member"),
        ("intro_requests", "to_member"),
        ("match_blocks", "member"),
        ("match_blocks", "blocked_member"),
        ("match_history", "member_a"),
        ("match_history", "member_b"),
        ("match_followups", "member"),
        ("match_outcomes", "member"),
        ("match_outcomes", "other_member"),
    ],
):
    """Suggestions, intros and blocks; holds the per-community matchers (`service`)."""

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.service = MatchService(core)

    async def start(self) -> None:
        if self.core.has(Scheduler):
            scheduler = self.core.feature(Scheduler)
            scheduler.every("match-followups", FOLLOW_UP_TICK, send_due_followups)

    async def stop(self) -> None:
        self.service.close()


Matching.exporter(export_matching)
Matching.deleter(delete_matching)
Matching.button("intro")(intros.request_intro)
Matching.button("introans")(intros.answer_intro)
Matching.button("fu")(followup_pressed)
Matching.command("intros", "Intro requests waiting for you, and the ones you sent.")(intros.intros)


async def suggestions(
    core: Core, community: int, member: int, n: int, role: str | None = None
) -> list[tuple[Suggestion, Profile]]:
    """The member's best n matches now, with their profiles (re-ranked when that helps)."""
    store = core.store
    now = int(core.clock().timestamp())
    matching = service(core)
    matcher = await matching.matcher(community)
    if member not in matcher:
        return []
    skip = partners_since(store, community, member, now - core.config.cooldown_weeks * WEEK)
    model = await reranker(core, community)
    found = matcher.suggest(member, n=2 * n if model else n, role=role, exclude=skip)
    pairs = [(s, p) for s in found if (p := matcher.profile(s.member)) is not None]
    if model is not None and pairs:
        me = matcher.profile(member)
        assert me is not None
        order = model.score(suggestion_features(store, community, me, pairs, now)).argsort()[::-1]
        pairs = [pairs[i] for i in order]
    return pairs[:n]


def render_matches(pairs: list[tuple[Suggestion, Profile]]) -> str:
    lines = []
    for i, (s, p) in enumerate(pairs, 1):
        lines.append(f"{i}. {p.name}" + (f" — {p.headline}" if p.headline else ""))
        lines.extend(f"   • {why}" for why in s.why[:3])
    return "\n".join(lines)


@Matching.command(
    "match",
    "Suggest members you should meet, with the reasons, and request intros.",
    Arg("role", help="only this role: " + ", ".join(ROLES), default=None),
    Arg("n", "int", "how many suggestions (1-10)", default=3, min=1, max=10),
    slow=True,
)
async def match(ctx: Context, args: Args) -> Answer:
    role, n = args["role"], args["n"]
    if role is not None and role.isdigit():
        role, n = None, parse_id(role)
        if n is None or not 1 <= n <= 10:
            raise CommandError("n must be between 1 and 10.")
    if role is not None:
        role = role.lower()
        role = role[:-1] if role.endswith("s") and role[:-1] in ROLES else role
        if role not in ROLES:
            raise CommandError(f"Unknown role {role!r}. Valid roles: {', '.join(ROLES)}.")
    if not service(ctx.core).available:
        return ctx.private(UNAVAILABLE)
    mine = load_profile(ctx.store, ctx.community, ctx.member)
    if mine is None or not mine.matchable:
        return ctx.private(
            "Tell me your role and what you offer first: /profile setup in a private chat with "
            "me, or /profile set roles <founder, investor, ...> and /profile set offers <what "
            "you can offer>."
        )
    pairs = await suggestions(ctx.core, ctx.community, ctx.member, n, role)
    matcher = await service(ctx.core).matcher(ctx.community)
    thin = thin_note(matcher, ctx.member, role, [s.member for s, _ in pairs], n)
    if not pairs:
        return ctx.private(
            thin or f"No new {role + 's' if role else 'members'} to suggest right now."
        )
    note = "" if mine.visible else "\n(Your profile is hidden, so others are not shown you.)"
    note += f"\n\n{thin}" if thin else ""
    if ctx.event.is_admin:
        warn = language_note(
            (p for m in matcher.members() if (p := matcher.profile(m)) is not None),
            multilingual=getattr(matcher.embedder, "model_id", "").startswith("multilingual"),
        )
        note += f"\n\nFor admins: {warn}" if warn else ""
    return ctx.private(
        render_matches(pairs) + "\n\nRequest an intro below: they are asked privately, and "
        "you're introduced only if they accept." + note,
        title="People you should meet",
        buttons=tuple(Button(f"Request intro: {p.name}", f"intro:{s.member}", "primary")
                      for s, p in pairs),
    )  # fmt: skip


@Matching.command(
    "block",
    "Never suggest a member to you or you to them, and refuse their intro requests.",
    Arg("member", "member", "who to block"),
)
async def block(ctx: Context, args: Args) -> Answer:
    other, name = ctx.find_member(args["member"])
    if other == ctx.member:
        return ctx.private("You can't block yourself.")
    now = int(ctx.now.timestamp())
    set_block(ctx.store, ctx.community, ctx.member, other, True, now)
    lapse_requests(ctx.store, ctx.community, other, ctx.member, now)  # quietly declined
    return ctx.private(
        f"Blocked {name}: neither of you will be suggested to the other, and they can't "
        f"request an intro with you. They are not told. /unblock {name} undoes it."
    )


@Matching.command("unblock", "Undo /block for a member.", Arg("member", "member", "who to unblock"))
async def unblock(ctx: Context, args: Args) -> Answer:
    other, name = ctx.find_member(args["member"])
    if not blocked_by(ctx.store, ctx.community, ctx.member, other):
        return ctx.private(f"You haven't blocked {name}.")
    set_block(ctx.store, ctx.community, ctx.member, other, False, int(ctx.now.timestamp()))
    return ctx.private(f"Unblocked {name}.")


async def demo_matches(core: Core, community: int, member: int, n: int = 3) -> str:
    """A member's top matches with their reasons, as plain text (for the demo tour)."""
    info = core.store.member_info(member)
    name = info["name"] if info else f"member {member}"
    if load_profile(core.store, community, member) is None:
        return f"{name} has no matching profile yet."
    pairs = await suggestions(core, community, member, n)
    if not pairs:
        return f"No matches for {name} right now."
    return f"Top matches for {name}:\n" + render_matches(pairs)
