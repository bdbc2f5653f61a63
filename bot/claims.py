"""Claims: "the first process to see this within a while", decided by the store.

Some things reach a bot twice: Telegram reports a member joining both as a service message
and as a ``chat_member`` update, and with several processes behind one webhook the two may
land on different processes. `Claims.first` answers True to exactly one of them (the store's
unique key decides, so it holds across processes), and False to a repeat within `within`
seconds. Keys are stored hashed: a claim names no member.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    ["CREATE TABLE claims (key TEXT PRIMARY KEY, at INTEGER NOT NULL)"],
]
KEEP = 86_400  # claims older than a day are deleted now and then
_SWEEP_EVERY = 1000


class Claims:
    """Keys claimed in the store, each for a while (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("claims", MIGRATIONS)
        self._since_sweep = 0

    def first(self, key: str, now: int, within: int) -> bool:
        """True if nobody (in any process) claimed `key` in the `within` seconds before `now`."""
        self._since_sweep += 1
        hashed = hashlib.sha256(key.encode()).hexdigest()[:32]
        with self.store.transaction() as c:
            if self._since_sweep >= _SWEEP_EVERY:
                self._since_sweep = 0
                c.execute("DELETE FROM claims WHERE at < ?", (now - KEEP,))
            cur = c.execute(
                "INSERT INTO claims (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                "SET at = excluded.at WHERE claims.at <= ?",
                (hashed, now, now - within),
            )
            return int(cur.rowcount) == 1
