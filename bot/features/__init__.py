"""The features the bot runs, in the order their help and privacy hooks run."""

from __future__ import annotations

from bot.feature import Feature


def default_features() -> list[Feature]:
    """Every built-in feature (a fresh list; the Feature objects are module singletons)."""
    from bot import scheduler
    from bot.features import (
        activity,
        backfill,
        digests,
        events,
        help,
        linking,
        matching,
        privacy,
        profiles,
        rounds,
    )

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
        privacy.feature,
    ]
