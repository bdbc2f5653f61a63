"""Telegram's webhook: Starlette on uvicorn, on the bot's own asyncio loop.

PTB's "custom webhook" pattern (its ``customwebhookbot`` example): the `Application` is
built with ``updater(None)``, a small ASGI app receives Telegram's POSTs and puts each
`Update` on ``application.update_queue``, and PTB's handlers take it from there. Several
bot processes can each run one of these behind one HTTPS proxy: every update is handled by
the process it reaches, and everything a conversation needs between updates is in the
shared database.

The endpoint answers at once (200 once the update is queued); it refuses a wrong or
missing ``X-Telegram-Bot-Api-Secret-Token`` (403), a body that is not an update (400) and
updates arriving while the process stops (503, so Telegram delivers them again, to another
process). ``GET /healthz`` says whether this process takes updates. Every refusal is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.config import ConfigError

log = logging.getLogger("convene.telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # an update is a few KiB; anything near a megabyte is not from Telegram


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Where Telegram posts (`url`, public) and where this process listens (local).

    The local server answers at the path of `url`: a proxy forwarding the path unchanged
    needs no rewrite.
    """

    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8080

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers: the bot's process owns SIGINT/SIGTERM
    and stops every adapter itself (`bot.app.run`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookServer:
    """The ASGI app that feeds PTB's update queue, served by uvicorn on the running loop."""

    def __init__(self, application: Application, settings: WebhookSettings) -> None:  # type: ignore[type-arg]
        self.application = application
        self.settings = settings
        self.port = settings.port  # the bound port (differs when settings.port is 0)
        self.accepted = 0
        self.refused = 0
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.asgi = Starlette(
            routes=[
                Route(settings.path, self._on_update, methods=["POST"]),
                Route(HEALTH_PATH, self._on_health, methods=["GET"]),
            ]
        )

    async def start(self) -> None:
        """Listen on `settings.listen`:`settings.port`.

        Raises:
            ConfigError: the address cannot be used (taken, or not this machine's).
        """
        sock = _bind(self.settings.listen, self.settings.port)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.asgi,
            lifespan="off",
            log_config=None,  # the bot's logging stays as it is
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="webhook")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise ConfigError(f"The Telegram webhook server on port {self.port} stopped.")
            await asyncio.sleep(0.01)
        log.info(
            "Telegram: webhook listening on %s:%d%s", self.settings.listen, self.port, self.path
        )

    @property
    def path(self) -> str:
        return self.settings.path

    async def stop(self) -> None:
        """Stop taking updates: the port closes (a POST on a connection still open gets 503)
        and the requests in flight finish. PTB's queue is the caller's to drain."""
        self._closing = True
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None

    # -- the endpoints: each is tiny --------------------------------------------------------

    async def _on_update(self, request: Request) -> Response:
        """One update from Telegram: check the secret, parse, queue, answer."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.settings.secret.encode()):
            return self._refuse(request, 403, "wrong or missing secret token")
        if self._closing or not self.application.running:
            return self._refuse(request, 503, "this process is stopping; Telegram will retry")
        body = await _read(request)
        if body is None:
            return self._refuse(request, 413, f"a body over {MAX_BODY} bytes")
        try:
            data = json.loads(body)
        except ValueError:
            return self._refuse(request, 400, "a body that is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return self._refuse(request, 400, "JSON that is not an update (no update_id)")
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # PTB's parser meets a shape it does not know
            return self._refuse(request, 400, f"an update PTB cannot read ({exc!r})")
        await self.application.update_queue.put(update)
        self.accepted += 1
        return Response(status_code=200)

    async def _on_health(self, _: Request) -> Response:
        """200 while this process takes updates (for the proxy's health checks), else 503."""
        up = self.application.running and not self._closing
        body: dict[str, Any] = {
            "ok": up,
            "accepted": self.accepted,
            "refused": self.refused,
            "queued": self.application.update_queue.qsize(),
        }
        return JSONResponse(body, status_code=200 if up else 503)

    def _refuse(self, request: Request, status: int, why: str) -> Response:
        self.refused += 1
        client = request.client.host if request.client else "?"
        log.warning("Telegram: webhook refused a POST from %s with %d: %s", client, status, why)
        return PlainTextResponse(why, status_code=status)


async def _read(request: Request) -> bytes | None:
    """The body, or None past `MAX_BODY` (stops reading there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"[telegram] listen = {host!r}, port = {port}: cannot listen there "
            f"({exc.strerror}). Fix: choose a free port (each process on a machine needs its "
            "own) or an address of this machine."
        ) from None
    return sock
