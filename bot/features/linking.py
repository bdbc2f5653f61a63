"""/link: one person's accounts on two platforms become one member of a community.

`/link` on one account gives a one-time code (8 characters, 15 minutes) privately;
`/link CODE` from an account on *another* platform asks that account to confirm with a
button naming the first account, then asks the first account the same. Only when both said
yes are they merged. Two accounts on one platform are never merged: on one platform an
account is a person.

Wrong codes are throttled per member (5 per 10 minutes), counted in the database so a
restart does not reset them. Every link is recorded (`links`), so an admin can undo it with
`/unlink <member>`: the other account becomes a separate member again with its activity.

Every feature declares the columns that hold member ids (`Feature.member_columns`), so the
merge moves all of a member's rows: nothing is lost, and where both accounts have the same
thing (two profiles, two RSVPs) the first account's wins.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.privacy import erase_activity
from bot.replies import Button, Reply, Visibility
from bot.storage import versions
from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("convene.linking")
CODE_TTL = 15 * 60
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are typed by hand
CODE_LENGTH = 8
MAX_FAILURES = 5  # wrong codes per member within FAILURE_WINDOW
FAILURE_WINDOW = 10 * 60
PRIVACY_FLAGS = ("tracking", "matching", "named")
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE link_codes (
                community INTEGER NOT NULL, code TEXT NOT NULL, member INTEGER NOT NULL,
                expires_at INTEGER NOT NULL, PRIMARY KEY (community, code))""",
    ],
    [
        "ALTER TABLE link_codes ADD COLUMN platform TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE link_codes ADD COLUMN claimed_by INTEGER",
        "ALTER TABLE link_codes ADD COLUMN confirmed_at INTEGER",
        """CREATE TABLE link_failures (
                community INTEGER NOT NULL, member INTEGER NOT NULL, at INTEGER NOT NULL)""",
        "CREATE INDEX link_failures_member ON link_failures (community, member, at)",
        """CREATE TABLE links (
                id INTEGER PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
                platform TEXT NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL,
                linked_at INTEGER NOT NULL)""",
    ],
]
MEMBER_COLUMNS = [
    ("link_codes", "member"),
    ("link_codes", "claimed_by"),
    ("link_failures", "member"),
    ("links", "member"),
]


class Linking(Feature, name="linking", migrations=MIGRATIONS, member_columns=MEMBER_COLUMNS):
    """/link and /unlink: accounts on two platforms become one member, and back."""


@Linking.command(
    "link",
    "Make your accounts on two platforms (Discord, Telegram) one member of this community.",
    Arg("code", help="the code /link gave you on your other account", default=None),
    details="Send /link on one account to get a code, then /link CODE from your account on "
    "the other platform; both accounts confirm with a button.",
)
async def link(ctx: Context, args: Args) -> Answer:
    now = int(ctx.now.timestamp())
    code = re.sub(r"[\s-]", "", args["code"] or "").upper()
    if not code:
        return _new_code(ctx, now)
    return _claim(ctx, code, now)


def _when(ctx: Context, ts: int) -> str:
    return f"{datetime.fromtimestamp(ts, ctx.tz):%H:%M} ({ctx.tz.key})"


def _new_code(ctx: Context, now: int) -> Answer:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    with ctx.store.transaction() as c:
        c.execute("DELETE FROM link_codes WHERE expires_at <= ?", (now,))
        c.execute(
            "DELETE FROM link_codes WHERE community = ? AND member = ?", (ctx.community, ctx.member)
        )
        c.execute(
            "INSERT INTO link_codes (community, code, member, expires_at, platform) "
            "VALUES (?, ?, ?, ?, ?)",
            (ctx.community, code, ctx.member, now + CODE_TTL, ctx.event.platform),
        )
    return ctx.private(
        f"Your link code is {code}. It works once, until {_when(ctx, now + CODE_TTL)} "
        f"(15 minutes). Send /link {code} to me from your account on another platform, in "
        "this community's group or privately; both accounts then confirm."
    )


def _code(store: Store, community: int, code: str, now: int) -> dict[str, Any] | None:
    rows = store.rows(
        "SELECT * FROM link_codes WHERE community = ? AND code = ? AND expires_at > ?",
        (community, code, now),
    )
    return rows[0] if rows else None


