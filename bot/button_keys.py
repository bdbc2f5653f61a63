"""Short keys for button callbacks, kept in the store so that any process reads them back.

Telegram's buttons carry at most 64 bytes, and a modified client can send any bytes it
likes as a press. PTB's ``arbitrary_callback_data`` answers both, but keeps its map in one
process's memory: a button sent by one bot process and pressed through another (webhook
mode, several processes) would be unknown there. So an adapter sends `ButtonKeys.key` of
the core callback instead: an HMAC of the callback under a secret kept in the store (it
cannot be guessed, and the same callback always gets the same key, so processes never
disagree), and `ButtonKeys.callback` reads it back. A key unused for `KEEP_DAYS` expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from typing import TYPE_CHECKING

from bot.storage.writer import StoreBusy

if TYPE_CHECKING:
    from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE button_secret (id INTEGER PRIMARY KEY, key BLOB NOT NULL)",
        """CREATE TABLE button_keys (
            key TEXT PRIMARY KEY, callback TEXT NOT NULL, used_at INTEGER NOT NULL)""",
    ]
]
log = logging.getLogger("convene")
KEEP_DAYS = 90  # an intro request or an RSVP button may wait for weeks
PREFIX = "k"  # every key starts with it; 1 + 22 characters, 132 bits of HMAC
_TOUCH_EVERY = 3600  # a key sent again within the hour is not written again


class ButtonKeys:
    """The store's map of button keys to core callbacks (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("button_keys", MIGRATIONS)
        self._secret = b""
        self._written: dict[str, float] = {}

    def key(self, callback: str) -> str:
        """The key to send for `callback` (recorded, so a press finds it again; a store busy
        in another process only costs this button: it will answer that it expired)."""
        digest = hmac.new(self._key(), callback.encode(), hashlib.sha256).digest()
        key = PREFIX + base64.urlsafe_b64encode(digest).decode()[:22]
        now = time.time()
        if now - self._written.get(key, 0) > _TOUCH_EVERY:
            try:
                with self.store.transaction() as c:
                    c.execute(
                        "INSERT INTO button_keys (key, callback, used_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET used_at = excluded.used_at",
                        (key, callback, int(now)),
                    )
            except StoreBusy:
                log.warning("a button was sent unrecorded: the store is busy (%s)", callback)
                return key
            if len(self._written) > 10_000:
                self._written.clear()
            self._written[key] = now
        return key

    def callback(self, key: str) -> str | None:
        """The callback a pressed key stands for; None for an unknown or expired key."""
        if not key or len(key) > 64:  # Telegram's limit: nothing longer is one of ours
            return None
        rows = self.store.rows("SELECT callback FROM button_keys WHERE key = ?", (key,))
        return str(rows[0]["callback"]) if rows else None

    def adopt(self, keys: dict[str, str]) -> None:
        """Take over keys made elsewhere (the button map of an older Convene), as used now."""
        now = int(time.time())
        with self.store.transaction() as c:
            for key, callback in keys.items():
                c.execute(
                    "INSERT INTO button_keys (key, callback, used_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (key, callback, now),
                )

    def expire(self, now: float | None = None) -> int:
        """Forget keys unused for `KEEP_DAYS`; returns how many."""
        cutoff = int((now or time.time()) - KEEP_DAYS * 86400)
        with self.store.transaction() as c:
            return int(c.execute("DELETE FROM button_keys WHERE used_at < ?", (cutoff,)).rowcount)

    def _key(self) -> bytes:
        if not self._secret:
            found = self.store.rows("SELECT key FROM button_secret WHERE id = 1")
            if not found:
                with self.store.transaction() as c:
                    c.execute(
                        "INSERT INTO button_secret (id, key) VALUES (1, ?) "
                        "ON CONFLICT (id) DO NOTHING",
                        (secrets.token_bytes(32),),
                    )
                found = self.store.rows("SELECT key FROM button_secret WHERE id = 1")
            self._secret = bytes(found[0]["key"])
        return self._secret
