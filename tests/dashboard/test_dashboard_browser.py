"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

One browser per module. The community is the demo's (`convene demo`), with a month of intro
requests, outcomes and a past event on top, reached through the link `/dashboard` sends.
Set CONVENE_SCREENSHOTS=docs to refresh the README's screenshots in docs/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, async_playwright

from adapters.console import CHAT, SPACE
from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.demo.community import generate
from bot.demo.loader import load_demo
from bot.features import dashboard
from bot.storage.store import Store
from tests.conftest import Clock
from tests.dashboard.seed import DAY, event, intro, member, posted_digest, ts

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's chromium: apt-get install -y chromium", allow_module_level=True
    )

pytestmark = pytest.mark.asyncio(loop_scope="module")
END = datetime(2026, 11, 30, 18, tzinfo=UTC)
PAGES = ("activity", "engagement", "topics", "matching", "events", "digests")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/\S+")


@dataclass
class Site:
    core: Core
    clock: Clock
    chat: FakeAdapter
    other: FakeAdapter
    community: int
    other_event: int
    browser: BrowserContext
    errors: list[str]

    async def link(self, adapter: FakeAdapter | None = None, user: str = "organizer") -> str:
        sent = await (adapter or self.chat).say(user, "/dashboard")
        found = LINK.search(sent[0].reply.text)
        assert found, sent[0].reply.text
        return found.group(0)

    async def page(self) -> Page:
        await self.browser.clear_cookies()
        page = await self.browser.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    @property
    def base(self) -> str:
        server = dashboard.server(self.core)
        assert server is not None
        return server.base

    async def signed_in(self) -> Page:
        page = await self.page()
        await page.goto(await self.link())
        await page.wait_for_url(f"**/c/{self.community}/activity")
        return page


def _demo_matching(
    core: Core, community: int, ids: list[int], pairs: list[tuple[int, int]]
) -> None:
    """A month of intros among the demo's planted pairs, and a round, as members would make."""
    at = ts("2026-11-02", 10)
    for i, (a, b) in enumerate(pairs):
        when = at + i * DAY
        if i % 4 == 3:
            intro(core, community, ids[a], ids[b], when, "declined")
        elif i % 5 == 4:
            intro(core, community, ids[a], ids[b], when, "pending")
        else:
            intro(
                core, community, ids[a], ids[b], when, "accepted", met=i % 6 != 5, useful=i % 3 != 2
            )
    from bot.features.matching.intro_store import add_history

    pairs_made = [(ids[i], ids[i + 1], 0.5, 0.5, 0.5) for i in range(20, 40, 2)]
    add_history(core.store, community, pairs_made, "round:1:0", ts("2026-11-09", 9))
    with core.store.transaction() as c:
        c.execute(
            "INSERT INTO rounds (community, at, participants, groups_made) VALUES (?, ?, 20, 10)",
            (community, ts("2026-11-09", 9)),
        )
    for week in (9, 16, 23):
        posted_digest(core, community, ts(f"2026-11-{week:02d}", 9))
    past = ts("2026-11-19", 18)
    event(core, community, "Founder breakfast", past, rsvps=ids[0:24], came=ids[0:18])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    folder = tmp_path_factory.mktemp("dashboard")
    clock = Clock(END)
    config = Config(database=folder / "demo.db")
    core = Core(config, Store(config.database), clock=clock)
    demo = generate(7, end=END)
    community, ids = load_demo(core, demo)
    _demo_matching(core, community, ids, demo.planted.intros)
    chat = FakeAdapter(core, name="console", space=SPACE, chat=CHAT)
    chat.admins.add("organizer")
    await chat.say("organizer", "good morning")
    other = FakeAdapter(core, name="other", space="elsewhere")
    other.admins.add("boss")
    await other.say("boss", "hello")
    theirs = core.store.space_community("other", "elsewhere")
    assert theirs not in (None, community)
    other_event = event(
        core,
        theirs,
        "Private dinner",
        ts("2026-11-20"),
        [member(core, theirs, "Zed", ts("2026-11-01"))],
        [],
    )
    await dashboard.serve(core, port=0)
    async with async_playwright() as p:
        browser = await p.chromium.launch_persistent_context(
            str(folder / "profile"),  # a fresh user-data-dir
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1200, "height": 900},
            accept_downloads=True,
        )
        try:
            yield Site(core, clock, chat, other, community, other_event, browser, [])
        finally:
            await browser.close()
    await core.close()


def _not_blank(png: bytes) -> bool:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    return ImageStat.Stat(image).stddev[0] > 8 and len(image.getcolors(2**16) or []) > 16