def _claim(ctx: Context, code: str, now: int) -> Answer:
    failures = ctx.store.rows(
        "SELECT at FROM link_failures WHERE community = ? AND member = ? AND at > ? ORDER BY at",
        (ctx.community, ctx.member, now - FAILURE_WINDOW),
    )
    if len(failures) >= MAX_FAILURES:
        again = failures[-MAX_FAILURES]["at"] + FAILURE_WINDOW
        return ctx.private(
            f"Too many wrong link codes. Try again after {_when(ctx, again)}, or send /link on "
            "your other account for a new code."
        )
    row = _code(ctx.store, ctx.community, code, now)
    if row is None:
        with ctx.store.transaction() as c:
            c.execute("DELETE FROM link_failures WHERE at <= ?", (now - FAILURE_WINDOW,))
            c.execute(
                "INSERT INTO link_failures (community, member, at) VALUES (?, ?, ?)",
                (ctx.community, ctx.member, now),
            )
        return ctx.private(
            f"{code} is not a valid link code here (codes work once, for 15 minutes). "
            "Send /link on your other account for a new one."
        )
    first, platform = int(row["member"]), row["platform"]
    if first == ctx.member:
        return ctx.private(
            "That code is from this same account: send it from your account on another platform."
        )
    if platform == ctx.event.platform:
        return ctx.private(
            f"/link joins accounts on different platforms: this code was made on {platform}, "
            f"and this is {platform} too. Two {platform} accounts stay two members."
        )
    both = {p for p, _ in ctx.store.identities(first)} & {
        p for p, _ in ctx.store.identities(ctx.member)
    }
    if both:
        return ctx.private(
            f"Both members already have a {' and '.join(sorted(both))} account, so they cannot "
            "become one. An admin can undo an earlier link with /unlink."
        )
    with ctx.store.transaction() as c:
        c.execute(
            "UPDATE link_codes SET claimed_by = ?, confirmed_at = NULL "
            "WHERE community = ? AND code = ?",
            (ctx.member, ctx.community, code),
        )
    label = ctx.core.member_label(first)
    return ctx.private(
        f"Make this {ctx.event.platform} account one member with {label}? Only if both "
        f"accounts are yours. After you confirm, I ask the {platform} account to confirm too.",
        buttons=(
            Button(f"Yes, link with {label}"[:60], f"link:yes:{code}", "primary"),
            Button("Cancel", f"link:no:{code}"),
        ),
    )


@Linking.button("link")
async def link_pressed(ctx: Context, payload: str) -> Answer:
    action, _, code = payload.partition(":")
    now = int(ctx.now.timestamp())
    row = _code(ctx.store, ctx.community, code, now)
    if row is None:
        return ctx.private(
            "That link request has expired. Send /link on your other account for a new code."
        )
    first, second = int(row["member"]), row["claimed_by"]
    if ctx.member not in (first, second):
        return ctx.private("That button belongs to someone else.")
    if action == "no":
        with ctx.store.transaction() as c:
            c.execute(
                "DELETE FROM link_codes WHERE community = ? AND code = ?", (ctx.community, code)
            )
        return ctx.private("Nothing was linked.")
    if action == "yes" and ctx.member == second:
        return _ask_first(ctx, row, now)
    if action == "ok" and ctx.member == first and second and row["confirmed_at"]:
        return _merge(ctx, first, int(second), code)
    return ctx.private("That button belongs to the other account.")


def _ask_first(ctx: Context, row: dict[str, Any], now: int) -> Answer:
    with ctx.store.transaction() as c:
        c.execute(
            "UPDATE link_codes SET confirmed_at = ? WHERE community = ? AND code = ?",
            (now, ctx.community, row["code"]),
        )
    first, platform = int(row["member"]), row["platform"]
    target = ctx.core.dm_target(first, prefer=platform)
    if target is None:
        return ctx.private("The account that made this code is gone. Nothing was linked.")
    label = ctx.core.member_label(ctx.member)
    ask = Reply(
        f"{label} on {ctx.event.platform} asks to become one member with this account. "
        "Link them? Only if both accounts are yours.",
        title="Link your accounts?",
        buttons=(
            Button(f"Yes, link with {label}"[:60], f"link:ok:{row['code']}", "primary"),
            Button("No", f"link:no:{row['code']}"),
        ),
        to=target,
        visibility=Visibility.DM,
        community=ctx.community,
    )
    return [
        ctx.private(
            f"Almost done: confirm on your {platform} account; I sent it a private message."
        ),
        ask,
    ]


def _merge(ctx: Context, keep: int, drop: int, code: str) -> Answer:
    now = int(ctx.now.timestamp())
    name = ctx.member_name(drop)
    with ctx.store.transaction() as c:
        c.executemany(
            "INSERT INTO links (community, member, platform, user, name, linked_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(ctx.community, keep, p, u, name, now) for p, u in ctx.store.identities(drop)],
        )
        c.execute("DELETE FROM link_codes WHERE community = ? AND code = ?", (ctx.community, code))
    merge_members(ctx.core, ctx.community, keep, drop)
    log.info("community %s: member %s linked into member %s", ctx.community, drop, keep)
    platforms = sorted({p for p, _ in ctx.store.identities(keep)})
    return ctx.private(
        f"Linked: your {' and '.join(platforms)} accounts are now one member, "
        f"{ctx.member_name(keep)}. Your activity, profile and intros are combined."
    )


