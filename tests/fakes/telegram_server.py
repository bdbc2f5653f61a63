"""A local Telegram Bot API for tests: the real python-telegram-bot talks to it over loopback.

It speaks the Bot API as PTB 22 calls it: every call is a POST to ``/bot<token>/<method>``,
form-encoded (string values raw, everything else JSON) or multipart for uploads; answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``.

A test starts it, points PTB at ``fake.base_url``, injects updates (``fake.message(...)``,
``fake.press(...)``, ``fake.join(...)``), injects errors (``fake.fail(...)``: any status, a
``retry_after``, a ``migrate_to_chat_id``; ``fake.never_started``; ``fake.migrated``), and
asserts on ``fake.calls``, the decoded record of every request.

Like the real API, once a bot calls ``setWebhook`` its updates are no longer fetched but
POSTed to the webhook (JSON, with the ``X-Telegram-Bot-Api-Secret-Token`` header), one at
a time and in order, each retried until a 2xx; ``getUpdates`` answers 409 Conflict until
``deleteWebhook``. ``fake.upstreams`` stands in for the proxy in front of several bot
processes: when set, updates go round-robin to those local addresses instead of the URL.
``fake.deliveries`` records every POST (update id, address, status).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSON = dict[str, Any]

# Parameters PTB sends as raw strings; every other form value is JSON and is decoded.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "emoji",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "language_code",
        "secret_token",
    }
)
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
NEVER_STARTED = "Forbidden: bot can't initiate conversation with a user"
DROP = 0  # fail(method, DROP): close the connection instead of answering
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
WEBHOOK_ATTEMPTS = 20  # POSTs of one update before the fake gives up on it (and says so)


@dataclass
class Call:
    """One request the bot made: the method, its decoded parameters and uploaded files."""

    method: str
    params: JSON
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int | None = None  # None while the call is being answered


@dataclass
class Failure:
    """An error to answer instead of the normal result."""

    method: str
    code: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[JSON], bool] | None = None
    migrate_to: int | None = None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def decode_params(form: dict[str, str]) -> JSON:
    """Decode PTB's form values: known string fields stay raw, the rest are JSON."""
    params: JSON = {}
    for key, value in form.items():
        if key in STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


