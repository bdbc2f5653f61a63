"""The features the bot runs, in the order their help and privacy hooks run."""

from __future__ import annotations

from bot.feature import Feature


def default_features() -> list[Feature]:
    """Every built-in feature (a fresh list; the Feature objects are module singletons)."""
    from bot.features import activity, help, privacy

    return [help.feature, activity.feature, privacy.feature]
