"""One command registry: every command is declared once and rendered by every adapter.

A handler has the explicit shape ``async def handler(ctx: Context, args: Args) -> Answer``.
Parsing, usage text, help text and argument errors all come from the declaration, so they
read the same on Discord, Telegram and the console.
"""

from __future__ import annotations

import difflib
import math
import shlex
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.text import MAX_INPUT, clean

if TYPE_CHECKING:
    from bot.context import Answer, Context

ArgKind = Literal["word", "int", "float", "member", "text"]
Where = Literal["any", "group", "dm"]
Args = dict[str, Any]
Handler = Callable[["Context", Args], Awaitable["Answer"]]
ButtonHandler = Callable[["Context", str], Awaitable["Answer"]]


SQLITE_INT_MAX = 2**63 - 1


def parse_id(text: str | None) -> int | None:
    """The number in `text` if it is plain ASCII digits that SQLite can hold, else None.

    ``str.isdigit`` accepts "²" and digits of other scripts that `int` refuses, and a
    number past 64 bits makes SQLite raise: ids from commands and buttons go through here.
    """
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= SQLITE_INT_MAX else None


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class CommandError(Exception):
    """A problem with what the member typed; the message is shown to them as is."""


class UnknownCommand(CommandError):
    """No command has that name."""


class UsageError(CommandError):
    """The arguments do not fit the command; carries the usage line."""

    def __init__(self, problem: str, command: Command) -> None:
        super().__init__(f"{problem}\nUsage: {command.usage}")
        self.command = command


@dataclass(frozen=True, slots=True)
class Arg:
    """A typed command argument.

    ``text`` takes the rest of the line; ``member`` is a name, @name or platform mention,
    resolved by the handler (as the last argument it takes the rest of the line, so
    ``/stats Ada Lovelace`` needs no quotes); ``choices`` limits a word to a fixed set.
    """

    name: str
    kind: ArgKind = "word"
    help: str = ""
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def shown(self) -> str:
        label = "|".join(self.choices) if 0 < len(self.choices) <= 4 else self.name
        return f"<{label}>" if self.required else f"[{label}]"

    def convert(self, raw: str, command: Command) -> Any:
        """Turn one raw token into this argument's value, or explain why not."""
        if self.kind == "int":
            digits = raw.removeprefix("-")
            value: Any = parse_id(digits)
            if value is None:
                problem = "too large" if digits.isascii() and digits.isdigit() else "not valid"
                shown = raw if len(raw) <= 24 else raw[:20] + "…"
                raise UsageError(
                    f"{self.name} must be a whole number, not {shown!r} ({problem}).", command
                )
            value = -value if raw.startswith("-") else value
        elif self.kind == "float":
            try:
                value = float(raw)
            except ValueError:
                raise UsageError(f"{self.name} must be a number, not {raw!r}.", command) from None
            if not math.isfinite(value):
                raise UsageError(f"{self.name} must be a finite number.", command)
        else:
            value = raw
        if self.choices:
            value = str(value).lower()
            if value not in self.choices:
                close = difflib.get_close_matches(value, self.choices, n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                valid = ", ".join(self.choices)
                raise UsageError(f"{self.name} must be one of: {valid}.{hint}", command)
        if self.min is not None and value < self.min:
            raise UsageError(f"{self.name} must be at least {self.min:g}.", command)
        if self.max is not None and value > self.max:
            raise UsageError(f"{self.name} must be at most {self.max:g}.", command)
        return value


@dataclass(frozen=True, slots=True)
class Command:
    """A declared command: what it is called, what it does, who may run it and where."""

    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    admin: bool = False
    where: Where = "any"
    slow: bool = False  # adapters defer before running it (matching, digests)
    details: str = ""

    @property
    def summary(self) -> str:
        return self.help.split("\n", 1)[0]

    @property
    def usage(self) -> str:
        return " ".join([f"/{self.name}", *(a.shown for a in self.args)])

    def parse(self, rest: str) -> Args:
        """Parse the text after the command name into typed arguments."""
        tokens = split_args(rest, self)
        values: Args = {}
        for i, arg in enumerate(self.args):
            if arg.kind == "text" or (arg.kind == "member" and i == len(self.args) - 1):
                joined = " ".join(tokens[i:]) if i < len(tokens) else ""
                if joined:
                    values[arg.name] = joined
                    tokens = tokens[:i]
                elif arg.required:
                    raise UsageError(f"Missing {arg.name}.", self)
                else:
                    values[arg.name] = arg.default
                break
            if i < len(tokens):
                values[arg.name] = arg.convert(tokens[i], self)
            elif arg.required:
                raise UsageError(f"Missing {arg.name}.", self)
            else:
                values[arg.name] = arg.default
        has_text = bool(self.args) and self.args[-1].kind in ("text", "member")
        if not has_text and len(tokens) > len(self.args):
            extra = " ".join(tokens[len(self.args) :])
            raise UsageError(f"Too many arguments: {extra!r}.", self)
        return values


def split_args(rest: str, command: Command) -> list[str]:
    """Split like a shell: quotes group words; a stray quote is an error, not a crash."""
    try:
        return shlex.split(rest)
    except ValueError:
        raise UsageError("A quote is not closed.", command) from None


@dataclass
class Registry:
    """Every command and button handler the core knows, declared once."""

    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)

    def add(self, command: Command) -> Command:
        if command.name in self.commands:
            raise ValueError(f"command /{command.name} is declared twice")
        self.commands[command.name] = command
        return command

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self.commands.values(), key=lambda c: c.name))

    def closest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name.lower(), self.commands, n=1, cutoff=0.5)
        return close[0] if close else None

    def parse(self, text: str) -> tuple[Command, Args]:
        """Parse ``/name args`` into a command and its typed arguments."""
        if len(text) > MAX_INPUT:
            raise CommandError(
                f"That is {len(text):,} characters; commands take at most {MAX_INPUT:,}."
            )
        text = clean(text).strip()
        head, _, rest = text.partition(" ")
        name = head.lstrip("/").split("@", 1)[0].lower()
        command = self.commands.get(name)
        if command is None:
            close = self.closest(name)
            hint = f" Did you mean /{close}?" if close else ""
            raise UnknownCommand(f"There is no /{name} command.{hint} Try /help.")
        return command, command.parse(rest.strip())
