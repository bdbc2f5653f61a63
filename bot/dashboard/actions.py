"""Changes made from the dashboard: a member's data exported or erased on request.

Each needs the session's CSRF token and a ticked confirmation, and is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.dashboard import auth
from bot.dashboard import queries as q
from bot.dashboard.web import CORE_KEY, html, message, nav, session_of

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("convene.dashboard")


async def privacy_form(request: web.Request) -> web.Response:
    community, session = session_of(request)
    core = request.app[CORE_KEY]
    name = (q.community(core.store.conn, community) or ("", ""))[0]
    query = request.query.get("member", "").strip()
    action = request.query.get("action", "export")
    found = core.store.find_members(community, query)[:10] if query else []
    return html(
        "privacy.html",
        nav=nav(community, name, "privacy", session),
        query=query,
        action=action if action in ("export", "erase") else "export",
        found=found,
        done="",
    )


async def privacy_do(request: web.Request) -> web.StreamResponse:
    """Export or erase one member's data: needs the CSRF token and a ticked confirmation."""
    community, session = session_of(request)
    core = request.app[CORE_KEY]
    form = await request.post()
    if not auth.csrf_ok(session, str(form.get("csrf", ""))):
        return message(403, "Refused", "This form has expired. Reload the page and try again.")
    raw = str(form.get("member", ""))
    info = core.store.member_info(int(raw)) if raw.isdigit() else None
    if info is None or info["community"] != community:
        raise web.HTTPNotFound()
    action = str(form.get("action", ""))
    if form.get("confirm") != "yes" or action not in ("export", "erase"):
        return message(
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
    return html(
        "privacy.html",
        nav=nav(community, name, "privacy", session),
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
