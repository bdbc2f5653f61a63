"""Assembling a running bot from a config: the store, the model, the core and the adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from bot.config import Config
from bot.core import Core
from bot.storage.store import Store

if TYPE_CHECKING:
    from models.vector_cache import CachedEncoder

log = logging.getLogger("convene")


def make_embedder(config: Config, store: Store) -> CachedEncoder:
    """The configured embedder (`model`: "bundled", "multilingual" or a sentence-transformers
    model), caching vectors in the store.

    Production always runs the real model (loaded on first use unless `open_core` loads
    it first); the FakeEmbedder is a test double and never a fallback.
    """
    from models.embedder import make_embedder as embedder_for

    return embedder_for(config.model, precision=config.precision, cache=store)


async def open_core(config: Config, *, load_model: bool = True) -> Core:
    """Open the store, load the model off the loop, and start the core."""
    store = Store(config.store)
    embedder = make_embedder(config, store)
    if load_model:
        await embedder.aload()
    core = Core(config, store, embedder=embedder)
    await core.start()
    return core


def platform_adapters(core: Core, config: Config) -> list[Any]:
    """Adapters for every platform the config enables (tokens checked before connecting)."""
    adapters: list[Any] = []
    if config.telegram.enabled:
        from adapters.telegram.adapter import TelegramAdapter

        telegram = config.telegram
        webhook = None
        if telegram.webhook:
            from adapters.telegram.webhook import WebhookSettings

            webhook = WebhookSettings(
                telegram.webhook_url, telegram.secret(), telegram.listen, telegram.port
            )
        token = telegram.token("telegram")
        adapters.append(TelegramAdapter(core, token, token_env=telegram.token_env, webhook=webhook))
    if config.discord.enabled:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(
            DiscordAdapter(
                core,
                config.discord.token("discord"),
                shard_count=config.discord.shard_count,
                shard_ids=config.discord.shard_ids,
            )
        )
    return adapters


async def run(config: Config) -> None:
    """Run every enabled adapter on one loop until interrupted; the console if none is."""
    for name, platform in (("telegram", config.telegram), ("discord", config.discord)):
        if platform.enabled:
            platform.token(name)  # a missing token fails before the model loads
    if config.telegram.enabled and config.telegram.webhook:
        config.telegram.secret()
    core = await open_core(config)
    try:
        adapters = platform_adapters(core, config)
        if not adapters:
            from adapters.console import ConsoleAdapter

            print("No platform is enabled in the config: starting the console.")
            await ConsoleAdapter(core).run()
            return
        started: list[Any] = []
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
                log.info("%s connected", adapter.name)
            await _wait_for_signal()
        finally:
            for adapter in reversed(started):
                with contextlib.suppress(Exception):
                    await adapter.stop()
    finally:
        await core.close()


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print("Convene is running. Press Ctrl+C to stop.")
    await stop.wait()
