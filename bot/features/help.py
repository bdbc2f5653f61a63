"""/help and /cancel, generated from the command registry."""

from __future__ import annotations

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature


class Help(Feature, name="help"):
    """/help, /cancel and /start: no state of its own."""


@Help.command(
    "help",
    "List the commands, or explain one.",
    Arg("command", help="a command to explain", default=None),
)
async def help_command(ctx: Context, args: Args) -> Answer:
    registry = ctx.core.registry
    name = (args["command"] or "").lstrip("/").lower()
    if name:
        command = registry.commands.get(name)
        if command is None:
            close = registry.closest(name)
            hint = f" Did you mean /{close}?" if close else ""
            return ctx.private(f"There is no /{name} command.{hint}")
        fields = tuple((f"{a.name}", a.help or a.kind) for a in command.args)
        who = "Admins only. " if command.admin else ""
        where = {"group": "Works in the group. ", "dm": "Works in a private chat. "}.get(
            command.where, ""
        )
        text = f"{command.help}\n{who}{where}".strip()
        if command.details:
            text += "\n\n" + command.details
        return ctx.private(
            f"{text}\nUsage: {command.usage}", title=f"/{command.name}", fields=fields
        )
    admin = ctx.core.is_admin(ctx.event)
    lines = [f"{c.usage} — {c.summary}" for c in registry if admin or not c.admin]
    return ctx.private(
        "\n".join(lines) + "\n\n/help <command> explains one.", title="Convene commands"
    )


@Help.command("cancel", "Stop a step-by-step dialog (such as profile setup).")
async def cancel(ctx: Context, args: Args) -> Answer:
    dialog = ctx.core.dialogs.pop((ctx.event.platform, ctx.event.user), None)
    return ctx.private("Stopped. Nothing more will be asked." if dialog else "Nothing to cancel.")


@Help.command("start", "Say hello and see what Convene can do.", Arg("code", default=None))
async def start(ctx: Context, args: Args) -> Answer:
    """Telegram sends /start when a member opens the bot (from a deep link too)."""
    return ctx.reply(
        "Hi, I'm Convene. I help this community see what it talks about, meet the right "
        "people and keep up with events. Try /help for the commands, /profile to tell me "
        "about yourself, /privacy to see what I keep about you."
    )
