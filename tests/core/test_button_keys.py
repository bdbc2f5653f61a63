"""Button keys: short, unguessable, the same in every process on one store, read back from
the store (so a press may reach any process), and forgotten when unused for long."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from bot.button_keys import KEEP_DAYS, ButtonKeys
from bot.storage.store import Store

pytestmark = pytest.mark.engines

LONG = "vote:" + "x" * 200 + "~c12"


def test_a_key_fits_telegram_and_reads_back_in_another_process(store_target: str | Path) -> None:
    first, second = Store(store_target), Store(store_target)  # two processes, one database
    try:
        one, other = ButtonKeys(first), ButtonKeys(second)
        key = one.key(LONG)
        assert len(key.encode()) <= 64
        assert other.callback(key) == LONG
        assert other.key(LONG) == key  # both processes send the same key for one callback
        assert one.key("forget:no:3~c1") != key
    finally:
        first.close()
        second.close()


def test_unknown_and_forged_keys_are_not_read(store_target: str | Path) -> None:
    store = Store(store_target)
    try:
        keys = ButtonKeys(store)
        keys.key("forget:yes:3~c1")
        # A modified client that knows the scheme but not the store's secret:
        digest = hashlib.sha256(b"forget:yes:3~c1").digest()
        forged = "k" + base64.urlsafe_b64encode(digest).decode()[:22]
        for data in (forged, "forget:yes:3~c1", "", "k" + "A" * 22, "k" * 80):
            assert keys.callback(data) is None
    finally:
        store.close()


def test_keys_unused_for_long_expire(store_target: str | Path) -> None:
    store = Store(store_target)
    try:
        keys = ButtonKeys(store)
        old, fresh = keys.key("ev:rsvp:1~c1"), keys.key("ev:rsvp:2~c1")
        with store.transaction() as c:
            c.execute("UPDATE button_keys SET used_at = 0 WHERE key = ?", (old,))
        assert keys.expire() == 1
        assert keys.callback(old) is None
        assert keys.callback(fresh) == "ev:rsvp:2~c1"
        assert keys.expire(now=10**10 + KEEP_DAYS * 86400) == 1
    finally:
        store.close()
