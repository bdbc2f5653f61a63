"""/dashboard: a private, single-use link to the organizer's web dashboard (admins only).

The web app lives in `bot/dashboard/`; this feature owns its tables, runs the server with
the bot when `[dashboard] enabled = true`, and keeps the admin status sessions depend on:
an admin seen without admin rights loses their dashboard sessions at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands import Args
from bot.context import Answer, Context
from bot.dashboard import store as ds
from bot.feature import Feature
from bot.storage import versions

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Core
    from bot.dashboard.server import DashboardServer
    from bot.storage.store import Store

log = logging.getLogger("convene.dashboard")


class Dashboard(
    Feature, name="dashboard", migrations=ds.MIGRATIONS, member_columns=ds.MEMBER_COLUMNS
):
    """The web dashboard's server and the admin status its sessions depend on."""

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.server: DashboardServer | None = None
        self._admins: dict[tuple[int, int], bool] | None = None
        self._admins_version = -1  # the `versions` counter `_admins` was read under

    async def serve(self, host: str | None = None, port: int | None = None) -> DashboardServer:
        """Start the dashboard on the running loop (once)."""
        from bot.dashboard.server import DashboardServer, Site

        if self.server is None:
            cfg = self.core.config.dashboard
            site = Site(host or cfg.host, cfg.port if port is None else port, cfg.public_url)
            self.server = DashboardServer(self.core, site)
            await self.server.start()
        return self.server

    async def start(self) -> None:
        if self.core.config.dashboard.enabled:
            found = await self.serve()
            log.warning("dashboard listening on %s", found.base)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    def _known(self) -> dict[tuple[int, int], bool]:
        """The recorded admin flags, read again when any process recorded a change."""
        fresh = self.core.store.version(versions.ADMINS)
        if self._admins is None or fresh != self._admins_version:
            self._admins = ds.admins(self.core.store)
            self._admins_version = fresh
        return self._admins

    def record_admin(self, community: int, member: int, admin: bool) -> None:
        """Note a member's admin status as a platform reported it (only changes are written)."""
        known = self._known()
        if known.get((community, member)) == admin:
            return
        ds.set_admin(self.core.store, community, member, admin, int(self.core.clock().timestamp()))
        known[(community, member)] = admin

    def on_message(self, community: int, member: int, event: ChatEvent) -> None:
        """Admins who opened the dashboard are re-checked on every message they send."""
        known = self._known().get((community, member))
        if known is not None and known != self.core.is_admin(event):
            self.record_admin(community, member, not known)


async def serve(core: Core, *, host: str | None = None, port: int | None = None) -> DashboardServer:
    """Start the dashboard of this core (e.g. `convene dashboard`, tests)."""
    return await core.feature(Dashboard).serve(host, port)


def server(core: Core) -> DashboardServer | None:
    """The dashboard server running in this process, if any."""
    return core.feature(Dashboard).server if core.has(Dashboard) else None


@Dashboard.command(
    "dashboard",
    "A private link to the community's web dashboard (admins only).",
    admin=True,
    details="The link works once, for 10 minutes; the session it opens lasts 12 hours.",
)
async def dashboard(ctx: Context, args: Args) -> Answer:
    feature = ctx.core.feature(Dashboard)
    if feature.server is None:
        return ctx.private(
            "The dashboard is not running. Fix: set [dashboard] enabled = true in the config "
            "and restart, or run `convene dashboard --db PATH` next to the database."
        )
    feature.record_admin(ctx.community, ctx.member, True)
    link = feature.server.link(ctx.community, ctx.member)
    return ctx.private(
        f"Your dashboard link (private, works once, for 10 minutes):\n{link}", title="Dashboard"
    )


@Dashboard.deleter
def delete_dashboard(store: Store, community: int, member: int) -> None:
    ds.delete_member(store, community, member)
