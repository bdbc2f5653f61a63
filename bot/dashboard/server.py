"""The dashboard's web app (aiohttp) on the bot's own asyncio loop.

URLs: ``/login/{token}`` opens a single-use link; everything else lives under
``/c/{community}/`` and needs that community's session cookie. Pages are built in a worker
thread (`Store.read`); only cookie and session checks run on the loop.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.dashboard import auth, pages, rollup
from bot.dashboard import queries as q

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("convene.dashboard")
COOKIE = "convene_session"
HERE = Path(__file__).parent
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CORE_KEY: web.AppKey[Core] = web.AppKey("core")
SERVER_KEY: web.AppKey[DashboardServer] = web.AppKey("server")
SITE_KEY: web.AppKey[Site] = web.AppKey("site")


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


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _html(template: str, status: int = 200, **context: Any) -> web.Response:
    body = _env.get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html")


def _message(status: int, title: str, text: str) -> web.Response:
    return _html("message.html", status, title=title, text=text, nav=None)


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _message(404, "Not found", "There is no such page in this dashboard.")
    except web.HTTPForbidden as exc:
        response = _message(403, "Signed out", exc.text or "")
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
    app.router.add_get("/c/{community}/privacy", _privacy_form)
    app.router.add_post("/c/{community}/privacy", _privacy_do)
    app.router.add_post("/c/{community}/logout", _logout)
    app.router.add_get("/c/{community}/digests/next", _digest_next)
    app.router.add_get("/c/{community}/{page}", _page)
    app.router.add_get("/c/{community}/{page}/{item}", _detail)
    return app


# -- access ----------------------------------------------------------------------------------


async def _home(request: web.Request) -> web.Response:
    return _message(
        403,
        "Convene dashboard",
        "Open the dashboard with the private link from /dashboard in your community's chat.",
    )


async def _login(request: web.Request) -> web.Response:
    core, site = request.app[CORE_KEY], request.app[SITE_KEY]
    now = int(core.clock().timestamp())
    opened = auth.open_link(core.store, request.match_info["token"], now)
    if opened is None:
        return _message(
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
    response = _html("login.html", home=home, nav=None)
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


def _session(request: web.Request) -> tuple[int, auth.Session]:
    """The community in the URL and its session; 404 for another community's id."""
    core = request.app[CORE_KEY]
    raw = request.match_info["community"]
    session = auth.find_session(
        core.store, request.cookies.get(COOKIE, ""), int(core.clock().timestamp())
    )
    if session is None:
        raise web.HTTPForbidden(
            text="Your dashboard session has ended. Run /dashboard in your community's chat "
            "for a new link.",
        )
    if not raw.isdigit() or int(raw) != session.community:
        raise web.HTTPNotFound()
    return session.community, session


def _nav(community: int, name: str, slug: str, session: auth.Session) -> dict[str, Any]:
    return {
        "community": community,
        "name": name,
        "current": slug,
        "pages": [(s, title) for s, (title, _) in pages.PAGES.items()],
        "csrf": session.csrf,
    }


async def _index(request: web.Request) -> web.Response:
    community, _ = _session(request)
    raise web.HTTPSeeOther(f"/c/{community}/activity")


# -- pages -----------------------------------------------------------------------------------


async def _build(
    request: web.Request, slug: str, item: str = ""
) -> tuple[int, auth.Session, pages.Page, str]:
    community, session = _session(request)
    core = request.app[CORE_KEY]
    builder = pages.DETAILS.get(slug) if item else pages.PAGES.get(slug, (None, None))[1]
    if builder is None:
        raise web.HTTPNotFound()
    args = dict(request.query)

    def run(conn: Any) -> tuple[pages.Page, str]:
        info = q.community(conn, community)
        page = pages.build(
            conn,
            community,
            builder,
            args,
            core.clock(),
            core.config.timezone,
            item,
            text_days=core.config.text_retention_days,
        )
        return page, info[0] if info else ""

    try:
        page, name = await core.store.read(run)
    except pages.NotFound:
        raise web.HTTPNotFound() from None
    if page.behind:
        request.app[SERVER_KEY].catch_up()
    return community, session, page, name


async def _page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["page"]
    if slug.endswith(".csv"):
        return await _csv(request, slug.removesuffix(".csv"))
    community, session, page, name = await _build(request, slug)
    nav = _nav(community, name, slug, session)
    return _html("page.html", page=page, nav=nav, here=slug)


