"""The interactive parts of `convene demo` and `convene chat`."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import monotonic
from zoneinfo import ZoneInfo

from adapters.console import SPACE, ConsoleAdapter
from bot.app import make_embedder
from bot.config import Config
from bot.core import Core, utcnow
from bot.demo.community import generate
from bot.demo.loader import demo_end, fresh_database, load_demo, tour
from bot.features.digests.history import describe_communities, find_community
from bot.storage.store import Store


def keep_existing(db: Path, *, fresh: bool, interactive: bool) -> bool:
    """Whether to open an existing demo database instead of rebuilding it (asks on a tty)."""
    if fresh or not db.exists():
        return False
    if not interactive:
        print(f"Keeping the demo database {db} (pass --fresh to rebuild it).")
        return True
    answer = input(f"A demo database already exists at {db}. Rebuild it from scratch? [y/N] ")
    return answer.strip().lower() not in ("y", "yes")


async def run_demo(db: Path, seed: int, *, chat: bool, files: Path) -> int:
    """Build the demo community, print the tour, then open the console if asked; files the
    console produces (charts, exports) go under `files`."""
    started = monotonic()
    print(f"Building the demo community (seed {seed}) in {db} …", flush=True)
    fresh_database(db)
    config = Config(database=db)
    store = Store(db)
    embedder = make_embedder(config, store)
    core = Core(config, store, embedder=embedder)
    demo = generate(seed, end=demo_end(utcnow()))
    community, ids = load_demo(core, demo)
    print(f"  {len(demo.messages):,} messages written ({monotonic() - started:.0f} s).", flush=True)
    print("  Loading the language model …", flush=True)
    await embedder.aload()
    await core.start()
    try:
        await tour(core, demo, community, ids, sys.stdout, files / "demo-digest.png")
        print(f"\n(The demo took {monotonic() - started:.0f} s to build.)")
        if chat:
            founder = demo.members[demo.planted.intros[0][0]].name
            print(
                "\nYou are in the demo community's #general as 'organizer' (an admin). "
                f"Try /trends, /events, /leaderboard 30, or ':as {founder}' then /match and /profile."
                f"\nCharts and files the bot sends are saved under {files}."
            )
            await ConsoleAdapter(core, files=files).run()
        else:
            print(f"\nOpen the console any time: convene chat --db {db}")
    finally:
        await core.close()
    return 0


async def run_chat(
    config: Config,
    user: str,
    *,
    community: str | None = None,
    at: date | None = None,
    files: Path | None = None,
) -> int:
    """Open the console chat on an existing database, in `community` if named, as of `at`.

    With `at`, the console's clock starts at that day's end (in the community's timezone) and
    runs on from there, so /trends, /digest preview and /activity look back from that day.
    """
    store = Store(config.store)
    space = SPACE
    clock = utcnow
    if community is not None:
        info = find_community(store, community)
        if info is None:
            print(f"No community called {community!r}.\n{describe_communities(store)}")
            store.close()
            return 2
        space = f"community-{info.id}"
        store.link_space("console", space, info.id)
        print(f"Opening {info.name}: {info.messages:,} stored messages.")
        if at is not None:
            tz = ZoneInfo(store.setting(info.id, "timezone", "UTC") or "UTC")
            started, origin = utcnow(), datetime.combine(at, time(23, 59), tz)
            clock = lambda: origin + (utcnow() - started)  # noqa: E731
            print(f"The console's clock reads {origin:%a %d %b %Y %H:%M} ({tz.key}).")
    elif at is not None:
        started, origin = utcnow(), datetime.combine(at, time(23, 59), UTC)
        clock = lambda: origin + (utcnow() - started)  # noqa: E731
    core = Core(config, store, embedder=make_embedder(config, store), clock=clock)
    await core.start()
    folder = files or Path(config.database).parent / "convene-files"
    print(f"Charts and files the bot sends are saved under {folder}.")
    try:
        await ConsoleAdapter(core, user=user, space=space, files=folder).run()
    finally:
        await core.close()
    return 0
