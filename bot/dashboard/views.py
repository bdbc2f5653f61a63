"""The dashboard's pages, their CSV downloads, and the digest dry run."""

from __future__ import annotations

import base64
import csv
import io
import logging
from typing import Any

from aiohttp import web

from bot.dashboard import auth, pages
from bot.dashboard import queries as q
from bot.dashboard.web import CORE_KEY, SERVER_KEY, html, message, nav, session_of

log = logging.getLogger("convene.dashboard")


async def _build(
    request: web.Request, slug: str, item: str = ""
) -> tuple[int, auth.Session, pages.Page, str]:
    community, session = session_of(request)
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


async def show_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["page"]
    if slug.endswith(".csv"):
        return await _csv(request, slug.removesuffix(".csv"))
    community, session, page, name = await _build(request, slug)
    return html("page.html", page=page, nav=nav(community, name, slug, session), here=slug)


async def show_detail(request: web.Request) -> web.StreamResponse:
    slug, item = request.match_info["page"], request.match_info["item"]
    if item.endswith(".csv"):
        return await _csv(request, slug, item.removesuffix(".csv"))
    community, session, page, name = await _build(request, slug, item)
    return html("page.html", page=page, nav=nav(community, name, slug, session), here=item)


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


async def digest_next(request: web.Request) -> web.Response:
    """A dry run of the next digest: built now, posted nowhere."""
    from bot.features.digests.feature import latest_digest

    community, session = session_of(request)
    core = request.app[CORE_KEY]
    name = (q.community(core.store.conn, community) or ("", ""))[0]
    try:
        digest = await latest_digest(core, community)
    except Exception:
        log.exception("dashboard: the digest dry run failed for community %s", community)
        return message(
            500, "Dry run failed", "The next digest could not be built; the error is logged."
        )
    reply = digest.reply
    chart = base64.b64encode(digest.chart).decode() if digest.chart else ""
    return html(
        "digest.html",
        nav=nav(community, name, "digests", session),
        reply=reply,
        chart=chart,
    )
