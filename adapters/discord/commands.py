"""Slash commands generated from the core registry; their typed options go to the core as is.

Each registry `Command` becomes an ``app_commands.Command`` and each group an
``app_commands.Group`` of subcommands: ``int``/``float``/``str`` options (with min/max),
fixed choices (autocomplete past 25), autocomplete of guild members for ``member``
arguments, descriptions from the help text (100 characters). Discord's permission UI sees
``default_permissions(manage_guild=True)`` on admin commands and on groups whose every
subcommand is for admins; Discord cannot restrict one subcommand of a group, so those are
checked by the core only (it checks every command again anyway).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.commands import Arg, Command, CommandCall
from bot.text import shorten

SlashRunner = Callable[[discord.Interaction, Command, CommandCall], Awaitable[None]]
DESCRIPTION_LIMIT = 100
CHOICES_LIMIT = 25
ADMIN = discord.Permissions(manage_guild=True)


def description(text: str, fallback: str) -> str:
    """A Discord description: 1–100 characters, first line of the help text."""
    line = (text or "").split("\n", 1)[0].strip() or fallback
    return shorten(line, DESCRIPTION_LIMIT)


def annotation(arg: Arg) -> Any:
    """The Python type discord.py turns into the option type (4 int, 10 number, 3 string)."""
    if arg.kind in ("int", "float"):
        base = int if arg.kind == "int" else float
        if arg.min is not None or arg.max is not None:
            low = None if arg.min is None else base(arg.min)
            high = None if arg.max is None else base(arg.max)
            return app_commands.Range[base, low, high]  # type: ignore[valid-type]
        return base
    return str


def build(
    command: Command, run: SlashRunner, members: Any
) -> app_commands.Command | app_commands.Group:
    """The slash command (or group of subcommands) for one registry command.

    Args:
        command: the registry declaration.
        run: called with (interaction, command, call) when a command is used; the call
            carries the options exactly as Discord typed them.
        members: the autocomplete callback for ``member`` arguments.
    """
    if not command.is_group:
        return _leaf(command, run, members, top=True)
    group = app_commands.Group(
        name=command.name,
        description=description(command.help, command.name),
        default_permissions=ADMIN if command.admin else None,
        guild_only=command.where == "group",
    )
    for sub in command.subcommands:
        group.add_command(_leaf(sub, run, members, top=False))
    return group


def _leaf(command: Command, run: SlashRunner, members: Any, *, top: bool) -> app_commands.Command:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        given = {k: v for k, v in values.items() if v is not None}
        sub = command.name if command.parent else None
        await run(interaction, command, CommandCall(command.parent or command.name, sub, given))

    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    described: dict[str, str] = {}
    fixed: dict[str, list[app_commands.Choice[Any]]] = {}
    completers: dict[str, Any] = {}
    for arg in command.args:
        params.append(
            inspect.Parameter(
                arg.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation(arg),
                default=inspect.Parameter.empty if arg.required else None,
            )
        )
        described[arg.name] = description(arg.help, arg.kind)
        if arg.choices and len(arg.choices) <= CHOICES_LIMIT:
            fixed[arg.name] = [app_commands.Choice(name=c, value=c) for c in arg.choices]
        elif arg.choices:
            completers[arg.name] = choice_autocomplete(arg.choices)
        elif arg.kind == "member":
            completers[arg.name] = members
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{command.qualified.replace(' ', '_')}"
    decorated: Any = app_commands.describe(**described)(callback) if described else callback
    if fixed:
        decorated = app_commands.choices(**fixed)(decorated)
    if completers:
        decorated = app_commands.autocomplete(**completers)(decorated)
    if top and command.admin:  # Discord takes permissions on top-level commands only
        decorated = app_commands.default_permissions(manage_guild=True)(decorated)
    if top and command.where == "group":
        decorated = app_commands.guild_only()(decorated)
    return app_commands.Command(
        name=command.name,
        description=description(command.help, command.name),
        callback=decorated,
    )


def choice_autocomplete(choices: tuple[str, ...]) -> Any:
    """Autocomplete over a fixed list too long for Discord's 25 choices."""

    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        low = current.lower()
        hits = [c for c in choices if low in c.lower()]
        hits.sort(key=lambda c: not c.lower().startswith(low))
        return [app_commands.Choice(name=c, value=c) for c in hits[:CHOICES_LIMIT]]

    return complete
