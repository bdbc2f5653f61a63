"""The dashboard's web app (aiohttp) on the bot's own asyncio loop.

URLs: ``/login/{token}`` opens a single-use link; everything else lives under
``/c/{community}/`` and needs that community's session cookie. Pages are built in a worker
thread (`Store.read`); only cookie and session checks run on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dashboard import actions, auth, rollup, views
from bot.dashboard.web import (
    COOKIE,
    CORE_KEY,
    HERE,
    SERVER_KEY,
    SITE_KEY,
    html,
    message,
    session_of,
)

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("convene.dashboard")
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True, slots=True)
class Site:
    """Where the dashboard is reached: the base of every link it hands out."""

    host: str = "127.0.0.1"
    port: int = 8750
    public_url: str = ""

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")


def login_link(core: Core, base: str, community: int, member: int) -> str:
    """A fresh single-use login link for this admin (or the operator, member 0)."""
    now = int(core.clock().timestamp())
    return f"{base}/login/{auth.make_link_token(core.store, community, member, now)}"


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = message(404, "Not found", "There is no such page in this dashboard.")
    except web.HTTPForbidden as exc:
        response = message(403, "Signed out", exc.text or "")
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def make_app(core: Core, site: Site) -> web.Application:
    """The aiohttp application for one core."""
    app = web.Application(middlewares=[_headers])
    app[CORE_KEY] = core
    app[SITE_KEY] = site
    app.router.add_get("/", _home)
    app.router.add_get("/login/{token}", _login)
    app.router.add_static("/static/", HERE / "static")
    app.router.add_get("/c/{community}/", _index)
    app.router.add_get("/c/{community}/privacy", actions.privacy_form)
    app.router.add_post("/c/{community}/privacy", actions.privacy_do)
    app.router.add_post("/c/{community}/logout", _logout)
    app.router.add_get("/c/{community}/digests/next", views.digest_next)
    app.router.add_get("/c/{community}/{page}", views.show_page)
    app.router.add_get("/c/{community}/{page}/{item}", views.show_detail)
    return app


# -- access ----------------------------------------------------------------------------------


async def _home(request: web.Request) -> web.Response:
    return message(
        403,
        "Convene dashboard",
        "Open the dashboard with the private link from /dashboard in your community's chat.",
    )


async def _login(request: web.Request) -> web.Response:
    core, site = request.app[CORE_KEY], request.app[SITE_KEY]
    now = int(core.clock().timestamp())
    opened = auth.open_link(core.store, request.match_info["token"], now)
    if opened is None:
        return message(
            403,
            "This link no longer works",
            "Dashboard links work once, for 10 minutes, and only for admins. "
            "Run /dashboard again in your community's chat for a new one.",
        )
    community, member = opened
    session_id = auth.start_session(core.store, community, member, now)
    home = f"/c/{community}/activity"
    # A page of our own that moves on: a SameSite=Strict cookie set by a response to a link
    # followed from a chat app is sent on the next same-site navigation, not on a redirect.
    response = html("login.html", home=home, nav=None)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=auth.SESSION_TTL,
        path=f"/c/{community}/",
        httponly=True,
        samesite="Strict",
        secure=site.https or request.secure,
    )
    return response


async def _index(request: web.Request) -> web.Response:
    community, _ = session_of(request)
    raise web.HTTPSeeOther(f"/c/{community}/activity")


async def _logout(request: web.Request) -> web.Response:
    community, session = session_of(request)
    form = await request.post()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        return message(403, "Refused", "This form has expired. Reload the page and try again.")
    auth.end_session(request.app[CORE_KEY].store, request.cookies.get(COOKIE, ""))
    response = message(200, "Signed out", "You are signed out of the dashboard.")
    response.del_cookie(COOKIE, path=f"/c/{community}/")
    return response


# -- running ---------------------------------------------------------------------------------


def _warm_up() -> None:
    """Import what the topic and matching pages need before the first visitor waits for it."""
    import models.matching.rerank
    import models.topics.words  # noqa: F401


class DashboardServer:
    """The app bound to its address; started and stopped on the running loop."""

    def __init__(self, core: Core, site: Site) -> None:
        self.core = core
        self.site = site
        self._runner: web.AppRunner | None = None
        self.port = site.port
        self._folding: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def base(self) -> str:
        """The base URL of the links handed out (the public URL behind a proxy)."""
        if self.site.public_url:
            return self.site.public_url.rstrip("/")
        return f"http://{self.site.host}:{self.port}"

    def link(self, community: int, member: int) -> str:
        return login_link(self.core, self.base, community, member)

    async def start(self) -> None:
        app = make_app(self.core, self.site)
        app[SERVER_KEY] = self
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.catch_up()  # the first start on a big store folds its history now
        tcp = web.TCPSite(self._runner, self.site.host, self.site.port)
        await tcp.start()
        server = getattr(tcp, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("dashboard on %s:%s", self.site.host, self.port)

    def catch_up(self) -> None:
        """Fold the activity backlog into the rollups in the background, a step at a time."""
        if self._folding is None or self._folding.done():
            self._folding = asyncio.get_running_loop().create_task(
                self._fold(), name="convene-dashboard-rollup"
            )

    async def _fold(self) -> None:
        tz = self.core.config.timezone
        try:
            await asyncio.to_thread(_warm_up)
            while not self._stopping:
                if not await self.core.store.read(rollup.refresh, tz, 10 * rollup.CHUNK):
                    return
        except Exception:
            log.exception("dashboard: folding the activity backlog failed")

    async def stop(self) -> None:
        self._stopping = True
        if self._folding is not None:
            await self._folding
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