async def status(page: Page, url: str) -> int:
    """Open a URL in the page; the HTTP status it answered with."""
    response = await page.goto(url)
    assert response is not None
    return response.status


async def _table(page: Page, name: str) -> list[list[str]]:
    return await page.eval_on_selector_all(
        f'table[data-table="{name}"] tbody tr',
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))",
    )


async def test_every_page_renders_its_charts_and_tables(site: Site) -> None:
    page = await site.signed_in()
    shots = Path("docs") if os.environ.get("CONVENE_SCREENSHOTS") == "docs" else None
    for slug in PAGES:
        assert await status(page, f"{site.base}/c/{site.community}/{slug}") == 200, slug
        assert await page.locator("svg.chart").count() >= 1, slug
        assert await page.locator("section.table").count() >= 1, slug
        first = await page.locator("table[data-table]").first.get_attribute("data-table")
        assert await _table(page, first or ""), f"{slug}: its first table is empty"
        png = await page.screenshot(full_page=slug == "matching")
        assert _not_blank(png), slug
        if shots and slug in ("activity", "matching"):
            (shots / f"dashboard-{slug}.png").write_bytes(png)
        if slug == "matching":
            funnel = {r[0]: int(r[1]) for r in await _table(page, "funnel")}
            assert (funnel["requested"], funnel["accepted"]) == (12, 7)
    # Each topic opens to its quotes; each event to its people; the digest has a dry run.
    await page.goto(f"{site.base}/c/{site.community}/topics")
    await page.locator('table[data-table="topics"] tbody a').first.click()
    await page.wait_for_url("**/topics/*")
    assert await _table(page, "quotes")
    await page.goto(f"{site.base}/c/{site.community}/events")
    await page.get_by_role("link", name="Founder breakfast").click()
    assert len(await _table(page, "people")) >= 10
    await page.goto(f"{site.base}/c/{site.community}/digests")
    await page.get_by_role("link", name="Dry run of the next digest").click()
    await page.wait_for_url("**/digests/next*")
    assert "Messages" in await page.locator("article.digest").inner_text()
    assert site.errors == []


async def test_a_csv_download_matches_the_page(site: Site) -> None:
    page = await site.signed_in()
    for slug, table in (
        ("activity", "channels"),
        ("activity", "daily"),
        ("matching", "role_pairs"),
    ):
        await page.goto(f"{site.base}/c/{site.community}/{slug}?from=2026-11-01&to=2026-11-30")
        shown = await _table(page, table)
        async with page.expect_download() as info:
            await page.locator(f"section#{table} a.csv").click()
        download = await info.value
        path = await download.path()
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        header = await page.eval_on_selector_all(
            f'table[data-table="{table}"] thead th', "cells => cells.map(c => c.innerText.trim())"
        )
        assert rows[0] == header
        assert shown, table
        assert rows[1:] == shown, table
        assert download.suggested_filename == f"{slug}-{table}-2026-11-01-2026-11-30.csv"
    assert site.errors == []


async def test_expired_reused_forged_and_foreign_access_is_refused(site: Site) -> None:
    page = await site.page()
    used = await site.link()
    await page.goto(used)
    await page.wait_for_url(f"**/c/{site.community}/activity")
    await site.browser.clear_cookies()
    assert await status(page, used) == 403  # a link opens once
    assert "no longer works" in await page.inner_text("main")
    late = await site.link()
    site.clock.advance(minutes=11)
    try:
        assert await status(page, late) == 403  # ten minutes have passed
    finally:
        site.clock.advance(minutes=-11)
    assert (
        await status(page, f"{site.base}/c/{site.community}/activity") == 403
    )  # no session was opened
    # An admin of the other community signs in; their cookie is refused here.
    await page.goto(await site.link(site.other, "boss"))
    await page.wait_for_url("**/activity")
    theirs = next(c for c in await site.browser.cookies() if c["name"] == "convene_session")
    cookie: Any = {**theirs, "path": f"/c/{site.community}/"}
    await site.browser.add_cookies([cookie])
    assert await status(page, f"{site.base}/c/{site.community}/activity") == 404
    # Our admin's session: another community's event id is not found.
    page = await site.signed_in()
    assert await status(page, f"{site.base}/c/{site.community}/events/{site.other_event}") == 404
    assert await status(page, f"{site.base}/c/{site.community}/events") == 200
    assert [e for e in site.errors if "403" not in e and "404" not in e] == []
    site.errors.clear()
