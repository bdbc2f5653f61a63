"""A loopback Discord: REST + websocket gateway on 127.0.0.1 that discord.py 2.7 accepts.

It records every REST call, answers the routes a bot uses, and lets a test inject gateway
events (``dispatch``) and REST errors (``fail``). Point discord.py at it with ``patch``::

    fake = FakeDiscord()
    await fake.start()
    fake.patch(monkeypatch)
    fake.add_guild(GUILD, "Founders", channels=[fake.text_channel(CHAN, "general")])
    client = discord.Client(intents=discord.Intents.default())
    ...
    await client.close()   # close the bot before the fake
    await fake.close()

It speaks the sharding protocol too: ``GET /gateway/bot`` recommends ``recommended_shards``;
an IDENTIFY carrying ``shard: [id, count]`` opens a session for that shard, which hears only
the guilds with ``(guild_id >> 22) % count == id`` and, on shard 0, the DMs. Any number of
connections (one per shard, from one process or several) may be open at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import WSMsgType, web

Json = dict[str, Any]
DISCORD_EPOCH_MS = 1420070400000
MANAGE_GUILD = 1 << 5
MEMBERS_INTENT = 1 << 1
CONTENT_INTENT = 1 << 15
PRIVILEGED = MEMBERS_INTENT | CONTENT_INTENT
DEFAULT_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 6)  # view, send, history, react


def snowflake(at: float | None = None, counter: int = 0) -> int:
    """A Discord-style id whose timestamp part is `at` (unix seconds)."""
    ms = int((time.time() if at is None else at) * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) + (counter % (1 << 22))


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % shard_count


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat()


@dataclass
class Call:
    """One REST request the client made."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None  # the JSON body, or payload_json of a multipart body
    files: list[tuple[str, bytes]] = field(default_factory=list)
    authorized: bool = False
    agent: str = ""  # the User-Agent header (tests tell processes apart by it)


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json
    times: int


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py compares the Content-Type exactly, so no charset parameter.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscord:
    """The fake platform: state, recorded calls, event injection."""

    def __init__(self, app_id: int = 700000000000000001, bot_id: int = 700000000000000002) -> None:
        self.app_id = app_id
        self.bot_user: Json = self.user(bot_id, "Convene", bot=True)
        self.calls: list[Call] = []
        self.identifies: list[Json] = []
        self.guilds: dict[int, Json] = {}
        self.history: dict[int, list[Json]] = {}  # channel id -> messages, oldest first
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.port = 0
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._failures: list[_Failure] = []
        self._sockets: dict[web.WebSocketResponse, int] = {}  # socket -> identified intents
        self._shards: dict[web.WebSocketResponse, tuple[int, int]] = {}  # socket -> (id, count)
        self.recommended_shards = 1  # what GET /gateway/bot answers
        self.privileged_allowed = PRIVILEGED  # set to 0 to refuse them (close code 4014)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> int:
        """Listen on a random loopback port; returns it."""
        app = web.Application()
        app.router.add_get("/gw/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.port

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gw/"

    def patch(self, monkeypatch: Any) -> None:
        """Point discord.py's REST and gateway at this fake (pytest's monkeypatch)."""
        import discord.gateway
        import discord.http
        import yarl

        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    # -- payload builders ------------------------------------------------------------------

    def next_id(self) -> int:
        return snowflake(counter=next(self._ids))

    @staticmethod
    def user(uid: int, name: str, *, bot: bool = False) -> Json:
        return {
            "id": str(uid),
            "username": name,
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
        }

    def member(
        self, uid: int, name: str, *, roles: tuple[int, ...] = (), nick: str | None = None
    ) -> Json:
        return {
            "user": self.user(uid, name),
            "nick": nick,
            "roles": [str(r) for r in roles],
            "joined_at": iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    @staticmethod
    def text_channel(cid: int, name: str, *, position: int = 0) -> Json:
        return {
            "id": str(cid),
            "type": 0,
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

    def add_guild(
        self,
        gid: int,
        name: str,
        *,
        channels: list[Json] | None = None,
        members: list[Json] | None = None,
        admin_role: int | None = None,
        owner_id: int = 1,
    ) -> Json:
        """Declare a guild that READY lists and GUILD_CREATE describes."""
        roles = [
            {
                "id": str(gid),
                "name": "@everyone",
                "permissions": str(DEFAULT_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ]
        if admin_role is not None:
            roles.append(
                {
                    "id": str(admin_role),
                    "name": "Organizers",
                    "permissions": str(DEFAULT_PERMISSIONS | MANAGE_GUILD),
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            )
        bot_member = {**self.member(int(self.bot_user["id"]), "Convene"), "user": self.bot_user}
        guild = {
            "id": str(gid),
            "name": name,
            "owner_id": str(owner_id),
            "icon": None,
            "unavailable": False,
            "member_count": len(members or []) + 1,
            "large": False,
            "roles": roles,
            "channels": channels or [],
            "members": [bot_member, *(members or [])],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "presences": [],
            "voice_states": [],
            "joined_at": iso(),
        }
        self.guilds[gid] = guild
        return guild

    @staticmethod
    def joined(guild: Json) -> Json:
        """The GUILD_CREATE Discord sends when the bot is added to a server (no 'unavailable')."""
        return {k: v for k, v in guild.items() if k != "unavailable"}

    def message(
        self,
        channel: int,
        author: Json,
        content: str = "",
        *,
        guild: int | None = None,
        mid: int | None = None,
        at: float | None = None,
        member: Json | None = None,
        kind: int = 0,
    ) -> Json:
        """A MESSAGE_CREATE / history payload (no `guild` means a DM)."""
        data: Json = {
            "id": str(mid or (snowflake(at, next(self._ids)) if at else self.next_id())),
            "channel_id": str(channel),
            "type": kind,
            "content": content,
            "author": author,
            "timestamp": iso(at),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "flags": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild)
            if member is not None:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        return data

    def interaction(
        self,
        name: str,
        options: list[Json] | None = None,
        *,
        user: Json,
        guild: int | None = None,
        channel: int,
        roles: tuple[int, ...] = (),
        permissions: int = DEFAULT_PERMISSIONS,
        kind: int = 2,
        focused: str | None = None,
    ) -> Json:
        """An INTERACTION_CREATE for a slash command (kind 2) or autocomplete (kind 4)."""
        data: Json = {"id": str(self.next_id()), "name": name, "type": 1, "options": options or []}
        if focused is not None:
            for opt in data["options"]:
                if opt["name"] == focused:
                    opt["focused"] = True
        return self._interaction(kind, data, user, guild, channel, roles, permissions)

    def component(
        self,
        custom_id: str,
        *,
        user: Json,
        guild: int | None = None,
        channel: int,
        message: Json | None = None,
        roles: tuple[int, ...] = (),
        permissions: int = DEFAULT_PERMISSIONS,
    ) -> Json:
        """An INTERACTION_CREATE for a button press on `message`.

        Without a message, the press comes from a bot message holding just that button, as
        it does on Discord (the pressed component is always on the message).
        """
        payload = self._interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            user,
            guild,
            channel,
            roles,
            permissions,
        )
        if message is None:
            message = self.message(channel, self.bot_user, "", guild=guild)
            button = {"type": 2, "style": 2, "label": "button", "custom_id": custom_id}
            message["components"] = [{"type": 1, "components": [button]}]
        payload["message"] = message
        return payload

    def _interaction(
        self,
        kind: int,
        data: Json,
        user: Json,
        guild: int | None,
        channel: int,
        roles: tuple[int, ...],
        permissions: int,
    ) -> Json:
        payload: Json = {
            "id": str(self.next_id()),
            "application_id": str(self.app_id),
            "type": kind,
            "token": f"tok{next(self._ids)}",
            "version": 1,
            "attachment_size_limit": 8 * 1024 * 1024,
            "data": data,
            "channel_id": str(channel),
            "channel": {
                "id": str(channel),
                "type": 0 if guild else 1,
                "name": "chan",
                "position": 0,
            },
            "app_permissions": str(DEFAULT_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {},
            "locale": "en-US",
        }
        if guild is not None:
            payload["guild_id"] = str(guild)
            payload["guild_locale"] = "en-US"
            payload["member"] = {
                "user": user,
                "roles": [str(r) for r in roles],
                "flags": 0,
                "nick": None,
                "joined_at": iso(),
                "deaf": False,
                "mute": False,
                "permissions": str(permissions),
            }
        else:
            payload["user"] = user
        return payload

    # -- test controls ---------------------------------------------------------------------

    def fail(
        self, method: str, path: str, status: int, body: Json | None = None, *, times: int = 1
    ) -> None:
        """Answer the next `times` calls matching `method` and the `path` regex with an error.

        429 bodies should carry ``retry_after``; 403 for a closed DM uses code 50007.
        """
        self._failures.append(
            _Failure(
                method.upper(),
                re.compile(path),
                status,
                body or {"message": "error", "code": 0},
                times,
            )
        )

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway DISPATCH (op 0) to every identified client, as Discord would.

        Like Discord, member events need the members intent, and message content is
        blanked without the message content intent (except in DMs); a sharded session gets
        only the events of its guilds (`hears`).
        """
        for ws, intents in list(self._sockets.items()):
            if ws.closed or intents < 0 or not self.hears(ws, event, data):
                continue
            payload = data
            if event.startswith("GUILD_MEMBER_") and not intents & MEMBERS_INTENT:
                continue
            if event == "MESSAGE_CREATE" and "guild_id" in data and not intents & CONTENT_INTENT:
                payload = {**data, "content": "", "embeds": [], "attachments": []}
            await self._send(ws, event, payload)

    def hears(self, ws: web.WebSocketResponse, event: str, data: Json) -> bool:
        """Whether this session gets an event: its guild's shard, or shard 0 outside guilds."""
        shard = self._shards.get(ws)
        if shard is None:
            return True
        guild = data.get("guild_id")
        if guild is None and event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
            guild = data.get("id")
        return shard_of(int(guild), shard[1]) == shard[0] if guild else shard[0] == 0

    @property
    def sessions(self) -> list[tuple[int, int] | None]:
        """The (shard id, count) of every identified open session (None: unsharded)."""
        return [self._shards.get(ws) for ws, i in self._sockets.items() if i >= 0]

    def find(self, method: str, path: str) -> list[Call]:
        """Recorded calls with this method whose path matches the regex."""
        pattern = re.compile(path)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    async def wait_for(
        self,
        method: str,
        path: str,
        count: int = 1,
        within: float = 5.0,
    ) -> list[Call]:
        """Wait until at least `count` matching calls were recorded; returns them."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.find(method, path)) >= count)
        return self.find(method, path)

    async def wait_identified(self, count: int = 1, within: float = 5.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.identifies) >= count)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- REST ------------------------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        call = Call(
            request.method,
            path,
            dict(request.query),
            authorized="Authorization" in request.headers,
            agent=request.headers.get("User-Agent", ""),
        )
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    call.json = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    call.files.append((part.filename or "", await part.read()))  # type: ignore[union-attr]
        elif request.can_read_body:
            raw = await request.read()
            call.json = json.loads(raw) if raw else None
        self.calls.append(call)
        await self._notify()
        for failure in self._failures:
            if (
                failure.times > 0
                and failure.method == call.method
                and failure.pattern.fullmatch(path)
            ):
                failure.times -= 1
                headers = {"Via": "1.1 google"} if failure.status == 429 else None
                return _json(failure.body, failure.status, headers)
        for method, pattern, handler in self._routes:
            if method == call.method and (m := re.fullmatch(pattern, path)):
                return _json(handler(self, call, *m.groups()))
        if call.method == "DELETE":
            return web.Response(status=204)
        return _json({"message": "Unknown route", "code": 0}, 404)

    def _me(self, call: Call) -> Json:
        return self.bot_user

    def _app(self, call: Call) -> Json:
        return {
            "id": str(self.app_id),
            "name": "Convene",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.user(1, "owner"),
            "verify_key": "00",
            "flags": 0,
            "summary": "",
            "team": None,
        }

    def _gateway_info(self, call: Call) -> Json:
        return {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    def _echo_commands(self, commands: list[Json], guild: int | None) -> list[Json]:
        out = []
        for cmd in commands or []:
            item = {
                **cmd,
                "id": str(self.next_id()),
                "application_id": str(self.app_id),
                "version": str(self.next_id()),
            }
            item.setdefault("type", 1)
            item.setdefault("description", "")
            item.setdefault("default_member_permissions", None)
            if guild is not None:
                item["guild_id"] = str(guild)
            out.append(item)
        return out

    def _put_global(self, call: Call, app: str) -> list[Json]:
        self.global_commands = self._echo_commands(call.json, None)
        return self.global_commands

    def _put_guild(self, call: Call, app: str, guild: str) -> list[Json]:
        self.guild_commands[int(guild)] = self._echo_commands(call.json, int(guild))
        return self.guild_commands[int(guild)]

    def _sent(self, channel: str, body: Json | None, *, webhook: bool = False) -> Json:
        body = body or {}
        msg = self.message(int(channel), self.bot_user, body.get("content") or "")
        msg["embeds"] = body.get("embeds") or []
        msg["components"] = body.get("components") or []
        msg["flags"] = body.get("flags") or 0
        if webhook:
            msg["webhook_id"] = str(self.app_id)
        return msg

    def _post_message(self, call: Call, channel: str) -> Json:
        return self._sent(channel, call.json)

    def _edit_message(self, call: Call, channel: str, mid: str) -> Json:
        return {**self._sent(channel, call.json), "id": mid}

    def _history(self, call: Call, channel: str) -> list[Json]:
        """Newest first, like Discord; honours limit, before and after."""
        messages = self.history.get(int(channel), [])
        limit = int(call.query.get("limit", 50))
        if "after" in call.query:
            after = int(call.query["after"])
            picked = [m for m in messages if int(m["id"]) > after][:limit]
            return list(reversed(picked))
        before = int(call.query.get("before", 1 << 63))
        picked = [m for m in messages if int(m["id"]) < before][-limit:]
        return list(reversed(picked))

    def _channel(self, call: Call, channel: str) -> Json:
        for guild in self.guilds.values():
            for ch in guild["channels"]:
                if ch["id"] == channel:
                    return {**ch, "guild_id": guild["id"]}
        return {"id": channel, "type": 1, "recipients": [], "last_message_id": None}

    def _dm_channel(self, call: Call) -> Json:
        recipient = str((call.json or {}).get("recipient_id"))
        return {
            "id": str(900000 + int(recipient) % 100000),
            "type": 1,
            "recipients": [self.user(int(recipient), f"user{recipient}")],
            "last_message_id": None,
        }

    def _callback(self, call: Call, iid: str, token: str) -> Json:
        kind = (call.json or {}).get("type", 4)
        flags = ((call.json or {}).get("data") or {}).get("flags") or 0
        return {
            "interaction": {
                "id": iid,
                "type": 2,
                "response_message_id": str(self.next_id()),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
        }

    def _followup(self, call: Call, app: str, token: str) -> Json:
        return self._sent("1", call.json, webhook=True)

    def _original(self, call: Call, app: str, token: str) -> Json:
        return self._sent("1", call.json, webhook=True)

    def _members(self, call: Call, guild: str) -> list[Json]:
        return list(self.guilds.get(int(guild), {}).get("members", []))

    _routes: ClassVar[list[tuple[str, str, Callable[..., Any]]]] = [
        ("GET", r"/users/@me", _me),
        ("GET", r"/oauth2/applications/@me", _app),
        ("GET", r"/gateway", _gateway_info),
        ("GET", r"/gateway/bot", _gateway_info),
        ("PUT", r"/applications/(\d+)/commands", _put_global),
        ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", _put_guild),
        ("POST", r"/channels/(\d+)/messages", _post_message),
        ("PATCH", r"/channels/(\d+)/messages/(\d+)", _edit_message),
        ("GET", r"/channels/(\d+)/messages", _history),
        ("GET", r"/channels/(\d+)", _channel),
        ("POST", r"/users/@me/channels", _dm_channel),
        ("POST", r"/interactions/(\d+)/([^/]+)/callback", _callback),
        ("POST", r"/webhooks/(\d+)/([^/]+)", _followup),
        ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/@original", _original),
        ("GET", r"/webhooks/(\d+)/([^/]+)/messages/@original", _original),
        ("GET", r"/guilds/(\d+)/members", _members),
    ]

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets[ws] = -1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op in (2, 6):  # IDENTIFY, or RESUME answered as a fresh session
                    identify = frame.get("d") or {}
                    self.identifies.append(identify)
                    intents = int(identify.get("intents", 0))
                    if intents & PRIVILEGED & ~self.privileged_allowed:
                        await ws.close(code=4014, message=b"Disallowed intent(s).")
                        await self._notify()
                        break
                    if shard := identify.get("shard"):
                        self._shards[ws] = (int(shard[0]), int(shard[1]))
                    self._sockets[ws] = intents
                    await self._ready(ws)
                    await self._notify()
                elif op == 8:
                    await self._chunk(ws, frame.get("d") or {})
        finally:
            self._sockets.pop(ws, None)
            self._shards.pop(ws, None)
            await self._notify()
        return ws

    async def _send(self, ws: web.WebSocketResponse, event: str, data: Json) -> None:
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        guilds = [g for g in self.guilds.values() if self.hears(ws, "GUILD_CREATE", g)]
        ready: Json = {
            "v": 10,
            "user": self.bot_user,
            "session_id": f"session{next(self._ids)}",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
            "application": {"id": str(self.app_id), "flags": 0},
        }
        if ws in self._shards:
            ready["shard"] = list(self._shards[ws])
        await self._send(ws, "READY", ready)
        for guild in guilds:
            await self._send(ws, "GUILD_CREATE", guild)

    async def _chunk(self, ws: web.WebSocketResponse, request: Json) -> None:
        gid = int(request.get("guild_id", 0))
        members = self.guilds.get(gid, {}).get("members", [])
        query = (request.get("query") or "").lower()
        picked = [m for m in members if m["user"]["username"].lower().startswith(query)]
        await self._send(
            ws,
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(gid),
                "members": picked,
                "chunk_index": 0,
                "chunk_count": 1,
                "nonce": request.get("nonce"),
            },
        )
