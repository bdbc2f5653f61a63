"""What every dashboard handler shares: the app keys, templates, and the session check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.dashboard import auth, pages

if TYPE_CHECKING:
    from bot.core import Core
    from bot.dashboard.server import DashboardServer, Site

COOKIE = "convene_session"
HERE = Path(__file__).parent
CORE_KEY: web.AppKey[Core] = web.AppKey("core")
SERVER_KEY: web.AppKey[DashboardServer] = web.AppKey("server")
SITE_KEY: web.AppKey[Site] = web.AppKey("site")


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def html(template: str, status: int = 200, **context: Any) -> web.Response:
    body = _env.get_template(template).render(**context)
    return web.Response(text=body, status=status, content_type="text/html")


def message(status: int, title: str, text: str) -> web.Response:
    return html("message.html", status, title=title, text=text, nav=None)


def session_of(request: web.Request) -> tuple[int, auth.Session]:
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


def nav(community: int, name: str, slug: str, session: auth.Session) -> dict[str, Any]:
    return {
        "community": community,
        "name": name,
        "current": slug,
        "pages": [(s, title) for s, (title, _) in pages.PAGES.items()],
        "csrf": session.csrf,
    }
