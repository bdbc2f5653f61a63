"""Who may open the dashboard: /dashboard links, sessions, CSRF, admin rights (real HTTP)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from adapters.fake import FakeAdapter
from bot.core import Core
from bot.dashboard.server import COOKIE
from bot.features import dashboard
from bot.replies import Visibility
from tests.conftest import Clock

pytestmark = pytest.mark.engines
LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/\S+")


@pytest.fixture
async def served(core: Core) -> AsyncIterator[Core]:
    await dashboard.serve(core, port=0)
    return core


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def link_from(chat: FakeAdapter, user: str = "admin") -> str:
    await chat.say(user, "warming up")  # the member exists and is seen in the group
    sent = await chat.say(user, "/dashboard")
    assert len(sent) == 1
    assert sent[0].reply.visibility is Visibility.ONLY_YOU
    found = LINK.search(sent[0].reply.text)
    assert found, sent[0].reply.text
    return found.group(0)


async def sign_in(http: aiohttp.ClientSession, link: str) -> int:
    async with http.get(link) as r:
        assert r.status == 200
        cookie = r.cookies[COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert not cookie["secure"]  # plain http on localhost
        return int(cookie["path"].split("/")[2])


async def status(http: aiohttp.ClientSession, url: str, **kwargs: object) -> int:
    async with http.get(url, allow_redirects=False, **kwargs) as r:  # type: ignore[arg-type]
        return r.status


async def test_dashboard_is_for_admins_and_says_when_it_is_off(
    core: Core, chat: FakeAdapter
) -> None:
    sent = await chat.say("member", "/dashboard")
    assert "admins only" in sent[0].text
    sent = await chat.say("admin", "/dashboard")
    assert "[dashboard] enabled = true" in sent[0].text


async def test_a_link_opens_once_and_within_ten_minutes(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession, clock: Clock
) -> None:
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    assert await status(http, f"{base}/c/{community}/activity") == 200
    fresh = aiohttp.ClientSession()
    async with fresh:
        assert await status(fresh, link) == 403  # used once already
        late = await link_from(chat)
        clock.advance(minutes=10, seconds=1)
        assert await status(fresh, late) == 403
        clock.advance(minutes=-10, seconds=-1)
        body, sig = late.rsplit(".", 1)
        assert await status(fresh, f"{body}.{sig[:-2]}AA") == 403  # forged signature
        parts = late.split("/login/")[1].split(".")
        parts[0] = str(int(parts[0]) + 1)  # another community, same signature
        assert await status(fresh, f"{base}/login/{'.'.join(parts)}") == 403
        assert await status(fresh, late) == 200  # the untouched link still works


async def test_session_ends_after_twelve_hours(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession, clock: Clock
) -> None:
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    clock.advance(hours=11, minutes=59)
    assert await status(http, f"{base}/c/{community}/topics") == 200
    clock.advance(minutes=2)
    assert await status(http, f"{base}/c/{community}/topics") == 403


async def test_session_ends_when_the_admin_loses_admin_rights(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession
) -> None:
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    assert await status(http, f"{base}/c/{community}/events") == 200
    chat.admins.discard("admin")
    await chat.say("admin", "just chatting, no longer an admin")
    assert await status(http, f"{base}/c/{community}/events") == 403
    chat.admins.add("admin")
    await chat.say("admin", "an admin again")
    assert await status(http, f"{base}/c/{community}/events") == 403  # a new link is needed


async def test_a_session_is_for_its_own_community_only(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession
) -> None:
    other = FakeAdapter(served, name="other", space="space-2")
    other.admins.add("boss")
    await other.say("boss", "hello")
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    second = served.store.space_community("other", "space-2")
    assert second != community
    cookie = http.cookie_jar.filter_cookies(aiohttp.client.URL(f"{base}/c/{community}/"))[
        COOKIE
    ].value
    async with aiohttp.ClientSession() as bare:
        headers = {"Cookie": f"{COOKIE}={cookie}"}
        assert await status(bare, f"{base}/c/{second}/activity", headers=headers) == 404
        assert await status(bare, f"{base}/c/{community}/activity", headers=headers) == 200
        assert await status(bare, f"{base}/c/{community}/activity") == 403


async def test_erase_needs_the_csrf_token_and_a_confirmation(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession
) -> None:
    await chat.say("leaver", "I will leave soon")
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    leaver = served.store.find_members(community, "Leaver")[0][0]
    async with http.get(
        f"{base}/c/{community}/privacy", params={"member": "Leaver", "action": "erase"}
    ) as r:
        page = await r.text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"{base}/c/{community}/privacy"
    form = {"member": str(leaver), "action": "erase", "confirm": "yes"}
    async with http.post(url, data={**form, "csrf": "forged"}) as r:
        assert r.status == 403
    stranger = FakeAdapter(served, name="other", space="space-2")
    await stranger.say("visitor", "hi from another community")
    theirs = served.store.find_members(served.store.space_community("other", "space-2"), "Visitor")
    async with http.post(url, data={**form, "member": str(theirs[0][0]), "csrf": csrf}) as r:
        assert r.status == 404  # another community's member id
    assert served.store.member_info(theirs[0][0]) is not None
    async with http.post(url, data={**form, "csrf": csrf, "confirm": ""}) as r:
        assert r.status == 400
    assert served.store.member_info(leaver) is not None  # nothing changed so far
    async with http.post(url, data={**form, "csrf": csrf}) as r:
        assert r.status == 200
        assert "Erased Leaver" in await r.text()
    assert served.store.member_info(leaver) is None
    async with http.post(url, data={**form, "csrf": csrf}) as r:
        assert r.status == 404  # gone: no such member of this community


async def test_export_on_request_downloads_the_members_data(
    served: Core, chat: FakeAdapter, http: aiohttp.ClientSession
) -> None:
    await chat.say("asker", "please send me my data")
    link = await link_from(chat)
    base = link.split("/login/")[0]
    community = await sign_in(http, link)
    asker = served.store.find_members(community, "Asker")[0][0]
    async with http.get(f"{base}/c/{community}/privacy", params={"member": "Asker"}) as r:
        csrf = re.search(r'name="csrf" value="([^"]+)"', await r.text()).group(1)  # type: ignore[union-attr]
    form = {"member": str(asker), "action": "export", "confirm": "yes", "csrf": csrf}
    async with http.post(f"{base}/c/{community}/privacy", data=form) as r:
        assert r.status == 200
        data = await r.json(content_type=None)
    assert [a["text"] for a in data["activity"]] == ["please send me my data"]


async def test_the_bot_serves_the_dashboard_when_enabled(core: Core, chat: FakeAdapter) -> None:
    cfg = replace(
        core.config.dashboard, enabled=True, port=0, public_url="https://dash.example.org/"
    )
    core.config = replace(core.config, dashboard=cfg)
    await core.start()
    sent = await chat.say("admin", "/dashboard")
    assert "https://dash.example.org/login/" in sent[0].text
    server = dashboard.server(core)
    assert server is not None
    assert server.port > 0
    async with aiohttp.ClientSession() as http:
        token = sent[0].text.split("/login/")[1].split()[0]
        async with http.get(f"http://127.0.0.1:{server.port}/login/{token}") as r:
            assert r.status == 200
            assert r.cookies[COOKIE]["secure"]  # served over https behind the proxy