def merge_members(core: Core, community: int, keep: int, drop: int) -> None:
    """Move everything of member `drop` to member `keep`, then remove `drop`."""
    store = core.store
    store.flush()
    columns = [col for f in core.features for col in f.member_columns]
    tables = {t for t, _ in columns if _table_exists(store, t)}
    with store.transaction() as c:
        store.bump(c, versions.MEMBERS)  # every process drops its cached `drop`
        for table, column in columns:
            if table in tables:  # identifiers come from feature declarations, not input
                c.execute(f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                          (keep, drop))  # fmt: skip
                c.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (drop,))
        for table in tables:  # rows that now pair the member with themself mean nothing
            pair = [col for t, col in columns if t == table]
            for i, first in enumerate(pair):
                for second in pair[i + 1 :]:
                    c.execute(f'DELETE FROM "{table}" WHERE "{first}" = "{second}"')
        c.execute("UPDATE identities SET member = ? WHERE member = ?", (keep, drop))
        flags = ", ".join(f"{f} = min({f}, (SELECT {f} FROM members WHERE id = :drop))"
                          for f in PRIVACY_FLAGS)  # fmt: skip
        c.execute(
            f"UPDATE members SET {flags}, "
            "first_seen = min(first_seen, (SELECT first_seen FROM members WHERE id = :drop)), "
            "joined_at = min(joined_at, (SELECT joined_at FROM members WHERE id = :drop)) "
            "WHERE id = :keep",
            {"keep": keep, "drop": drop},
        )
        c.execute("DELETE FROM members WHERE id = ?", (drop,))
        versions.mark_changed(c, keep)  # its tracking may have become the other's
    store.forget_cached(community, keep)
    store.forget_cached(community, drop)
    if not store.scalar("SELECT tracking FROM members WHERE id = ?", (keep,)):
        erase_activity(core.features, store, community, keep)  # the more private choice wins


@Linking.command(
    "unlink",
    "Undo a member's last /link: their other account becomes a separate member again.",
    Arg("member", "member", "the linked member"),
    admin=True,
    details="The other account takes its own activity with it; profile, intros and RSVPs "
    "stay with the member.",
)
async def unlink(ctx: Context, args: Args) -> Answer:
    member, name = ctx.find_member(args["member"])
    store = ctx.store
    own = set(store.identities(member))
    links = [
        r
        for r in store.rows(
            "SELECT * FROM links WHERE community = ? AND member = ? ORDER BY linked_at DESC, id DESC",
            (ctx.community, member),
        )
        if (r["platform"], r["user"]) in own
    ]
    if not links or len(own) < 2:
        return ctx.private(f"{name} has no linked account to undo.")
    last = links[0]
    split_member(ctx.core, ctx.community, member, last)
    log.info(
        "community %s: admin member %s undid a link of member %s", ctx.community, ctx.member, member
    )
    return ctx.private(
        f"Unlinked: the {last['platform']} account of {name} is a separate member again, "
        f"{last['name']}, with its {last['platform']} activity. Profile, intros and RSVPs stay "
        f"with {name}."
    )


def split_member(core: Core, community: int, member: int, link: dict[str, Any]) -> int:
    """Give the linked account of `link` back its own member (with its platform's activity)."""
    store = core.store
    store.flush()
    platform, user = link["platform"], link["user"]
    with store.transaction() as c:
        store.bump(c, versions.MEMBERS)
        flags = c.execute(
            "SELECT tracking, matching, named, first_seen, joined_at FROM members WHERE id = ?",
            (member,),
        ).fetchone()
        cur = c.execute(
            "INSERT INTO members (community, name, first_seen, joined_at, tracking, matching, "
            "named) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (community, link["name"], flags[3], flags[4], flags[0], flags[1], flags[2]),
        )
        new = int(cur.lastrowid or 0)
        versions.mark_changed(c, new)  # (SQLite may give it an erased member's id)
        c.execute(
            "UPDATE identities SET member = ? WHERE community = ? AND platform = ? AND user = ?",
            (new, community, platform, user),
        )
        c.execute(
            "UPDATE activity SET member = ? WHERE community = ? AND member = ? AND chat IN "
            "(SELECT id FROM chats WHERE community = ? AND platform = ?)",
            (new, community, member, community, platform),
        )
        c.execute("DELETE FROM links WHERE id = ?", (link["id"],))
        versions.mark_changed(c, member)  # its rows of the other platform moved away
    store.forget_cached(community, member)
    return new


@Linking.exporter
def export_links(store: Store, community: int, member: int) -> dict[str, Any]:
    return {
        "link_codes": store.rows(
            "SELECT code, platform, expires_at, claimed_by, confirmed_at FROM link_codes "
            "WHERE community = ? AND (member = ? OR claimed_by = ?)",
            (community, member, member),
        ),
        "linked_accounts": store.rows(
            "SELECT platform, user, name, linked_at FROM links WHERE community = ? AND member = ?",
            (community, member),
        ),
        "wrong_link_codes": store.rows(
            "SELECT at FROM link_failures WHERE community = ? AND member = ?", (community, member)
        ),
    }


@Linking.deleter
def delete_codes(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        c.execute(
            "DELETE FROM link_codes WHERE community = ? AND (member = ? OR claimed_by = ?)",
            (community, member, member),
        )
        c.execute(
            "DELETE FROM link_failures WHERE community = ? AND member = ?", (community, member)
        )
        c.execute("DELETE FROM links WHERE community = ? AND member = ?", (community, member))


def _table_exists(store: Store, table: str) -> bool:
    return table in store.tables()
