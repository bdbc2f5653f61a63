"""`convene dashboard`: serve one store's dashboard without any platform, print a login link."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import TextIO

from bot.app import make_embedder
from bot.config import Config
from bot.core import Core
from bot.dashboard.auth import LINK_TTL, OPERATOR
from bot.storage.store import Store


def pick_community(store: Store, wanted: str | None) -> tuple[int | None, str]:
    """The community to open (by name or key), or None and a sentence saying how to choose."""
    rows = store.rows("SELECT id, key, name FROM communities ORDER BY id")
    if wanted:
        found = store.community_named(wanted)
        if found is not None:
            return found, ""
        names = ", ".join(repr(r["name"]) for r in rows) or "none yet"
        return None, f"no community called {wanted!r} in this database (there are: {names})."
    if len(rows) == 1:
        return int(rows[0]["id"]), ""
    if not rows:
        return None, "this database has no community yet: run the bot or `convene demo` first."
    names = ", ".join(repr(r["name"]) for r in rows)
    return None, f"this database holds several communities; choose one with --community ({names})."


async def serve_store(
    config: Config,
    community_name: str | None,
    host: str | None,
    port: int | None,
    *,
    out: TextIO = sys.stdout,
    stop: asyncio.Event | None = None,
) -> int:
    """Open the store (the model loads only if a digest dry run needs it) and serve."""
    from bot.features.dashboard import serve

    store = Store(config.store)
    community, problem = pick_community(store, community_name)
    if community is None:
        store.close()
        print(f"convene: {problem}", file=sys.stderr)
        return 2
    core = Core(config, store, embedder=make_embedder(config, store))
    try:
        server = await serve(core, host=host, port=port)
        name = store.scalar("SELECT name FROM communities WHERE id = ?", (community,))
        out.write(
            f"Dashboard of {name}: open this link within {LINK_TTL // 60} minutes "
            f"(it works once):\n{server.link(community, OPERATOR)}\n"
            "Press Ctrl+C to stop.\n"
        )
        out.flush()
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await core.close()
    return 0
