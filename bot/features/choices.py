"""/use and the choice buttons: which community a DM acts in, which member a name meant.

The core asks when a choice is needed (see `bot.scope`); these handlers record the answer
and run the command that was waiting for it.
"""

from __future__ import annotations

from bot import scope
from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.replies import Reply


class Choices(Feature, name="choices"):
    """/use and the buttons that answer a choice the core asked for."""


@Choices.command(
    "use",
    "Choose the community your private messages with me act in.",
    Arg("community", "text", "the community's name", default=None),
    where="dm",
    details="For members of several communities; /use alone lists them as buttons.",
)
async def use(ctx: Context, args: Args) -> Answer:
    e = ctx.event
    found = ctx.store.communities_of(e.platform, e.user)
    current = scope.community_name(ctx.store, ctx.community)
    if len(found) < 2:
        return ctx.reply(
            f"You are a member of one community, {current}: everything here acts in it."
        )
    wanted = (args["community"] or "").strip().lower()
    if not wanted:
        return ctx.reply(
            f"Your private messages act in {current}. Choose another:",
            buttons=scope.choice_buttons(ctx.store, found),
        )
    names = {c: scope.community_name(ctx.store, c) for c in found}
    match = [c for c, n in names.items() if n.lower() == wanted] or [
        c for c, n in names.items() if wanted in n.lower()
    ]
    if len(match) != 1:
        return ctx.reply(
            f"Which one? You are a member of {', '.join(names.values())}.",
            buttons=scope.choice_buttons(ctx.store, found),
        )
    scope.choose(ctx.store, e.platform, e.user, match[0])
    return ctx.reply(f"Your private messages now act in {names[match[0]]}.")


@Choices.button("use")
async def use_pressed(ctx: Context, payload: str) -> Answer:
    """A community chosen with a button (stamped with that community): remember it and run
    the command that was waiting."""
    scope.choose(ctx.store, ctx.event.platform, ctx.event.user, ctx.community)
    ran = await ctx.core.run_pending(ctx, any_community=True)
    name = scope.community_name(ctx.store, ctx.community)
    return ran or Reply(f"Your private messages now act in {name}.")


@Choices.button("pick")
async def pick_pressed(ctx: Context, payload: str) -> Answer:
    """A member chosen among several of one name: run the waiting command for them."""
    if not payload.isdigit():
        return ctx.private("That button has expired.")
    ran = await ctx.core.run_pending(ctx, pick=int(payload))
    return ran or ctx.private("That choice has expired; send the command again.")
