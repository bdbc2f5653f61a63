"""/dashboard: a private, single-use link to the organizer's web dashboard (admins only).

The web app lives in `bot/dashboard/`; this feature owns its tables, starts the server
with the bot when `[dashboard] enabled = true`, and keeps the admin status that sessions
depend on: an admin seen without admin rights loses their dashboard sessions at once.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from bot.commands import Args
from bot.context import Answer, Context
from bot.dashboard import store as ds
from bot.feature import Feature

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Core
    from bot.dashboard.server import DashboardServer
    from bot.storage.store import Store

log = logging.getLogger("convene.dashboard")
feature = Feature("dashboard", migrations=ds.MIGRATIONS, member_columns=ds.MEMBER_COLUMNS)
_servers: weakref.WeakKeyDictionary[Core, DashboardServer] = weakref.WeakKeyDictionary()
_admins: weakref.WeakKeyDictionary[Core, dict[tuple[int, int], bool]] = weakref.WeakKeyDictionary()


def server(core: Core) -> DashboardServer | None:
    """The dashboard server running in this process, if any."""
    return _servers.get(core)


async def serve(core: Core, *, host: str | None = None, port: int | None = None) -> DashboardServer:
    """Start the dashboard on the running loop (once per core)."""
    from bot.dashboard.server import DashboardServer, Site

    found = _servers.get(core)
    if found is None:
        cfg = core.config.dashboard
        site = Site(host or cfg.host, cfg.port if port is None else port, cfg.public_url)
        found = DashboardServer(core, site)
        await found.start()
        _servers[core] = found
    return found


def record_admin(core: Core, community: int, member: int, admin: bool) -> None:
    """Note a member's admin status as a platform reported it (only changes are written)."""
    seen = _admins.setdefault(core, ds.admins(core.store))
    if seen.get((community, member)) == admin:
        return
    ds.set_admin(core.store, community, member, admin, int(core.clock().timestamp()))
    seen[(community, member)] = admin


@feature.command(
    "dashboard",
    "A private link to the community's web dashboard (admins only).",
    admin=True,
    details="The link works once, for 10 minutes; the session it opens lasts 12 hours.",
)
async def dashboard(ctx: Context, args: Args) -> Answer:
    found = server(ctx.core)
    if found is None:
        return ctx.private(
            "The dashboard is not running. Fix: set [dashboard] enabled = true in the config "
            "and restart, or run `convene dashboard --db PATH` next to the database."
        )
    record_admin(ctx.core, ctx.community, ctx.member, True)
    link = found.link(ctx.community, ctx.member)
    return ctx.private(
        f"Your dashboard link (private, works once, for 10 minutes):\n{link}",
        title="Dashboard",
    )


@feature.on_start
async def _start(core: Core) -> None:
    if core.config.dashboard.enabled:
        found = await serve(core)
        log.warning("dashboard listening on %s", found.base)


@feature.on_stop
async def _stop(core: Core) -> None:
    found = _servers.pop(core, None)
    if found is not None:
        await found.stop()


@feature.on_message
def _admin_seen(core: Core, community: int, member: int, event: ChatEvent) -> None:
    """Admins who opened the dashboard are re-checked on every message they send."""
    seen = _admins.get(core)
    if seen is None:
        seen = _admins[core] = ds.admins(core.store)
    known = seen.get((community, member))
    if known is not None and known != core.is_admin(event):
        record_admin(core, community, member, core.is_admin(event))


@feature.deleter
def delete_dashboard(store: Store, community: int, member: int) -> None:
    ds.delete_member(store, community, member)