class FakeBotAPI:
    """An in-process Bot API server on a random loopback port.

    Args:
        token: the only token accepted; any other gets 401 Unauthorized.
        username: the bot's username (needed for ``/cmd@bot`` routing).
        privacy_mode: True makes ``getMe`` report ``can_read_all_group_messages`` false.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        username: str = "convene_test_bot",
        *,
        privacy_mode: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.username = username
        self.privacy_mode = privacy_mode
        self.port = 0
        self.calls: list[Call] = []
        self.updates: list[JSON] = []
        self.confirmed_offset: int | None = None
        self.failures: list[Failure] = []
        self.admins: dict[int, set[int]] = {}  # chat id -> admin user ids
        self.creators: dict[int, int] = {}
        self.bot_admin_in: set[int] = set()
        self.never_started: set[int] = set()  # users who never opened a private chat
        self.migrated: dict[int, int] = {}  # old group id -> its supergroup's id
        self.chats: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.webhook: JSON | None = None  # the last setWebhook's parameters, until deleted
        self.upstreams: list[str] = []  # the proxy's backends (empty: post to the URL)
        self.deliveries: list[tuple[int, str, int]] = []  # (update id, address, status)
        self.undeliverable: list[JSON] = []
        self._last_failure = 0  # when a POST to the webhook last failed (getWebhookInfo)
        self._to_push: list[JSON] = []
        self._pusher: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None
        self._next_upstream = 0
        self._next_update = 1
        self._fetched = 0
        self._next_message = 1000
        self._changed = asyncio.Condition()
        self._stopping = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        self.port = free_port()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        return self

    async def stop(self) -> None:
        """Wake every parked long poll, stop pushing to webhooks, then close the server."""
        self._stopping = True
        async with self._changed:
            self._changed.notify_all()
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- what a test sets up ---------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "", username: str | None = None) -> JSON:
        """A user object (remembered, so later calls can reuse it by id)."""
        known = self.users.get(user_id)
        if known and not first_name:
            return known
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or f"U{user_id}"}
        if username:
            user["username"] = username
        self.users[user_id] = user
        return user

    def group(self, chat_id: int, title: str = "Founders") -> JSON:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.chats[chat_id] = chat
        return chat

    def private(self, user_id: int) -> JSON:
        user = self.user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def set_admins(self, chat_id: int, *user_ids: int, creator: int | None = None) -> None:
        self.admins[chat_id] = set(user_ids)
        if creator is not None:
            self.creators[chat_id] = creator
            self.admins[chat_id].add(creator)

    def fail(
        self,
        method: str,
        code: int,
        description: str = "",
        *,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[JSON], bool] | None = None,
        migrate_to: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (matching `when`) with an error."""
        if not description:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: message text is empty",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(code, "Error")
        if code == 429 and retry_after is None:
            retry_after = 1
        failure = Failure(method, code, description, retry_after, times, when, migrate_to)
        self.failures.append(failure)

    # -- updates ---------------------------------------------------------------------------

    def inject(self, payload: JSON) -> JSON:
        """Queue one update (``update_id`` is added): wake a parked long poll, or push it to
        the webhook when one is set."""
        update = {"update_id": self._next_update, **payload}
        self._next_update += 1
        if self.webhook is not None:
            self._push(update)
        else:
            self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    def _push(self, update: JSON) -> None:
        self._to_push.append(update)
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_all())

    async def _push_all(self) -> None:
        """POST queued updates in order, like Telegram: one at a time, each until a 2xx."""
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        while self._to_push and self.webhook is not None:
            update = self._to_push[0]
            for _ in range(WEBHOOK_ATTEMPTS):
                if self.webhook is None:
                    return  # deleted meanwhile: the rest waits for getUpdates
                if await self._post(update) // 100 == 2:
                    break
                await asyncio.sleep(0.05)
            else:
                self.undeliverable.append(update)
            if self._to_push and self._to_push[0] is update:
                self._to_push.pop(0)
            elif update in self.updates:  # deleteWebhook moved it meanwhile; it was posted
                self.updates.remove(update)
            await self._notify()

    async def _post(self, update: JSON) -> int:
        assert self.webhook is not None
        assert self._client is not None
        address = str(self.webhook["url"])
        if self.upstreams:
            address = self.upstreams[self._next_upstream % len(self.upstreams)]
            self._next_upstream += 1
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        try:
            async with self._client.post(address, data=json.dumps(update), headers=headers) as r:
                status = r.status
        except (aiohttp.ClientError, TimeoutError):
            status = DROP
        self.deliveries.append((update["update_id"], address, status))
        if status // 100 != 2:
            self._last_failure = int(time.time())
        return status

    def message(
        self,
        chat: JSON,
        user: JSON,
        text: str,
        *,
        command: bool | None = None,
        reply_to: int | None = None,
        thread: int | None = None,
        date: int | None = None,
        sender_chat: JSON | None = None,
    ) -> JSON:
        """Inject a text message; a leading ``/word`` gets a ``bot_command`` entity.

        `sender_chat` posts on behalf of a chat (the group itself = an anonymous admin).
        """
        msg = self._message_obj(chat, user, date)
        msg["text"] = text
        if sender_chat is not None:
            msg["sender_chat"] = sender_chat
        if command is None:
            command = text.startswith("/")
        if command:
            head = text.split(maxsplit=1)[0] if text.strip() else text
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(head)}]
        if thread is not None:
            msg["message_thread_id"] = thread
            msg["is_topic_message"] = True
        if reply_to is not None:
            msg["reply_to_message"] = {
                **self._message_obj(chat, user, date),
                "message_id": reply_to,
            }
        return self.inject({"message": msg})

    def service(self, chat: JSON, user: JSON, **fields: Any) -> JSON:
        """A service message (e.g. ``migrate_to_chat_id=...``)."""
        return self.inject({"message": {**self._message_obj(chat, user, None), **fields}})

    def new_members(self, chat: JSON, *users: JSON, by: JSON | None = None) -> JSON:
        """A service message: members added to the group."""
        return self.service(chat, by or users[0], new_chat_members=list(users))

    def left_member(self, chat: JSON, user: JSON) -> JSON:
        return self.service(chat, user, left_chat_member=user)

    def chat_member(self, chat: JSON, user: JSON, old: str, new: str) -> JSON:
        """A ``chat_member`` update (status change, e.g. left -> member)."""
        now = int(time.time())
        return self.inject(
            {
                "chat_member": {
                    "chat": chat,
                    "from": user,
                    "date": now,
                    "old_chat_member": {"status": old, "user": user},
                    "new_chat_member": {"status": new, "user": user},
                }
            }
        )

    def reaction(self, chat: JSON, user: JSON, message_id: int, emoji: str = "👍") -> JSON:
        return self.inject(
            {
                "message_reaction": {
                    "chat": chat,
                    "message_id": message_id,
                    "user": user,
                    "date": int(time.time()),
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": emoji}],
                }
            }
        )

    def press(self, chat: JSON, user: JSON, data: str, message_id: int | None = None) -> JSON:
        """A callback query from pressing an inline button on one of the bot's messages."""
        msg = self._message_obj(chat, self._bot_user(), None)
        if message_id is not None:
            msg["message_id"] = message_id
        msg["text"] = "…"
        query_id = f"cq{self._next_update}"
        return self.inject(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": f"ci{chat['id']}",
                    "message": msg,
                    "data": data,
                }
            }
        )

    def press_label(self, chat: JSON, user: JSON, label: str, *, to: int | None = None) -> JSON:
        """Press the newest button labelled `label` (containing it) the bot sent to `to`.

        The callback data is whatever the bot put on the button (with PTB's arbitrary
        callback data, an id that only the bot can map back)."""
        for call in reversed(self.sent(to)):
            rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if label in button["text"]:
                    return self.press(chat, user, button["callback_data"])
        raise AssertionError(f"no button {label!r} was sent to {to}")

    def buttons(self, chat_id: int | None = None) -> list[tuple[str, str]]:
        """(label, callback data) of the newest keyboard sent (to `chat_id`)."""
        for call in reversed(self.sent(chat_id)):
            rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            if rows:
                return [(b["text"], b["callback_data"]) for row in rows for b in row]
        return []

    # -- what a test reads -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage / sendPhoto / sendDocument calls, optionally to one chat."""
        return [
            c
            for c in self.calls
            if c.method in SEND_METHODS
            and c.status == 200
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [str(c.params.get("text", c.params.get("caption", ""))) for c in self.sent(chat_id)]

    async def wait_for(
        self, predicate: Callable[[], bool], within: float = 30.0, what: str = "condition"
    ) -> None:
        """Wait until `predicate()` holds (checked on every call and update change)."""
        deadline = time.monotonic() + within
        async with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self.calls[-15:]]
                    raise AssertionError(f"timed out waiting for {what}; last calls: {methods}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)

    async def wait_calls(self, method: str, count: int = 1, within: float = 30.0) -> list[Call]:
        await self.wait_for(
            lambda: len(self.calls_to(method)) >= count, within, f"{count} x {method}"
        )
        return self.calls_to(method)

    async def wait_consumed(self, within: float = 30.0) -> None:
        """Wait until PTB has fetched (and so confirmed) every injected update, or every
        update pushed to the webhook was answered."""
        await self.wait_for(
            lambda: (
                (not self.updates or self._fetched >= self.updates[-1]["update_id"])
                and not self._to_push
            ),
            within,
            "updates to be fetched or delivered",
        )

    # -- the server ------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._read(request)
        call = Call(method, params, files)
        self.calls.append(call)
        await self._notify()
        try:
            if request.match_info["token"] != self.token:
                call.status = 401
                return _error(401, "Unauthorized")
            failure = self._failure(method, params)
            if failure is not None and failure.code == DROP:
                call.status = DROP
                assert request.transport is not None
                request.transport.close()  # the connection drops before any answer
                return web.Response()
            if failure is not None:
                call.status = failure.code
                return _error(
                    failure.code, failure.description, failure.retry_after, failure.migrate_to
                )
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                call.status = 404
                return _error(404, f"Not Found: method {method} is not implemented by the fake")
            result = await handler(params, files)
            if isinstance(result, web.Response):
                call.status = result.status
                return result
            call.status = 200
            return web.json_response({"ok": True, "result": result})
        finally:
            await self._notify()

    async def _read(self, request: web.Request) -> tuple[JSON, dict[str, tuple[str, bytes]]]:
        if not request.can_read_body:
            return {}, {}
        form = await request.post()
        raw: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for key, value in form.items():
            if isinstance(value, str):
                raw[key] = value
            else:
                files[key] = (value.filename, value.file.read())
        return decode_params(raw), files

    def _failure(self, method: str, params: JSON) -> Failure | None:
        chat = params.get("chat_id")
        if method in SEND_METHODS and chat in self.never_started:
            return Failure(method, 403, NEVER_STARTED)
        if method in SEND_METHODS and chat in self.migrated:
            return Failure(method, 400, UPGRADED, migrate_to=self.migrated[chat])
        for failure in self.failures:
            if failure.method == method and (failure.when is None or failure.when(params)):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Convene",
            "username": self.username,
        }

    def _message_obj(self, chat: JSON, user: JSON, date: int | None) -> JSON:
        self._next_message += 1
        return {
            "message_id": self._next_message,
            "date": date or int(time.time()),
            "chat": chat,
            "from": user,
        }

    def _chat_for(self, chat_id: Any) -> JSON:
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, int) and chat_id > 0:
            return self.private(chat_id)
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    def _sent_message(self, params: JSON) -> JSON:
        msg = self._message_obj(self._chat_for(params.get("chat_id")), self._bot_user(), None)
        if "reply_markup" in params:
            msg["reply_markup"] = params["reply_markup"]
        return msg

    # -- Bot API methods -------------------------------------------------------------------

    async def _api_getMe(self, params: JSON, files: Any) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    async def _api_setWebhook(self, params: JSON, files: Any) -> bool:
        url = str(params.get("url", ""))
        if not url.startswith("https://"):
            return _error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook = params
        waiting, self.updates = self.updates, []  # what was not fetched is pushed now
        for update in waiting:
            self._push(update)
        return True

    async def _api_deleteWebhook(self, params: JSON, files: Any) -> bool:
        self.webhook = None
        if self._to_push:  # not delivered yet: getUpdates gets them
            self.updates = [*self._to_push, *self.updates]
            self._to_push = []
        return True

    async def _api_getWebhookInfo(self, params: JSON, files: Any) -> JSON:
        failed = [d for d in self.deliveries if d[2] // 100 != 2]
        info: JSON = {
            "url": str(self.webhook["url"]) if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._to_push) + len(self.updates),
        }
        if failed and self.webhook:
            info["last_error_date"] = self._last_failure
            info["last_error_message"] = f"Wrong response from the webhook: {failed[-1][2]}"
        return info

    async def _api_getUpdates(self, params: JSON, files: Any) -> list[JSON]:
        if self.webhook is not None:
            return _error(409, CONFLICT)
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.confirmed_offset = offset
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self.updates and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
        batch = self.updates[:limit]
        if batch:
            self._fetched = max(self._fetched, batch[-1]["update_id"])
        return batch

    async def _api_sendMessage(self, params: JSON, files: Any) -> JSON:
        if not str(params.get("text", "")).strip():
            return _error(400, "Bad Request: message text is empty")
        if len(str(params["text"])) > 4096:
            return _error(400, "Bad Request: message is too long")
        msg = self._sent_message(params)
        msg["text"] = params["text"]
        return msg

    async def _api_sendPhoto(self, params: JSON, files: dict[str, tuple[str, bytes]]) -> JSON:
        if "photo" not in files and "photo" not in params:
            return _error(400, "Bad Request: there is no photo in the request")
        msg = self._sent_message(params)
        size = len(files["photo"][1]) if "photo" in files else 0
        msg["photo"] = [
            {
                "file_id": "ph1",
                "file_unique_id": "u1",
                "width": 800,
                "height": 400,
                "file_size": size,
            }
        ]
        if "caption" in params:
            msg["caption"] = params["caption"]
        return msg

    async def _api_sendDocument(self, params: JSON, files: dict[str, tuple[str, bytes]]) -> JSON:
        if "document" not in files and "document" not in params:
            return _error(400, "Bad Request: there is no document in the request")
        msg = self._sent_message(params)
        name = files["document"][0] if "document" in files else "file"
        msg["document"] = {"file_id": "doc1", "file_unique_id": "d1", "file_name": name}
        if "caption" in params:
            msg["caption"] = params["caption"]
        return msg

    async def _api_editMessageText(self, params: JSON, files: Any) -> JSON:
        msg = self._sent_message(params)
        msg["message_id"] = params.get("message_id", msg["message_id"])
        msg["text"] = params.get("text", "")
        msg["edit_date"] = int(time.time())
        return msg

    async def _api_deleteMessage(self, params: JSON, files: Any) -> bool:
        return True

    async def _api_answerCallbackQuery(self, params: JSON, files: Any) -> bool:
        return True

    async def _api_setMyCommands(self, params: JSON, files: Any) -> bool:
        for command in params.get("commands", []):
            name = command.get("command", "")
            if not (1 <= len(name) <= 32) or not name.replace("_", "").isalnum():
                return _error(400, f"Bad Request: BOT_COMMAND_INVALID ({name!r})")
            if not (1 <= len(command.get("description", "")) <= 256):
                return _error(400, "Bad Request: command description is invalid")
        return True

    async def _api_deleteMyCommands(self, params: JSON, files: Any) -> bool:
        return True

    async def _api_sendChatAction(self, params: JSON, files: Any) -> bool:
        return True

    async def _api_getChat(self, params: JSON, files: Any) -> JSON:
        chat = self._chat_for(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _api_getChatAdministrators(self, params: JSON, files: Any) -> list[JSON]:
        chat_id = params.get("chat_id")
        if chat_id in self.chats and self.chats[chat_id]["type"] == "private":
            return _error(400, "Bad Request: there are no administrators in the private chat")
        members = [self._member(chat_id, uid) for uid in sorted(self.admins.get(chat_id, set()))]
        if chat_id in self.bot_admin_in:
            members.append(_admin(self._bot_user()))
        return members

    async def _api_getChatMember(self, params: JSON, files: Any) -> JSON:
        return self._member(params.get("chat_id"), int(params.get("user_id", 0)))

    async def _api_getChatMemberCount(self, params: JSON, files: Any) -> int:
        return len(self.users) + 1

    def _member(self, chat_id: Any, user_id: int) -> JSON:
        if user_id == self.bot_id:
            user = self._bot_user()
            return _admin(user) if chat_id in self.bot_admin_in else _plain(user)
        user = self.user(user_id)
        if self.creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            return _admin(user)
        return _plain(user)


def _plain(user: JSON) -> JSON:
    return {"status": "member", "user": user}


def _admin(user: JSON) -> JSON:
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
    }


def _error(
    code: int, description: str, retry_after: int | None = None, migrate_to: int | None = None
) -> web.Response:
    body: JSON = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if migrate_to is not None:
        body["parameters"] = {"migrate_to_chat_id": migrate_to}
    return web.json_response(body, status=code)
