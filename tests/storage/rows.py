"""Counting rows in a store from outside the bot (a connection of its own, either engine)."""

from __future__ import annotations

from pathlib import Path

from bot.storage.engine import Engine


def count(target: str | Path, sql: str = "SELECT count(*) FROM activity") -> int:
    """The single number `sql` selects from the store at `target` (a path or a URL)."""
    engine = Engine(target)
    conn = engine.connect()
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()
        engine.dispose()
