"""`convene demo`: load the generated demo community into a store and show a short tour."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from adapters.base import render_plain
from adapters.console import CHAT, SPACE, ConsoleAdapter
from bot.core import Core
from bot.demo.community import DemoCommunity, DemoMember
from bot.features.digests.feature import latest_digest, prepare_topics
from bot.features.events import store as events
from bot.features.matching.feature import demo_matches
from bot.features.matching.rounds import join_rounds
from bot.features.profiles.store import save_profile
from bot.storage.store import ACTIVITY_KINDS, Store
from models.matching.profile import Profile

DEMO_KEY = f"console:{SPACE}"


def progress_bar(total: int, what: str, unit: str) -> Any:
    """A progress bar on stderr (tqdm) for a step that may take more than a couple of seconds."""
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit=f" {unit}", file=sys.stderr, dynamic_ncols=True)


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def demo_end(now: datetime) -> datetime:
    """The demo's chat ends at the start of the current hour, so reruns within it match."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def fresh_database(path: Path) -> None:
    """Remove an earlier demo database at `path` (the demo is rebuilt on every run)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def load_demo(core: Core, demo: DemoCommunity) -> tuple[int, list[int]]:
    """Write the demo's members, profiles and activity; returns the community and member ids."""
    store = core.store
    community = store.community(DEMO_KEY, demo.name)
    store.link_space("console", SPACE, community)
    chats = {name: store.chat(community, "console", name, name) for name in _chat_names(demo)}
    ids: list[int] = []
    for m in demo.members:
        joined = int(m.joined_at.timestamp())
        ids.append(store.member(community, "console", m.name, m.name, joined).id)
        store.add_activity(community, ids[-1], chats[CHAT], joined, ACTIVITY_KINDS["join"], 0, None)
    keep_text = core.stores_text(community)
    for msg in demo.messages:
        store.add_activity(
            community, ids[msg.member], chats[msg.chat], int(msg.at.timestamp()),
            ACTIVITY_KINDS["message"], len(msg.text), msg.text if keep_text else None,
        )  # fmt: skip
    for r in demo.reactions:
        store.add_activity(
            community, ids[r.member], chats[r.chat], int(r.at.timestamp()),
            ACTIVITY_KINDS["reaction"], 0, None,
        )  # fmt: skip
    store.flush()
    for i, (member_id, m) in enumerate(zip(ids, demo.members, strict=True)):
        joined = int(m.joined_at.timestamp())
        save_profile(store, community, _profile(member_id, m), joined)
        if i % 3 == 0:  # a third of the members opted in to intro rounds
            join_rounds(store, community, member_id, joined)
    _plan_events(store, community, ids, demo.end)
    return community, ids


DEMO_EVENTS = (
    (3, 18, "Demo day pitch rehearsal", "Factory Berlin, 2nd floor"),
    (6, 16, "Investor office hours", "https://meet.example/convene-office-hours"),
)


def _plan_events(store: Store, community: int, ids: list[int], end: datetime) -> None:
    """Two upcoming events, with RSVPs from some members."""
    now = int(end.timestamp())
    for days, hour, title, place in DEMO_EVENTS:
        starts = end.replace(hour=hour) + timedelta(days=days)
        event = events.create_event(store, community, title, int(starts.timestamp()), ids[0], now)
        events.set_place(store, event, place)
        for member in ids[days::4]:
            events.add_rsvp(store, event, member, now)


def _chat_names(demo: DemoCommunity) -> set[str]:
    return {CHAT} | {m.chat for m in demo.messages} | {r.chat for r in demo.reactions}


def _profile(member: int, m: DemoMember) -> Profile:
    return Profile(
        member=member,
        name=m.name,
        roles=m.roles,
        headline=m.headline,
        offers=m.offers,
        seeks=m.seeks,
        sectors=m.sectors,
        stage=m.stage,
        region=m.region,
        serves=m.serves,
        check_min=m.check_min,
        check_max=m.check_max,
    )


async def tour(
    core: Core, demo: DemoCommunity, community: int, ids: list[int], out: TextIO, chart: Path
) -> None:
    """Run real commands through the console adapter, then show matches and the digest."""
    talk = Counter(m.member for m in demo.messages)
    speaker = demo.members[talk.most_common(1)[0][0]]
    console = ConsoleAdapter(core, user=speaker.name, stdout=out)
    out.write(
        f"\n{demo.name}: {len(demo.members)} members, {len(demo.messages):,} messages "
        f"since {demo.start.date().isoformat()}.\n"
    )
    for caption, line in (
        ("What the community has been up to", "/activity 14"),
        ("Who talks the most", "/leaderboard 7"),
        (f"{speaker.name}'s own stats", "/stats"),
    ):
        out.write(f"\n--- {caption}: {speaker.name} types {line}\n")
        await console.handle_line(line)
    founder = demo.planted.intros[0][0]
    out.write(f"\n--- Who should {demo.members[founder].name} meet, and why\n")
    out.write(await demo_matches(core, community, ids[founder], n=3) + "\n")
    out.write(
        "\n--- The latest weekly digest. First the topic worker embeds a sample of the last "
        "four weeks (once; vectors are cached in the database).\n"
    )
    out.flush()
    bars = []

    def bar(total: int) -> Callable[[int], object]:
        bars.append(progress_bar(total, "Embedding the digest's sample", "texts"))
        return bars[-1].update

    encoded = await prepare_topics(core, community, bar)
    for b in bars:
        b.close()
    out.write(f"({encoded:,} messages embedded)\n\n")
    digest = await latest_digest(core, community)
    out.write(render_plain(digest.reply) + "\n")
    if digest.chart:
        await asyncio.to_thread(_save, chart, digest.chart)
        out.write(f"\nThe digest's chart is in {chart}\n")
    core.adapters.pop(console.name, None)
