"""The interactive parts of `convene demo` and `convene chat`."""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.app import make_embedder
from bot.config import Config
from bot.core import Core, utcnow
from bot.demo.community import generate
from bot.demo.loader import demo_end, fresh_database, load_demo, tour
from bot.storage.store import Store


async def run_demo(db: Path, seed: int, *, chat: bool) -> int:
    """Build the demo community, print the tour, then open the console if asked."""
    print(f"Building the demo community (seed {seed}) in {db} …", flush=True)
    fresh_database(db)
    config = Config(database=db)
    store = Store(db)
    embedder = make_embedder(config, store)
    core = Core(config, store, embedder=embedder)
    demo = generate(seed, end=demo_end(utcnow()))
    community, ids = load_demo(core, demo)
    await embedder.aload()
    await core.start()
    try:
        await tour(core, demo, community, ids, sys.stdout, db.with_name("convene-demo-digest.png"))
        if chat:
            founder = demo.members[demo.planted.intros[0][0]].name
            print(
                "\nYou are in the demo community's #general as 'organizer' (an admin). "
                f"Try /trends, /events, /leaderboard 30, or ':as {founder}' then /match and /profile."
            )
            await ConsoleAdapter(core).run()
        else:
            print(f"\nOpen the console any time: convene chat --db {db}")
    finally:
        await core.close()
    return 0


async def run_chat(config: Config, user: str) -> int:
    """Open the console chat on an existing (or new) database."""
    store = Store(config.store)
    core = Core(config, store, embedder=make_embedder(config, store))  # loads on first use
    await core.start()
    try:
        await ConsoleAdapter(core, user=user).run()
    finally:
        await core.close()
    return 0
