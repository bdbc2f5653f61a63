"""Which community an event acts in, and who a member argument means.

- Every button carries the community it was made in: the core stamps each outgoing callback
  as ``<callback>~c<community>``, and a press acts in that community wherever it happens
  (a DM included), after checking that the presser belongs to it.
- A DM command from a member of several communities acts in the one they chose with `/use`;
  until they choose, the core asks with one button per community and runs the command in the
  one they press. DM replies to such a member name the community they acted in.
- A command waiting for a choice (which community, which of two members with one name) is
  kept in the database, so the choice works after a restart or on another process.
- Platform handles (Telegram username, Discord user name) are kept on `identities.handle`, so
  a member argument can be ``@handle`` as well as a display name or a mention.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.chat_event import ChatEvent
from bot.commands import CommandCall
from bot.replies import Button, Reply

if TYPE_CHECKING:
    from bot.storage.store import Store

PENDING_TTL = 15 * 60  # a command waiting for a choice is kept this long
_STAMP = re.compile(r"^(.*)~c(\d+)$", re.S)

MIGRATIONS: list[list[str]] = [
    [
        "ALTER TABLE identities ADD COLUMN handle TEXT NOT NULL DEFAULT ''",
        """CREATE TABLE dm_choices (
            platform TEXT NOT NULL, user TEXT NOT NULL, community INTEGER NOT NULL,
            PRIMARY KEY (platform, user))""",
        """CREATE TABLE pending_commands (
            platform TEXT NOT NULL, user TEXT NOT NULL, community INTEGER NOT NULL,
            text TEXT NOT NULL, token TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL,
            PRIMARY KEY (platform, user))""",
    ]
]


# -- stamped buttons ----------------------------------------------------------------------


def stamped(callback: str, community: int) -> str:
    """A callback carrying its community (an already stamped one is kept as it is)."""
    return callback if _STAMP.match(callback) else f"{callback}~c{community}"


def unstamp(event: ChatEvent) -> tuple[int | None, ChatEvent]:
    """The community a pressed button was made in (None if unstamped) and the bare event."""
    if event.kind != "button":
        return None, event
    found = _STAMP.match(event.text)
    if found is None:
        return None, event
    return int(found.group(2)), replace(event, text=found.group(1))


def stamp_all(replies: list[Reply], community: int) -> list[Reply]:
    """Stamp every button of these replies with the community they were made in."""
    out = []
    for reply in replies:
        if reply.buttons:
            buttons = tuple(
                replace(b, callback=stamped(b.callback, community)) for b in reply.buttons
            )
            reply = replace(reply, buttons=buttons)
        out.append(reply)
    return out


def name_community(replies: list[Reply], name: str) -> list[Reply]:
    """Say which community the answers to a DM are about (for members of several), unless
    an answer already names it."""
    note = f"({name} · /use switches community)"
    return [
        r
        if r.to is not None or name in r.text or name in (r.title or "")
        else replace(r, text=f"{r.text}\n\n{note}" if r.text else note)
        for r in replies
    ]


# -- the community of a DM ----------------------------------------------------------------


def community_name(store: Store, community: int) -> str:
    return store.community_name(community) or f"community {community}"


def chosen(store: Store, platform: str, user: str) -> int | None:
    value = store.scalar(
        "SELECT community FROM dm_choices WHERE platform = ? AND user = ?", (platform, user)
    )
    return None if value is None else int(value)


def choose(store: Store, platform: str, user: str, community: int) -> None:
    """Remember the community this platform account's DMs act in."""
    with store.transaction() as c:
        c.execute(
            "INSERT INTO dm_choices (platform, user, community) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, user) DO UPDATE SET community = excluded.community",
            (platform, user, community),
        )


def choice_buttons(store: Store, communities: list[int]) -> tuple[Button, ...]:
    """One button per community; each is stamped with its own community, so pressing it acts
    there."""
    return tuple(
        Button(community_name(store, c)[:60], stamped("use:", c), "primary") for c in communities
    )


# -- commands waiting for a choice --------------------------------------------------------


def keep_pending(
    store: Store, event: ChatEvent, call: CommandCall, community: int, token: str, at: int
) -> None:
    """Remember a command until its author picks a community or a member."""
    text = json.dumps(
        {"name": call.name, "sub": call.sub, "values": dict(call.values)}, default=str
    )
    with store.transaction() as c:
        c.execute(
            "INSERT INTO pending_commands (platform, user, community, text, token, at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user) DO UPDATE SET "
            "community = excluded.community, text = excluded.text, token = excluded.token, "
            "at = excluded.at",
            (event.platform, event.user, community, text, token, at),
        )


def take_pending(
    store: Store, platform: str, user: str, community: int | None, now: int
) -> tuple[CommandCall, str] | None:
    """The waiting command (call, member token) of this account, removed; None if none.

    `community` None takes a command waiting for its community, whichever it names.
    """
    row = store.rows(
        "SELECT community, text, token, at FROM pending_commands WHERE platform = ? AND user = ?",
        (platform, user),
    )
    if not row:
        return None
    with store.transaction() as c:
        c.execute("DELETE FROM pending_commands WHERE platform = ? AND user = ?", (platform, user))
    found = row[0]
    if found["at"] + PENDING_TTL < now:
        return None
    if community is not None and found["community"] != community:
        return None
    call = json.loads(found["text"])
    return CommandCall(call["name"], call["sub"], call["values"]), found["token"]


# -- handles ------------------------------------------------------------------------------


def save_handle(store: Store, community: int, event: ChatEvent) -> None:
    with store.transaction() as c:
        c.execute(
            "UPDATE identities SET handle = ? WHERE community = ? AND platform = ? AND user = ?",
            (event.handle, community, event.platform, event.user),
        )


def by_handle(store: Store, community: int, handle: str) -> list[tuple[int, str]]:
    """Members of a community with this platform handle (any platform, case-insensitive)."""
    rows = store.rows(
        "SELECT DISTINCT m.id, m.name FROM identities i JOIN members m ON m.id = i.member "
        "WHERE i.community = ? AND i.handle != '' AND lower(i.handle) = lower(?)",
        (community, handle.lstrip("@")),
    )
    return [(int(r["id"]), r["name"]) for r in rows]


def forget_account(store: Store, community: int, identities: list[tuple[str, str]]) -> None:
    """Drop what this module keeps about a member's accounts in one community."""
    with store.transaction() as c:
        for platform, user in identities:
            for table in ("dm_choices", "pending_commands"):
                c.execute(
                    f"DELETE FROM {table} WHERE platform = ? AND user = ? AND community = ?",
                    (platform, user, community),
                )
