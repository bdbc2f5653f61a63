"""/help and /cancel, generated from the command registry."""

from __future__ import annotations

from typing import Any

from bot.commands import Arg, Args, Command
from bot.context import Answer, Context
from bot.feature import Feature


class Help(Feature, name="help"):
    """/help, /cancel and /start: no state of its own."""


@Help.command(
    "help",
    "List the commands, or explain one.",
    Arg("command", "text", help="a command to explain, e.g. event or event rsvp", default=None),
)
async def help_command(ctx: Context, args: Args) -> Answer:
    registry = ctx.core.registry
    admin = ctx.core.is_admin(ctx.event)
    name, _, sub = (args["command"] or "").lstrip("/").lower().partition(" ")
    if name:
        if name not in registry.commands:
            close = registry.closest(name)
            hint = f" Did you mean /{close}?" if close else ""
            return ctx.private(f"There is no /{name} command.{hint}")
        command = registry.commands[name]
        if sub.strip() and command.is_group:
            command = command.subcommand(sub.strip().lstrip("/"))
        return ctx.private(**_explain(command, admin))
    lines = [f"{c.usage} — {c.summary}" for c in registry if admin or not c.admin]
    return ctx.private(
        "\n".join(lines) + "\n\n/help <command> explains one.", title="Convene commands"
    )


def _explain(command: Command, admin: bool) -> dict[str, Any]:
    """Help for one command: its text, who and where, usage, and its arguments or actions."""
    who = "Admins only. " if command.admin else ""
    where = {"group": "Works in the group. ", "dm": "Works in a private chat. "}.get(
        command.where, ""
    )
    text = f"{command.help}\n{who}{where}".strip()
    if command.details:
        text += "\n\n" + command.details
    if command.is_group:
        fields = tuple(
            (s.usage, s.summary + (" (admins)" if s.admin and "(admins)" not in s.summary else ""))
            for s in command.subcommands
            if admin or not s.admin
        )
        default = f" (/{command.name} alone: {command.default})" if command.default else ""
        text += f"\nUsage: {command.usage}{default}\n/help {command.name} <action> explains one."
    else:
        fields = tuple((a.name, a.help or a.kind) for a in command.args)
        text += f"\nUsage: {command.usage}"
    return {"text": text, "title": f"/{command.qualified}", "fields": fields}


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
