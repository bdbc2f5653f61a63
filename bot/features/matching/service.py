"""One in-memory `Matcher` per community, held by the matching feature (`Matching.service`).

Each use checks a cheap signature of the profiles table (and the members' opt-outs) and
re-syncs the matcher when it changed; only new or changed profiles reach the embedder (in
its worker thread), so edits, opt-outs and deletions made anywhere are always reflected.
Without a language model there is no matcher: `matcher` raises `MatchingUnavailable`,
whose message every matching command shows as it is.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.commands import CommandError
from bot.features.profiles.store import load_profiles, profiles_signature
from models.matching.matcher import Matcher

if TYPE_CHECKING:
    from bot.core import Core
    from models.matching.rerank import ReRanker

UNAVAILABLE = (
    "Matching is unavailable: this bot runs without its language model, so it cannot "
    "compare profiles. Your profile is kept; ask an admin to start Convene with the model."
)


class MatchingUnavailable(CommandError):
    """The bot has no embedder, so nothing can be matched (the message says so)."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)


class MatchService:
    """Matchers per community over the core's embedder, and the re-rankers' cache."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._matchers: dict[int, Matcher] = {}
        self._seen: dict[int, tuple[object, ...]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        # community -> (hash of the outcomes it was fitted on, the model or None)
        self.rerankers: dict[int, tuple[int, ReRanker | None]] = {}

    @property
    def available(self) -> bool:
        """Whether matching can run at all (there is a language model)."""
        return self.core.embedder is not None

    async def matcher(self, community: int) -> Matcher:
        """The community's matcher, brought up to date with its profiles.

        Raises:
            MatchingUnavailable: the bot has no language model.
        """
        embedder = self.core.embedder
        if embedder is None:
            raise MatchingUnavailable()
        lock = self._locks.setdefault(community, asyncio.Lock())
        async with lock:
            found = self._matchers.get(community)
            if found is None:
                found = self._matchers[community] = Matcher(embedder)
            mark = profiles_signature(self.core.store, community)
            if self._seen.get(community) != mark:
                await found.sync(load_profiles(self.core.store, community))
                self._seen[community] = mark
            return found

    def changed(self, community: int) -> None:
        """Force the next `matcher` call to re-read the community's profiles."""
        self._seen.pop(community, None)

    def close(self) -> None:
        self._matchers.clear()
        self.rerankers.clear()


def service(core: Core) -> MatchService:
    """The match service of the core's matching feature.

    Raises:
        FeatureError: the bot runs without the matching feature (`core.has(Matching)`).
    """
    from bot.features.matching.feature import Matching  # it imports the handlers that ask

    return core.feature(Matching).service
