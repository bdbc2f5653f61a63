"""One in-memory `Matcher` per community, kept in `core.services["matching"]`.

Each use checks a cheap signature of the profiles table (and the members' opt-outs) and
re-syncs the matcher when it changed; only new or changed profiles reach the embedder (in
its worker thread), so edits, opt-outs and deletions made anywhere are always reflected.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.features.profiles.store import load_profiles
from models.matching.matcher import Matcher
from tests.fake_embedder import FakeEmbedder

if TYPE_CHECKING:
    from bot.core import Core

KEY = "matching"


class MatchService:
    """Matchers per community over the core's embedder (a FakeEmbedder when it has none)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.own_embedder = core.embedder is None
        self.embedder: object = core.embedder if core.embedder is not None else FakeEmbedder()
        self._matchers: dict[int, Matcher] = {}
        self._seen: dict[int, tuple[object, ...]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def matcher(self, community: int) -> Matcher:
        """The community's matcher, brought up to date with its profiles."""
        lock = self._locks.setdefault(community, asyncio.Lock())
        async with lock:
            found = self._matchers.get(community)
            if found is None:
                found = self._matchers[community] = Matcher(self.embedder)
            mark = self._signature(community)
            if self._seen.get(community) != mark:
                await found.sync(load_profiles(self.core.store, community))
                self._seen[community] = mark
            return found

    def changed(self, community: int) -> None:
        """Force the next `matcher` call to re-read the community's profiles."""
        self._seen.pop(community, None)

    def _signature(self, community: int) -> tuple[object, ...]:
        """Cheap summary of the profiles and opt-outs: a changed profile changes it."""
        rows = self.core.store.conn.execute(
            "SELECT count(*), total(p.updated_at), total(p.member * m.matching), "
            "total(p.member * p.visible), total(p.member) FROM profiles p "
            "JOIN members m ON m.id = p.member WHERE p.community = ?",
            (community,),
        ).fetchone()
        return tuple(rows)

    def close(self) -> None:
        if self.own_embedder:
            self.embedder.close()  # type: ignore[attr-defined]
        self._matchers.clear()


def service(core: Core) -> MatchService:
    """The core's match service, created on first use."""
    found = core.services.get(KEY)
    if found is None:
        found = core.services[KEY] = MatchService(core)
    return found


async def close_service(core: Core) -> None:
    found = core.services.pop(KEY, None)
    if found is not None:
        found.close()
