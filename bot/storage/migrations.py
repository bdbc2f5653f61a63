"""The core tables' forward-only migrations. Append a new list; never edit a released one.

Features keep their own lists beside their code (``MIGRATIONS`` in the feature module).
"""

from __future__ import annotations

CORE_MIGRATIONS: list[list[str]] = [
    # 1: communities, spaces, chats, members, identities, activity, settings, vectors
    [
        """CREATE TABLE communities (
            id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            created_at INTEGER NOT NULL)""",
        """CREATE TABLE spaces (
            platform TEXT NOT NULL, space TEXT NOT NULL,
            community INTEGER NOT NULL REFERENCES communities(id),
            PRIMARY KEY (platform, space))""",
        """CREATE TABLE chats (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL REFERENCES communities(id),
            platform TEXT NOT NULL, ref TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
            UNIQUE (community, platform, ref))""",
        """CREATE TABLE members (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL REFERENCES communities(id),
            name TEXT NOT NULL, first_seen INTEGER NOT NULL, joined_at INTEGER NOT NULL,
            last_seen INTEGER, tracking INTEGER NOT NULL DEFAULT 1,
            matching INTEGER NOT NULL DEFAULT 1, named INTEGER NOT NULL DEFAULT 1)""",
        "CREATE INDEX members_community ON members (community, name)",
        """CREATE TABLE identities (
            community INTEGER NOT NULL, platform TEXT NOT NULL, user TEXT NOT NULL,
            member INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            PRIMARY KEY (community, platform, user))""",
        "CREATE INDEX identities_member ON identities (member)",
        """CREATE TABLE activity (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
            chat INTEGER NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL,
            length INTEGER NOT NULL DEFAULT 0, text TEXT)""",
        "CREATE INDEX activity_time ON activity (community, at)",
        "CREATE INDEX activity_member ON activity (member, at)",
        """CREATE TABLE settings (
            community INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (community, key))""",
        """CREATE TABLE vectors (
            model TEXT NOT NULL, hash TEXT NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (model, hash)) WITHOUT ROWID""",
    ],
]
