"""Claims: one of two processes wins a key, a repeat within the window loses, later wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.claims import Claims
from bot.storage.store import Store

pytestmark = pytest.mark.engines


def test_the_first_claim_wins_across_processes_and_expires(store_target: str | Path) -> None:
    first, second = Store(store_target), Store(store_target)  # two processes, one database
    try:
        one, other = Claims(first), Claims(second)
        assert one.first("telegram:-100:7:join", now=1000, within=120)
        assert not other.first("telegram:-100:7:join", now=1001, within=120)
        assert not one.first("telegram:-100:7:join", now=1119, within=120)
        assert other.first("telegram:-100:8:join", now=1001, within=120)  # another key
        assert other.first("telegram:-100:7:join", now=1121, within=120)  # the window passed
        stored = first.rows("SELECT key FROM claims")
        assert len(stored) == 2
        assert not any("-100" in str(row["key"]) for row in stored)  # no ids kept
    finally:
        first.close()
        second.close()
