"""A feature: its commands, buttons, tables and its part of the privacy contract.

Every feature that stores member data declares how to export and delete it for one
member (`@feature.exporter`, `@feature.deleter`); `/export` and `/forget` call them all.
A feature that keeps data derived from members' message texts (cached vectors, topic
snippets, cached digests, charts on disk) also declares `@feature.text_eraser`: it is called
with a member's texts before they are deleted (`/forget`, `/privacy tracking off`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.commands import Arg, ButtonHandler, Command, Handler, Where

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Core
    from bot.storage.store import Store

Exporter = Callable[["Store", int, int], dict[str, Any]]
Deleter = Callable[["Store", int, int], None]
# Delete what was derived from these message texts of one member: (store, community, texts).
TextEraser = Callable[["Store", int, list[str]], None]
Hook = Callable[["Core"], Awaitable[None]]
# Called after a message was recorded: (core, community, member, event). Must stay cheap.
Listener = Callable[["Core", int, int, "ChatEvent"], None]


@dataclass
class Feature:
    """One capability of the bot, declared in its own module."""

    name: str
    migrations: list[list[str]] = field(default_factory=list)
    # (table, column) pairs of this feature's tables that hold a member id: linking two
    # accounts into one member moves these rows (see bot/features/linking.py).
    member_columns: list[tuple[str, str]] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    exporters: list[Exporter] = field(default_factory=list)
    deleters: list[Deleter] = field(default_factory=list)
    text_erasers: list[TextEraser] = field(default_factory=list)
    starts: list[Hook] = field(default_factory=list)
    stops: list[Hook] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)

    def command(
        self,
        name: str,
        help: str,
        *args: Arg,
        admin: bool = False,
        where: Where = "any",
        slow: bool = False,
        details: str = "",
    ) -> Callable[[Handler], Handler]:
        """Decorator: declare a command with its help text and typed arguments."""

        def wrap(handler: Handler) -> Handler:
            self.commands.append(Command(name, help, handler, args, admin, where, slow, details))
            return handler

        return wrap

    def button(self, prefix: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Decorator: handle button callbacks ``prefix:payload``."""

        def wrap(handler: ButtonHandler) -> ButtonHandler:
            self.buttons[prefix] = handler
            return handler

        return wrap

    def exporter(self, fn: Exporter) -> Exporter:
        self.exporters.append(fn)
        return fn

    def deleter(self, fn: Deleter) -> Deleter:
        self.deleters.append(fn)
        return fn

    def text_eraser(self, fn: TextEraser) -> TextEraser:
        self.text_erasers.append(fn)
        return fn

    def on_start(self, fn: Hook) -> Hook:
        self.starts.append(fn)
        return fn

    def on_stop(self, fn: Hook) -> Hook:
        self.stops.append(fn)
        return fn

    def on_message(self, fn: Listener) -> Listener:
        self.listeners.append(fn)
        return fn
