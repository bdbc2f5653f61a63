"""One command registry: every command is declared once and rendered by every adapter.

A handler has the explicit shape ``async def handler(ctx: Context, args: Args) -> Answer``.
Commands with actions are groups of subcommands (``/event rsvp 3``), each with its own help,
arguments, ``admin`` and ``where``; the group's handler receives the subcommand's name as
``args["action"]``.

Adapters hand the core a `CommandCall` (name, subcommand, values). A platform with typed
options (Discord) builds it directly; text platforms send the line and the registry parses
it once (`Registry.parse`). Both paths are checked and typed by `Registry.bind`, so usage
lines, help text and argument errors read the same everywhere.

Free text is free text: a trailing ``text`` argument takes the rest of the line exactly as
typed (apostrophes, quotes, backslashes and all); quotes only group the words of an earlier
word argument (``/whois "Ada Lovelace"``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
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
ACTION = "action"  # the key a group's handler finds its subcommand's name under
QUOTES = "\"'"


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
    """No command (or subcommand) has that name."""


class UsageError(CommandError):
    """The arguments do not fit the command; carries the usage line."""

    def __init__(self, problem: str, command: Command) -> None:
        super().__init__(f"{problem}\nUsage: {command.usage}")
        self.command = command


@dataclass(frozen=True, slots=True)
class CommandCall:
    """A command as an adapter hands it to the core, before it is checked.

    Attributes:
        name: the command, e.g. "event".
        sub: the subcommand, e.g. "rsvp" (None for a plain command, or a group's default).
        values: argument values by name: typed (Discord options) or raw strings (parsed
            text); `Registry.bind` converts and checks them either way.
    """

    name: str
    sub: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Arg:
    """A typed command argument.

    ``text`` takes the rest of the line verbatim; ``member`` is a name, @name or platform
    mention, resolved by the handler (as the last argument it takes the rest of the line, so
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

    def convert(self, value: Any, command: Command) -> Any:
        """Turn one value (a typed option or a raw word) into this argument's value."""
        if self.kind == "int":
            value = _number(value, int, f"{self.name} must be a whole number", command)
        elif self.kind == "float":
            value = _number(value, float, f"{self.name} must be a number", command)
        else:
            value = clean(str(value)).strip()
            if len(value) > MAX_INPUT:
                raise UsageError(
                    f"{self.name} is {len(value):,} characters; the limit is {MAX_INPUT:,}.",
                    command,
                )
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


def _number(value: Any, kind: type, problem: str, command: Command) -> Any:
    if isinstance(value, bool):
        raise UsageError(f"{problem}, not {value!r}.", command)
    if isinstance(value, int | float) and not isinstance(value, str):
        number: Any = value
    else:
        try:
            number = kind(str(value).strip())
        except ValueError:
            raise UsageError(f"{problem}, not {str(value)!r}.", command) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise UsageError(f"{problem}, not {str(value)!r}.", command)
    if kind is int:
        if isinstance(number, float) and not number.is_integer():
            raise UsageError(f"{problem}, not {value!r}.", command)
        if abs(int(number)) > SQLITE_INT_MAX:  # SQLite stores at most 64-bit integers
            shown = str(value) if len(str(value)) <= 24 else str(value)[:20] + "…"
            raise UsageError(f"{problem}, not {shown!r} (too large).", command)
        return int(number)
    return float(number)


@dataclass(frozen=True, slots=True)
class Sub:
    """A subcommand declaration inside a group (see `Feature.command`)."""

    name: str
    help: str
    args: tuple[Arg, ...] = ()
    admin: bool = False
    where: Where = "any"
    slow: bool = False
    details: str = ""


def sub(
    name: str,
    help: str,
    *args: Arg,
    admin: bool = False,
    where: Where = "any",
    slow: bool = False,
    details: str = "",
) -> Sub:
    """Declare a subcommand: ``sub("rsvp", "RSVP to an event.", Arg("event"))``."""
    return Sub(name, help, args, admin, where, slow, details)


@dataclass(frozen=True, slots=True)
class Command:
    """A declared command or subcommand: its name, what it does, who may run it and where.

    A group has `subcommands` and no arguments of its own; `default` names the subcommand a
    bare ``/name`` runs (None: the member must pick one). A subcommand's `parent` is its
    group's name.
    """

    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    admin: bool = False
    where: Where = "any"
    slow: bool = False  # adapters defer before running it (matching, digests)
    details: str = ""
    subcommands: tuple[Command, ...] = ()
    default: str | None = None
    parent: str = ""

    def __post_init__(self) -> None:
        for arg in self.args[:-1]:
            if arg.kind == "text":
                raise ValueError(f"/{self.qualified}: a text argument must come last")
        if self.subcommands and self.args:
            raise ValueError(f"/{self.qualified}: a group's arguments belong to its subcommands")
        if self.default is not None and self.default not in {s.name for s in self.subcommands}:
            raise ValueError(f"/{self.name}: the default {self.default!r} is not a subcommand")

    @property
    def qualified(self) -> str:
        """The name as typed after the slash: "event rsvp"."""
        return f"{self.parent} {self.name}" if self.parent else self.name

    @property
    def is_group(self) -> bool:
        return bool(self.subcommands)

    @property
    def summary(self) -> str:
        return self.help.split("\n", 1)[0]

    @property
    def usage(self) -> str:
        if self.is_group:
            names = "|".join(s.name for s in self.subcommands)
            names = names if len(self.subcommands) <= 4 else ACTION
            label = f"[{names}]" if self.default else f"<{names}>"
            return f"/{self.name} {label} …"
        return " ".join([f"/{self.qualified}", *(a.shown for a in self.args)])

    def subcommand(self, name: str) -> Command:
        """One subcommand by name, or an error naming the closest one."""
        name = name.lower()
        for s in self.subcommands:
            if s.name == name:
                return s
        names = [s.name for s in self.subcommands]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" Did you mean /{self.name} {close[0]}?" if close else ""
        raise UnknownCommand(
            f"There is no /{self.name} {name}: the action must be one of: "
            f"{', '.join(names)}.{hint} /help {self.name} explains them."
        )

    def split(self, rest: str) -> dict[str, str]:
        """Split the text after the command name into raw values, one per argument.

        A trailing ``text`` (or ``member``) argument takes the rest verbatim; quotes group
        the words of the arguments before it.
        """
        values: dict[str, str] = {}
        rest = rest.strip()
        for i, arg in enumerate(self.args):
            if not rest:
                break
            last = i == len(self.args) - 1
            if arg.kind == "text" or (arg.kind == "member" and last):
                values[arg.name] = _unquote_whole(rest) if arg.kind == "member" else rest
                return values
            values[arg.name], rest = _word(rest, self)
        if rest and not self.args:
            raise UsageError(f"/{self.qualified} takes no more words.", self)
        if rest:
            raise UsageError(f"Too many arguments: {rest!r}.", self)
        return values

    def bind(self, values: Mapping[str, Any]) -> Args:
        """Check and type the values of a call; defaults fill what is left out."""
        unknown = sorted(set(values) - {a.name for a in self.args})
        if unknown:
            raise UsageError(f"Unknown option: {', '.join(unknown)}.", self)
        args: Args = {}
        for arg in self.args:
            value = values.get(arg.name)
            if value is None or value == "":
                if arg.required:
                    raise UsageError(f"Missing {arg.name}.", self)
                args[arg.name] = arg.default
            else:
                args[arg.name] = arg.convert(value, self)
        if self.parent:
            args[ACTION] = self.name
        return args


def _word(rest: str, command: Command) -> tuple[str, str]:
    """The first word of `rest` (quotes group words) and what follows it."""
    if rest[0] in QUOTES:
        end = rest.find(rest[0], 1)
        if end < 0:
            raise UsageError("A quote is not closed.", command)
        return rest[1:end], rest[end + 1 :].lstrip()
    return _first(rest)


def _first(text: str) -> tuple[str, str]:
    """The first word of `text` (split at any whitespace, newlines too) and the rest."""
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _unquote_whole(text: str) -> str:
    """'Ada Lovelace' in quotes is the name without them; anything else stays as typed."""
    if len(text) >= 2 and text[0] in QUOTES and text[-1] == text[0]:
        inner = text[1:-1]
        if text[0] not in inner:
            return inner
    return text


@dataclass
class Registry:
    """Every command and button handler the core knows, declared once.

    For adapters: iterate it for the top-level commands (each with `name`, `help`,
    `summary`, `admin`, `where`, `slow`, `subcommands`), or `walk()` for every command and
    subcommand; `get(name, sub)` finds one.
    """

    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)

    def add(self, command: Command) -> Command:
        if command.name in self.commands:
            raise ValueError(f"command /{command.name} is declared twice")
        self.commands[command.name] = command
        return command

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self.commands.values(), key=lambda c: c.name))

    def walk(self) -> Iterator[Command]:
        """Every command, each group followed by its subcommands."""
        for command in self:
            yield command
            yield from command.subcommands

    def closest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name.lower(), self.commands, n=1, cutoff=0.5)
        return close[0] if close else None

    def get(self, name: str, sub: str | None = None) -> Command:
        """The command that runs for ``/name [sub]``; unknown names suggest the closest."""
        name = name.lower()
        command = self.commands.get(name)
        if command is None:
            close = self.closest(name)
            hint = f" Did you mean /{close}?" if close else ""
            raise UnknownCommand(f"There is no /{name} command.{hint} Try /help.")
        if not command.is_group:
            if sub:
                raise UnknownCommand(f"/{name} has no subcommands. Try /help {name}.")
            return command
        chosen = sub or command.default
        if chosen is None:
            names = ", ".join(s.name for s in command.subcommands)
            raise UsageError(f"Which one? /{name} takes one of: {names}.", command)
        return command.subcommand(chosen)

    def parse(self, text: str) -> CommandCall:
        """Parse a typed ``/name [sub] args`` line into a call (the only text parsing)."""
        if len(text) > MAX_INPUT:
            raise CommandError(
                f"That is {len(text):,} characters; commands take at most {MAX_INPUT:,}."
            )
        head, rest = _first(clean(text).strip())
        name = head.lstrip("/").split("@", 1)[0].lower()
        group = self.commands.get(name) or self.get(name)  # unknown: names the closest
        sub_name: str | None = None
        if group.is_group:
            first, tail = _first(rest)
            if first and any(s.name == first.lower() for s in group.subcommands):
                sub_name, rest = first.lower(), tail
            elif first or group.default is None:
                self.get(name, first or None)  # raises, naming the closest subcommand
        command = self.get(name, sub_name)
        return CommandCall(name, sub_name, command.split(rest))

    def bind(self, call: CommandCall) -> tuple[Command, Args]:
        """The command a call runs and its checked, typed arguments."""
        command = self.get(call.name, call.sub)
        return command, command.bind(call.values)

    def read(self, text: str) -> tuple[Command, Args]:
        """Parse and bind a typed line in one step (tests and the console use this)."""
        return self.bind(self.parse(text))
