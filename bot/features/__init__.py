"""The features the bot runs, in the order their hooks run (help lists commands in it)."""

from __future__ import annotations

from bot.feature import Feature


def default_features() -> list[type[Feature]]:
    """Every built-in feature class; `Core` makes one instance of each for itself."""
    from bot.features.activity import Activity
    from bot.features.backfill import Backfill
    from bot.features.choices import Choices
    from bot.features.dashboard import Dashboard
    from bot.features.digests.feature import Digests
    from bot.features.events.feature import Events
    from bot.features.help import Help
    from bot.features.linking import Linking
    from bot.features.matching.feature import Matching
    from bot.features.matching.rounds import Rounds
    from bot.features.privacy import Privacy
    from bot.features.profiles.feature import Profiles
    from bot.outbox import Outbox
    from bot.scheduling.scheduler import Scheduler

    return [
        Help,
        Scheduler,
        Activity,
        Profiles,
        Matching,
        Rounds,
        Events,
        Digests,
        Backfill,
        Dashboard,
        Linking,
        Choices,
        Outbox,
        Privacy,
    ]
