"""Members own their data: /privacy toggles, /export of everything, /forget with confirmation.

Erasure deletes what was derived from the member's data too (cached vectors of their texts,
schedules posting to their DMs), then checkpoints the store: with `secure_delete` on, the
erased bytes leave the database file and its WAL. Admins can erase a member on request
(`/forget <member>`), confirmed with a button and logged without the member's data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot import scope
from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.activity import delete_activity
from bot.replies import Attachment, Button, Reply, Visibility
from bot.storage import versions
from bot.storage.activity import member_texts
from bot.storage.store import Store

log = logging.getLogger("convene.privacy")
REQUEST_TTL = 15 * 60  # an admin's erasure confirmation is valid this long

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE erasure_requests (
                id INTEGER PRIMARY KEY, community INTEGER NOT NULL, admin INTEGER NOT NULL,
                member INTEGER NOT NULL, at INTEGER NOT NULL)""",
        """CREATE TABLE erasure_log (
                id INTEGER PRIMARY KEY, community INTEGER NOT NULL, at INTEGER NOT NULL,
                by_member INTEGER, on_request INTEGER NOT NULL)""",
    ]
]
MEMBER_COLUMNS = [
    ("erasure_requests", "admin"),
    ("erasure_requests", "member"),
    ("erasure_log", "by_member"),
]


class Privacy(Feature, name="privacy", migrations=MIGRATIONS, member_columns=MEMBER_COLUMNS):
    """/privacy, /export and /forget over every feature's exporters and deleters."""


SETTINGS = {
    "tracking": "log my activity (messages, joins, reactions)",
    "matching": "suggest me to other members for intros",
    "named": "name me in digests, leaderboards and stats",
}


@Privacy.command(
    "privacy",
    "Show or change what Convene does with your data.",
    Arg("setting", help="which setting", default=None, choices=tuple(SETTINGS)),
    Arg("value", help="on or off", default=None, choices=("on", "off")),
)
async def privacy(ctx: Context, args: Args) -> Answer:
    info = ctx.store.member_info(ctx.member) or {}
    setting, value = args["setting"], args["value"]
    where = scope.community_name(ctx.store, ctx.community)
    if setting and value:
        on = value == "on"
        ctx.store.set_member(ctx.member, **{setting: int(on)})
        if setting == "tracking" and not on:
            erase_activity(ctx.core.features, ctx.store, ctx.community, ctx.member)
        ctx.store.forget_cached(ctx.community, ctx.member)
        info[setting] = int(on)
        note = {
            ("tracking", False): f"Your activity in {where} is no longer logged, and what was "
            "logged is deleted. Only this choice itself is kept.",
            ("tracking", True): f"Your activity in {where} is logged again from now on.",
        }.get((setting, on), f"{setting} is now {value} in {where}.")
        return ctx.private(note)
    if setting and not value:
        state = "on" if info.get(setting, 1) else "off"
        return ctx.private(
            f"{setting} is {state} in {where} (on means: {SETTINGS[setting]}). "
            f"Change it with /privacy {setting} on|off."
        )
    fields = tuple(
        (f"{key}: {'on' if info.get(key, 1) else 'off'}", desc) for key, desc in SETTINGS.items()
    )
    return ctx.private(
        "Change one with /privacy <setting> on|off. /export sends you everything stored "
        "about you; /forget deletes it.",
        title=f"Your privacy settings in {where}",
        fields=fields,
    )


def export_member(ctx: Context) -> dict[str, Any]:
    """Everything every feature stores about the member, as one JSON-ready dict."""
    return member_export(ctx.core.features, ctx.store, ctx.community, ctx.member, ctx.now)


def member_export(
    features: list[Feature], store: Store, community: int, member: int, now: datetime
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exported_at": now.astimezone(UTC).isoformat(),
        "community": store.community_name(community),
    }
    for f in features:
        for exporter in f.exporters:
            data.update(exporter(store, community, member))
    return data


@Privacy.command(
    "export", "Get everything Convene stores about you, as a JSON file (sent privately)."
)
async def export(ctx: Context, args: Args) -> Answer:
    data = json.dumps(export_member(ctx), indent=2, ensure_ascii=False, default=str)
    where = scope.community_name(ctx.store, ctx.community)
    return Reply(
        f"Here is everything Convene stores about you in {where}.",
        attachment=Attachment("convene-export.json", data.encode(), description="your data"),
        visibility=Visibility.DM,
    )


@Privacy.command(
    "forget",
    "Delete everything Convene stores about you in this community.",
    Arg("member", "member", "admins: erase this member on their request", default=None),
    details="Asks first. Admins can erase another member who asked for it (for example one "
    "who left the group): /forget <member>.",
)
async def forget(ctx: Context, args: Args) -> Answer:
    where = scope.community_name(ctx.store, ctx.community)
    if args["member"]:
        member, name = ctx.find_member(args["member"])
        if member != ctx.member:
            return _ask_admin(ctx, member, name, where)
    return ctx.private(
        f"This deletes your profile, activity, intros and settings in {where}. "
        "It cannot be undone. Are you sure?",
        buttons=(
            Button("Yes, delete everything", f"forget:yes:{ctx.member}", "danger"),
            Button("Cancel", f"forget:no:{ctx.member}"),
        ),
    )


