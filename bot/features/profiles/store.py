"""The profiles table: one matching profile per (community, member), and its privacy hooks."""

from __future__ import annotations

import json
from typing import Any

from bot.storage import versions
from bot.storage.store import Store
from models.embedder import text_hash
from models.matching.profile import Profile
from models.matching.reading_profile import profile_texts

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE profiles (
            community INTEGER NOT NULL, member INTEGER NOT NULL,
            roles TEXT NOT NULL DEFAULT '[]', headline TEXT NOT NULL DEFAULT '',
            offers TEXT NOT NULL DEFAULT '', seeks TEXT NOT NULL DEFAULT '',
            sectors TEXT NOT NULL DEFAULT '[]', tags TEXT NOT NULL DEFAULT '[]',
            stage TEXT, region TEXT, check_min INTEGER, check_max INTEGER,
            links TEXT NOT NULL DEFAULT '[]', visible INTEGER NOT NULL DEFAULT 1,
            updated_at INTEGER NOT NULL, PRIMARY KEY (community, member))""",
    ],
    [
        "ALTER TABLE profiles ADD COLUMN serves TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE profiles ADD COLUMN excludes TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE profiles ADD COLUMN portfolio TEXT NOT NULL DEFAULT ''",
    ],
]
_SELECT = (
    "SELECT p.*, m.name AS name, m.matching AS matching FROM profiles p "
    "JOIN members m ON m.id = p.member WHERE p.community = ?"
)


def _profile(row: dict[str, Any], *, for_matching: bool = False) -> Profile:
    visible = bool(row["visible"]) and (bool(row["matching"]) or not for_matching)
    return Profile(
        member=int(row["member"]),
        name=row["name"],
        roles=frozenset(json.loads(row["roles"])),
        headline=row["headline"],
        offers=row["offers"],
        seeks=row["seeks"],
        sectors=frozenset(json.loads(row["sectors"])),
        tags=frozenset(json.loads(row["tags"])),
        stage=row["stage"],
        region=row["region"],
        serves=tuple(json.loads(row["serves"])),
        excludes=row["excludes"],
        portfolio=row["portfolio"],
        check_min=row["check_min"],
        check_max=row["check_max"],
        links=tuple(json.loads(row["links"])),
        visible=visible,
    )


def load_profile(store: Store, community: int, member: int) -> Profile | None:
    """A member's profile as they wrote it, or None."""
    rows = store.rows(_SELECT + " AND p.member = ?", (community, member))
    return _profile(rows[0]) if rows else None


def load_profiles(store: Store, community: int) -> list[Profile]:
    """Every profile of a community as the matcher should see it.

    A member who turned matching off in /privacy counts as invisible.
    """
    rows = store.rows(_SELECT + " ORDER BY p.member", (community,))
    return [_profile(r, for_matching=True) for r in rows]


def profiles_signature(store: Store, community: int) -> tuple[object, ...]:
    """A cheap summary of a community's profiles and opt-outs: any change changes it, in
    this process or another (the profiles and members counters of `bot.storage.versions`
    move with every save, deletion, opt-out, erasure and link, even within one second)."""
    row = store.conn.execute(
        "SELECT count(*), total(p.updated_at), total(p.member * m.matching), "
        "total(p.member * p.visible), total(p.member) FROM profiles p "
        "JOIN members m ON m.id = p.member WHERE p.community = ?",
        (community,),
    ).fetchone()
    counters = versions.read_all(store.conn)
    return (*row, counters.get(versions.PROFILES), counters.get(versions.MEMBERS))


def profiled_members(store: Store, community: int) -> set[int]:
    """The members of a community who have a profile (visible or not)."""
    rows = store.rows("SELECT member FROM profiles WHERE community = ?", (community,))
    return {int(r["member"]) for r in rows}


def profile_hashes(p: Profile) -> list[str]:
    return [text_hash(t) for t in profile_texts(p)]


def save_profile(store: Store, community: int, p: Profile, at: int) -> None:
    """Insert or replace a profile; cached vectors of texts it no longer has are deleted."""
    old = load_profile(store, community, p.member)
    values = (
        community,
        p.member,
        json.dumps(sorted(p.roles)),
        p.headline,
        p.offers,
        p.seeks,
        json.dumps(sorted(p.sectors)),
        json.dumps(sorted(p.tags)),
        p.stage,
        p.region,
        json.dumps(list(p.serves)),
        p.excludes,
        p.portfolio,
        p.check_min,
        p.check_max,
        json.dumps(list(p.links)),
        int(p.visible),
        at,
    )
    with store.transaction() as c:
        store.bump(c, versions.PROFILES)
        c.execute(
            "INSERT INTO profiles (community, member, roles, headline, offers, seeks, "
            "sectors, tags, stage, region, serves, excludes, portfolio, check_min, check_max, "
            "links, visible, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (community, member) DO UPDATE SET roles = excluded.roles, "
            "headline = excluded.headline, offers = excluded.offers, seeks = excluded.seeks, "
            "sectors = excluded.sectors, tags = excluded.tags, stage = excluded.stage, "
            "region = excluded.region, serves = excluded.serves, excludes = excluded.excludes, "
            "portfolio = excluded.portfolio, check_min = excluded.check_min, "
            "check_max = excluded.check_max, links = excluded.links, visible = excluded.visible, "
            "updated_at = excluded.updated_at",
            values,
        )
    if old is not None:
        stale = set(profile_hashes(old)) - set(profile_hashes(p))
        if stale:
            store.delete_vectors(sorted(stale))


def export_profile(store: Store, community: int, member: int) -> dict[str, Any]:
    p = load_profile(store, community, member)
    if p is None:
        return {"profile": None}
    data = {
        "roles": sorted(p.roles),
        "headline": p.headline,
        "offers": p.offers,
        "seeks": p.seeks,
        "sectors": sorted(p.sectors),
        "tags": sorted(p.tags),
        "stage": p.stage,
        "based_in": p.region,
        "serves": list(p.serves),
        "excludes": p.excludes,
        "portfolio": p.portfolio,
        "check_min_k": p.check_min,
        "check_max_k": p.check_max,
        "links": list(p.links),
        "visible": p.visible,
    }
    return {"profile": data}


def delete_profile(store: Store, community: int, member: int) -> None:
    p = load_profile(store, community, member)
    if p is not None:
        store.delete_vectors(profile_hashes(p))
    with store.transaction() as c:
        store.bump(c, versions.PROFILES)
        c.execute("DELETE FROM profiles WHERE community = ? AND member = ?", (community, member))
