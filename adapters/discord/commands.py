"""Slash commands generated from the core registry, and the way back to a ``/name args`` line.

Each registry `Command` becomes an ``app_commands.Command``: ``int``/``float``/``str``
options (with min/max), fixed choices (autocomplete past 25), autocomplete of guild
members for ``member`` arguments, descriptions from the help text (100 characters), and
``default_permissions(manage_guild=True)`` for admin commands — the core checks again.
The callback turns the typed values back into the text line the core parses everywhere.
"""

from __future__ import annotations

import inspect
import shlex
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.commands import Arg, Command, CommandError
from bot.text import shorten

SlashRunner = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]
DESCRIPTION_LIMIT = 100
CHOICES_LIMIT = 25


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


def build(command: Command, run: SlashRunner, members: Any) -> app_commands.Command:
    """One slash command for a registry command; `run` receives the typed values.

    Args:
        command: the registry declaration.
        run: called with (interaction, command, values) when the command is used.
        members: the autocomplete callback for ``member`` arguments.
    """

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(interaction, command, values)

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
    callback.__name__ = callback.__qualname__ = f"slash_{command.name}"
    decorated: Any = app_commands.describe(**described)(callback) if described else callback
    if fixed:
        decorated = app_commands.choices(**fixed)(decorated)
    if completers:
        decorated = app_commands.autocomplete(**completers)(decorated)
    if command.admin:
        decorated = app_commands.default_permissions(manage_guild=True)(decorated)
    if command.where == "group":
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


def command_line(command: Command, values: dict[str, Any]) -> str:
    """The ``/name args`` text the core parses, from the typed values of a slash command.

    An optional value left out before one that is given is filled with its default; if it
    has none, that is a usage error rather than a silent shift of the later values.
    """
    tokens: list[str] = [f"/{command.name}"]
    gap: Arg | None = None
    for arg in command.args:
        value = values.get(arg.name)
        if value is None or value == "":
            gap = gap or arg
            continue
        if gap is not None:
            skipped = _between(command, gap, arg)
            missing = next((a for a in skipped if a.default is None), None)
            if missing is not None:
                raise CommandError(
                    f"Give {missing.name} as well when you give {arg.name}.\nUsage: {command.usage}"
                )
            tokens.extend(_token(a.default) for a in skipped)
            gap = None
        tokens.append(_token(value))
    return " ".join(tokens)


def _between(command: Command, first: Arg, stop: Arg) -> list[Arg]:
    args = list(command.args)
    return args[args.index(first) : args.index(stop)]


def _token(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return shlex.quote(str(value))