def _ask_admin(ctx: Context, member: int, name: str, where: str) -> Answer:
    if not ctx.is_admin:
        return ctx.private("Only admins can erase another member's data.")
    now = int(ctx.now.timestamp())
    with ctx.store.transaction() as c:
        c.execute("DELETE FROM erasure_requests WHERE at <= ?", (now - REQUEST_TTL,))
        cur = c.execute(
            "INSERT INTO erasure_requests (community, admin, member, at) VALUES (?, ?, ?, ?)",
            (ctx.community, ctx.member, member, now),
        )
    request = cur.lastrowid
    return ctx.private(
        f"This deletes everything Convene stores about {name} in {where}: profile, activity, "
        "intros and settings. Do this only when they asked for it. It cannot be undone.",
        buttons=(
            Button(f"Yes, erase {name}"[:60], f"forget:admin:{request}", "danger"),
            Button("Cancel", f"forget:drop:{request}"),
        ),
    )


@Privacy.button("forget")
async def forget_pressed(ctx: Context, payload: str) -> Answer:
    choice, _, ref = payload.partition(":")
    if choice in ("admin", "drop"):
        return _admin_pressed(ctx, choice, ref)
    if ref != str(ctx.member):
        return ctx.private("That button belongs to someone else.")
    if choice != "yes":
        return ctx.private("Nothing was deleted.")
    where = scope.community_name(ctx.store, ctx.community)
    forget_member(ctx.store, ctx.core.features, ctx.community, ctx.member)
    return ctx.private(f"Done: everything about you in {where} is deleted.")


def _admin_pressed(ctx: Context, choice: str, ref: str) -> Answer:
    now = int(ctx.now.timestamp())
    rows = ctx.store.rows(
        "SELECT member FROM erasure_requests WHERE id = ? AND community = ? AND admin = ? "
        "AND at > ?",
        (int(ref) if ref.isdigit() else -1, ctx.community, ctx.member, now - REQUEST_TTL),
    )
    if not rows:
        return ctx.private("That button has expired or belongs to someone else.")
    with ctx.store.transaction() as c:
        c.execute("DELETE FROM erasure_requests WHERE id = ?", (int(ref),))
    if choice == "drop":
        return ctx.private("Nothing was deleted.")
    member = int(rows[0]["member"])
    name = ctx.member_name(member)
    forget_member(ctx.store, ctx.core.features, ctx.community, member)
    with ctx.store.transaction() as c:
        c.execute(
            "INSERT INTO erasure_log (community, at, by_member, on_request) VALUES (?, ?, ?, 1)",
            (ctx.community, now, ctx.member),
        )
    log.info("community %s: admin member %s erased a member on request", ctx.community, ctx.member)
    where = scope.community_name(ctx.store, ctx.community)
    return ctx.private(f"Done: everything about {name} in {where} is deleted. This was logged.")


def erase_derived(store: Store, features: list[Feature], community: int, member: int) -> None:
    """Let every feature erase what it derived from the member's texts (before they go)."""
    texts = member_texts(store, community, member)
    if texts:
        for f in features:
            f.erase_texts(community, texts)


def erase_activity(features: list[Feature], store: Store, community: int, member: int) -> None:
    """Delete a member's activity and everything derived from it, then checkpoint."""
    erase_derived(store, features, community, member)
    delete_activity(store, community, member)
    _checkpoint(store, community)


def _checkpoint(store: Store, community: int) -> None:
    if not store.checkpoint():
        log.warning("erasure in community %s: a reader kept the WAL; it empties later", community)


def forget_member(store: Store, features: list[Feature], community: int, member: int) -> None:
    """Run every feature's `erase_texts` and deleters, remove the member and their identities,
    then checkpoint so the erased bytes leave the database file and its WAL.

    Tracking stops first, so no process records the member while their data goes (the
    writer drops rows of untracked members), and every process forgets them at the end."""
    identities = store.identities(member)
    store.set_member(member, tracking=0)
    erase_derived(store, features, community, member)
    for f in features:
        for deleter in f.deleters:
            deleter(store, community, member)
    store.forget_cached(community, member)
    scope.forget_account(store, community, identities)
    with store.transaction() as c:
        store.bump(c, versions.MEMBERS)
        c.execute("DELETE FROM identities WHERE member = ?", (member,))
        c.execute("DELETE FROM members WHERE id = ?", (member,))
    _checkpoint(store, community)


@Privacy.exporter
def export_identity(store: Store, community: int, member: int) -> dict[str, Any]:
    info = store.member_info(member) or {}
    for key in ("first_seen", "joined_at", "last_seen"):
        if info.get(key):
            info[key] = datetime.fromtimestamp(info[key], UTC).isoformat()
    handles = dict(
        (f"{r['platform']}:{r['user']}", r["handle"])
        for r in store.rows(
            "SELECT platform, user, handle FROM identities WHERE member = ?", (member,)
        )
    )
    return {
        "member": info,
        "identities": [
            {"platform": p, "user": u, "handle": handles.get(f"{p}:{u}", "")}
            for p, u in store.identities(member)
        ],
        "private_messages_act_here": [
            {"platform": r["platform"], "user": r["user"]}
            for r in store.rows(
                "SELECT d.platform, d.user FROM dm_choices d JOIN identities i "
                "ON i.platform = d.platform AND i.user = d.user AND i.community = d.community "
                "WHERE i.member = ?",
                (member,),
            )
        ],
        "erasures_done": store.rows(
            "SELECT at, on_request FROM erasure_log WHERE community = ? AND by_member = ?",
            (community, member),
        ),
    }


@Privacy.deleter
def delete_requests(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        c.execute(
            "DELETE FROM erasure_requests WHERE community = ? AND (admin = ? OR member = ?)",
            (community, member, member),
        )
        c.execute(
            "UPDATE erasure_log SET by_member = NULL WHERE community = ? AND by_member = ?",
            (community, member),
        )
