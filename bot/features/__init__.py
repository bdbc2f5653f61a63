"""The features the bot runs, in the order their help and privacy hooks run."""

from __future__ import annotations

from bot.feature import Feature


def default_features() -> list[Feature]:
    """Every built-in feature (a fresh list; the Feature objects are module singletons)."""
    from bot.features import activity, backfill, choices, help, linking, privacy
    from bot.features.digests import feature as digests
    from bot.features.events import feature as events
    from bot.features.matching import feature as matching
    from bot.features.matching import rounds
    from bot.features.profiles import feature as profiles
    from bot.scheduling import scheduler

    return [
        help.feature,
        scheduler.feature,
        activity.feature,
        profiles.feature,
        matching.feature,
        rounds.feature,
        events.feature,
        digests.feature,
        backfill.feature,
        linking.feature,
        choices.feature,
        privacy.feature,
    ]