async def _detail(request: web.Request) -> web.StreamResponse:
    slug, item = request.match_info["page"], request.match_info["item"]
    if item.endswith(".csv"):
        return await _csv(request, slug, item.removesuffix(".csv"))
    community, session, page, name = await _build(request, slug, item)
    nav = _nav(community, name, slug, session)
    return _html("page.html", page=page, nav=nav, here=item)


async def _csv(request: web.Request, slug: str, item: str = "") -> web.Response:
    _, _, page, _ = await _build(request, slug, item)
    try:
        table = page.table(request.query.get("table", page.tables[0].name))
    except pages.NotFound:
        raise web.HTTPNotFound() from None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    filename = (
        f"{slug}{'-' + item if item else ''}-{table.name}-{page.rng.first}-{page.rng.last}.csv"
    )
    return web.Response(
        body=out.getvalue().encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _digest_next(request: web.Request) -> web.Response:
    """A dry run of the next digest: built now, posted nowhere."""
    from bot.features.digests.feature import latest_digest

    community, session = _session(request)
    core = request.app[CORE_KEY]
    name = (q.community(core.store.conn, community) or ("", ""))[0]
    try:
        digest = await latest_digest(core, community)
    except Exception:
        log.exception("dashboard: the digest dry run failed for community %s", community)
        return _message(
            500, "Dry run failed", "The next digest could not be built; the error is logged."
        )
    reply = digest.reply
    chart = base64.b64encode(digest.chart).decode() if digest.chart else ""
    return _html(
        "digest.html",
        nav=_nav(community, name, "digests", session),
        reply=reply,
        chart=chart,
        notes=digest.notes,
    )


# -- actions: export and erase on request ----------------------------------------------------


async def _privacy_form(request: web.Request) -> web.Response:
    community, session = _session(request)
    core = request.app[CORE_KEY]
    name = (q.community(core.store.conn, community) or ("", ""))[0]
    query = request.query.get("member", "").strip()
    action = request.query.get("action", "export")
    found = core.store.find_members(community, query)[:10] if query else []
    return _html(
        "privacy.html",
        nav=_nav(community, name, "privacy", session),
        query=query,
        action=action if action in ("export", "erase") else "export",
        found=found,
        done="",
    )


async def _privacy_do(request: web.Request) -> web.StreamResponse:
    """Export or erase one member's data: needs the CSRF token and a ticked confirmation."""
    community, session = _session(request)
    core = request.app[CORE_KEY]
    form = await request.post()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        return _message(403, "Refused", "This form has expired. Reload the page and try again.")
    raw = str(form.get("member", ""))
    info = core.store.member_info(int(raw)) if raw.isdigit() else None
    if info is None or info["community"] != community:
        raise web.HTTPNotFound()
    action = str(form.get("action", ""))
    if form.get("confirm") != "yes" or action not in ("export", "erase"):
        return _message(
            400, "Not confirmed", "Tick the confirmation box to go ahead; nothing was changed."
        )
    member = int(raw)
    if action == "export":
        data = await asyncio.to_thread(_export, core, community, member)
        log.info("dashboard: export of member %s by %s", member, session.member)
        return web.Response(
            body=json.dumps(data, indent=2, ensure_ascii=False, default=str).encode(),
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="member-{member}.json"'},
        )
    from bot.features.privacy import forget_member

    forget_member(core.store, core.features, community, member)
    log.warning("dashboard: erased member %s of community %s on request", member, community)
    name = (q.community(core.store.conn, community) or ("", ""))[0]
    return _html(
        "privacy.html",
        nav=_nav(community, name, "privacy", session),
        query="",
        action="erase",
        found=[],
        done=f"Erased {info['name']}'s data from every feature.",
    )


def _export(core: Core, community: int, member: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for feature in core.features:
        for exporter in feature.exporters:
            data.update(exporter(core.store, community, member))
    return data


async def _logout(request: web.Request) -> web.Response:
    community, session = _session(request)
    form = await request.post()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        return _message(403, "Refused", "This form has expired. Reload the page and try again.")
    auth.end_session(request.app[CORE_KEY].store, request.cookies.get(COOKIE, ""))
    response = _message(200, "Signed out", "You are signed out of the dashboard.")
    response.del_cookie(COOKIE, path=f"/c/{community}/")
    return response


# -- running ---------------------------------------------------------------------------------


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
