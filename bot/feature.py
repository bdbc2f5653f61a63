"""A feature: one capability of the bot, what it declares and the state it keeps.

A feature is a `Feature` subclass, like a discord.py `Cog`. What it *declares* lives on the
class and is filled by class decorators beside the handlers: its commands and buttons, its
own tables (a forward-only migration list, versioned per feature), the columns that hold
member ids (`/link` moves them), its part of the privacy contract (`exporter`, `deleter`:
`/export` and `/forget` call them all; `erase_texts` for data derived from message texts)
and the sections it adds to the digest. What it
*keeps* while running (an index, a worker, a scheduler) lives on the instance: the core
makes one instance per `Core` and calls `start` and `stop` around its life. `requires`
names the features it cannot work without; the core refuses to start without them::

    class Rounds(Feature, name="rounds", requires=("matching",), migrations=MIGRATIONS):
        async def start(self) -> None: ...

    @Rounds.command("rounds", "Intro rounds: join or leave.")
    async def rounds(ctx: Context, args: Args) -> Answer:
        matching = ctx.core.feature(Matching)  # typed; `ctx.core.has(X)` asks if X is here
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from bot.commands import Arg, ButtonHandler, Command, Handler, Sub, Where

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Core
    from bot.storage.store import Store

Exporter = Callable[["Store", int, int], dict[str, Any]]
Deleter = Callable[["Store", int, int], None]
# A digest section: (core, community, start, end) -> a (title, text) field, or None.
Section = Callable[["Core", int, datetime, datetime], Awaitable[tuple[str, str] | None]]


class FeatureError(Exception):
    """The feature list cannot run: a required feature is missing, or a name is taken."""


class Feature:
    """One capability of the bot: declarations on the class, state on the instance.

    Subclass with keyword arguments: ``class Events(Feature, name="events",
    requires=(), migrations=MIGRATIONS, member_columns=[("event_rsvps", "member")])``.
    """

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    migrations: ClassVar[list[list[str]]] = []
    # (table, column) pairs of this feature's tables that hold a member id: linking two
    # accounts into one member moves these rows (see bot/features/linking.py).
    member_columns: ClassVar[list[tuple[str, str]]] = []
    commands: ClassVar[list[Command]] = []
    buttons: ClassVar[dict[str, ButtonHandler]] = {}
    exporters: ClassVar[list[Exporter]] = []
    deleters: ClassVar[list[Deleter]] = []
    digest_sections: ClassVar[list[Section]] = []

    def __init_subclass__(
        cls,
        *,
        name: str = "",
        requires: Iterable[str] | None = None,
        migrations: list[list[str]] | None = None,
        member_columns: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass of a feature starts from its parent's declarations (copies, so adding
        # to one never changes the other).
        cls.name = name or cls.name
        if not cls.name:
            raise TypeError(f"{cls.__name__} needs a name: class {cls.__name__}(Feature, name=...)")
        cls.requires = tuple(requires) if requires is not None else cls.requires
        cls.migrations = list(migrations) if migrations is not None else list(cls.migrations)
        cls.member_columns = list(member_columns or cls.member_columns)
        cls.commands = list(cls.commands)
        cls.buttons = dict(cls.buttons)
        cls.exporters = list(cls.exporters)
        cls.deleters = list(cls.deleters)
        cls.digest_sections = list(cls.digest_sections)

    def __init__(self, core: Core) -> None:
        if type(self) is Feature:
            raise TypeError(
                "Feature is a base class: declare `class Probe(Feature, name='probe')` "
                "or use Feature.define('probe')"
            )
        self.core = core

    @staticmethod
    def define(name: str, *, requires: Iterable[str] = ()) -> type[Feature]:
        """A feature class with no state of its own (small extensions and tests)."""
        title = "".join(part.title() for part in name.replace("-", "_").split("_"))
        return type(title or "Anonymous", (Feature,), {}, name=name, requires=tuple(requires))

    # -- lifecycle (override) --------------------------------------------------------------

    async def start(self) -> None:
        """Called once when the core starts, in feature-list order (discord.py's cog_load)."""

    async def stop(self) -> None:
        """Called once when the core closes, in reverse order (cog_unload)."""

    def on_message(self, community: int, member: int, event: ChatEvent) -> None:
        """Called after a message with stored text was recorded. Must stay cheap."""

    def chat_moved(self, platform: str, old: str, new: str) -> None:
        """A platform chat got a new id (a Telegram group upgraded to a supergroup): move
        every stored target of this feature from `old` to `new` (override if it has any)."""

    def erase_texts(self, community: int, texts: list[str]) -> None:
        """Called with a member's message texts before they are erased (`/forget`, `/privacy
        tracking off`): delete what this feature derived from them, stored (cached vectors,
        snippets, cached digests, charts on disk) or waiting in memory (queued work)."""

    @property
    def listens(self) -> bool:
        """Whether this feature overrides `on_message` (the core calls only those)."""
        return type(self).on_message is not Feature.on_message

    # -- declarations (class decorators) ---------------------------------------------------

    @classmethod
    def command(
        cls,
        name: str,
        help: str,
        *args: Arg | Sub,
        admin: bool = False,
        where: Where = "any",
        slow: bool = False,
        details: str = "",
        default: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator: declare a command with its help text and typed arguments.

        Given `sub(...)` declarations instead of arguments, the command is a group: each
        subcommand has its own arguments, help and flags, and the handler finds which one
        ran in ``args["action"]``; `default` is the subcommand a bare ``/name`` runs.
        """

        def wrap(handler: Handler) -> Handler:
            subs = [a for a in args if isinstance(a, Sub)]
            plain = tuple(a for a in args if isinstance(a, Arg))
            if not subs:
                cls.commands.append(
                    Command(name, help, handler, plain, admin, where, slow, details)
                )
                return handler
            if plain:
                raise ValueError(f"/{name}: give a group's arguments to its subcommands")
            children = tuple(
                Command(s.name, s.help, handler, s.args, s.admin or admin,
                        s.where if s.where != "any" else where, s.slow or slow, s.details,
                        parent=name)
                for s in subs
            )  # fmt: skip
            wheres = {c.where for c in children}
            cls.commands.append(
                Command(
                    name,
                    help,
                    handler,
                    admin=all(c.admin for c in children),
                    where=wheres.pop() if len(wheres) == 1 else "any",
                    slow=any(c.slow for c in children),
                    details=details,
                    subcommands=children,
                    default=default,
                )
            )
            return handler

        return wrap

    @classmethod
    def button(cls, prefix: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Decorator: handle button callbacks ``prefix:payload``."""

        def wrap(handler: ButtonHandler) -> ButtonHandler:
            cls.buttons[prefix] = handler
            return handler

        return wrap

    @classmethod
    def exporter(cls, fn: Exporter) -> Exporter:
        """Decorator: what this feature stores about one member, for `/export`."""
        cls.exporters.append(fn)
        return fn

    @classmethod
    def deleter(cls, fn: Deleter) -> Deleter:
        """Decorator: delete what this feature stores about one member, for `/forget`."""
        cls.deleters.append(fn)
        return fn

    @classmethod
    def digest_section(cls, fn: Section) -> Section:
        """Decorator: a field this feature adds to every digest (runs only when installed)."""
        cls.digest_sections.append(fn)
        return fn


def check_features(features: list[Feature]) -> None:
    """Refuse a feature list with a name twice or a required feature missing.

    Raises:
        FeatureError: says which feature needs which, and how to fix the list.
    """
    names: dict[str, Feature] = {}
    for f in features:
        if f.name in names:
            raise FeatureError(f"Two features are called {f.name!r}; feature names must differ.")
        names[f.name] = f
    for f in features:
        missing = [r for r in f.requires if r not in names]
        if missing:
            which = " and ".join(repr(m) for m in missing)
            raise FeatureError(
                f"The {f.name!r} feature needs the {which} feature{'s' if len(missing) > 1 else ''}"
                ", which this bot does not run; add it to the feature list."
            )
