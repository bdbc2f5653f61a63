"""`convene demo`: load the generated demo community into a store and show a short tour."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.console import CHAT, SPACE, ConsoleAdapter
from bot.core import Core
from bot.demo_data import DemoCommunity, generate
from bot.profile import Profile
from bot.store import ACTIVITY_KINDS, Store

DEMO_KEY = f"console:{SPACE}"


def demo_end(now: datetime) -> datetime:
    """The demo's chat ends at the start of the current hour, so reruns within it match."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def load_demo(store: Store, demo: DemoCommunity, *, store_text: bool = True) -> int:
    """Write the demo's members, profiles and activity; returns the community id."""
    community = store.community(DEMO_KEY, demo.name)
    store.link_space("console", SPACE, community)
    chats = {name: store.chat(community, "console", name, name) for name in _chat_names(demo)}
    ids: list[int] = []
    for m in demo.members:
        joined = int(m.joined_at.timestamp())
        row = store.member(community, "console", m.name, m.name, joined)
        ids.append(row.id)
        store.add_activity(community, row.id, chats[CHAT], joined, ACTIVITY_KINDS["join"], 0, None)
    for msg in demo.messages:
        text = msg.text if store_text else None
        store.add_activity(
            community, ids[msg.member], chats[msg.chat], int(msg.at.timestamp()),
            ACTIVITY_KINDS["message"], len(msg.text), text,
        )
    for r in demo.reactions:
        store.add_activity(
            community, ids[r.member], chats[r.chat], int(r.at.timestamp()),
            ACTIVITY_KINDS["reaction"], 0, None,
        )
    store.flush()
    save = _profile_saver()
    if save is not None:
        for member_id, m in zip(ids, demo.members, strict=True):
            save(store, community, _profile(member_id, m))
    return community


def _chat_names(demo: DemoCommunity) -> set[str]:
    return {CHAT} | {m.chat for m in demo.messages} | {r.chat for r in demo.reactions}


def _profile(member: int, m: object) -> Profile:
    return Profile(
        member=member,
        name=m.name,  # type: ignore[attr-defined]
        roles=m.roles,  # type: ignore[attr-defined]
        headline=m.headline,  # type: ignore[attr-defined]
        offers=m.offers,  # type: ignore[attr-defined]
        seeks=m.seeks,  # type: ignore[attr-defined]
        sectors=m.sectors,  # type: ignore[attr-defined]
        stage=m.stage,  # type: ignore[attr-defined]
        region=m.region,  # type: ignore[attr-defined]
        check_min=m.check_min,  # type: ignore[attr-defined]
        check_max=m.check_max,  # type: ignore[attr-defined]
    )


def _profile_saver():  # type: ignore[no-untyped-def]
    try:
        from bot.features.profiles import save_profile
    except ImportError:
        return None
    return save_profile


def build_demo(path: Path, *, seed: int, now: datetime) -> tuple[Store, DemoCommunity, int]:
    """A fresh demo database at `path` (an existing file there is replaced)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    demo = generate(seed, end=demo_end(now))
    store = Store(path)
    community = load_demo(store, demo)
    return store, demo, community


TOUR = (
    ("See what the community has been up to", "/activity 14"),
    ("Who talks the most", "/leaderboard 7"),
    ("A member's own stats", "/stats"),
)


async def tour(core: Core, demo: DemoCommunity, community: int, out: io.TextIOBase) -> None:
    """Run a few real commands through the console adapter and print what they answer."""
    speaker = max(demo.members, key=lambda m: sum(1 for _ in m.name))  # deterministic pick
    console = ConsoleAdapter(core, user=speaker.name, stdout=out)  # type: ignore[arg-type]
    first = demo.start.date().isoformat()
    out.write(
        f"\n{demo.name}: {len(demo.members)} members, {len(demo.messages):,} messages "
        f"since {first}.\n"
    )
    for caption, line in TOUR:
        out.write(f"\n--- {caption}: {speaker.name} types {line}\n")
        await console.handle_line(line)
    for step in _feature_tour_steps():
        await step(core, demo, community, out)
    core.adapters.pop(console.name, None)


def _feature_tour_steps() -> list:  # type: ignore[type-arg]
    """Tour steps that later features add (matching, digests), when they are installed."""
    steps = []
    try:
        from bot.demo_tour import STEPS
    except ImportError:
        return steps
    steps.extend(STEPS)
    return steps


__all__ = ["DEMO_KEY", "build_demo", "load_demo", "timedelta", "tour"]
