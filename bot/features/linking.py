"""/link: one person's Discord and Telegram accounts become one member of a community.

`/link` gives a one-time code privately; `/link CODE` from the other account merges that
account into the first. Every feature declares the columns that hold member ids
(`Feature.member_columns`), so the merge moves all of a member's rows: nothing is lost, and
where both accounts have the same thing (two profiles, two RSVPs) the first account's wins.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.activity import delete_activity
from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.core import Core

CODE_TTL = 15 * 60
PRIVACY_FLAGS = ("tracking", "matching", "named")
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE link_codes (
            community INTEGER NOT NULL, code TEXT NOT NULL, member INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, PRIMARY KEY (community, code))""",
    ]
]


class Linking(
    Feature, name="linking", migrations=MIGRATIONS, member_columns=[("link_codes", "member")]
):
    """/link: one-time codes that merge two accounts into one member."""


@Linking.command(
    "link",
    "Link your Discord and Telegram accounts into one member of this community.",
    Arg("code", help="the code /link gave you on your other account", default=None),
    details="Send /link on one account to get a code, then /link CODE from the other.",
)
async def link(ctx: Context, args: Args) -> Answer:
    now = int(ctx.now.timestamp())
    code = (args["code"] or "").strip().upper()
    if not code:
        code = secrets.token_hex(3).upper()
        with ctx.store.transaction() as c:
            c.execute("DELETE FROM link_codes WHERE expires_at <= ?", (now,))
            c.execute(
                "INSERT INTO link_codes (community, code, member, expires_at) VALUES (?, ?, ?, ?)",
                (ctx.community, code, ctx.member, now + CODE_TTL),
            )
        return ctx.private(
            f"Your link code is {code}. Within 15 minutes, send /link {code} to me from your "
            "other account (in this community's group, or privately)."
        )
    keep = ctx.store.scalar(
        "SELECT member FROM link_codes WHERE community = ? AND code = ? AND expires_at > ?",
        (ctx.community, code, now),
    )
    if keep is None:
        return ctx.private(
            f"{code} is not a valid link code here (they last 15 minutes). "
            "Send /link on your other account for a new one."
        )
    if keep == ctx.member:
        return ctx.private("That code is from this same account: send it from the other one.")
    merge_members(ctx.core, ctx.community, int(keep), ctx.member)
    platforms = sorted({p for p, _ in ctx.store.identities(int(keep))})
    return ctx.private(
        f"Linked: your {' and '.join(platforms)} accounts are now one member, "
        f"{ctx.member_name(int(keep))}. Your activity, profile and intros are combined."
    )


def merge_members(core: Core, community: int, keep: int, drop: int) -> None:
    """Move everything of member `drop` to member `keep`, then remove `drop`."""
    store = core.store
    store.flush()
    columns = [col for f in core.features for col in f.member_columns]
    tables = {t for t, _ in columns if _table_exists(store, t)}
    with store.transaction() as c:
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
    store.forget_cached(community, keep)
    store.forget_cached(community, drop)
    if not store.scalar("SELECT tracking FROM members WHERE id = ?", (keep,)):
        delete_activity(store, community, keep)  # the more private choice wins


@Linking.deleter
def delete_codes(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM link_codes WHERE community = ? AND member = ?", (community, member))


def _table_exists(store: Store, table: str) -> bool:
    return table in store.tables()
