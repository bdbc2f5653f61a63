"""Held deliveries: private messages kept for a member the bot may not write to yet.

Telegram lets a bot write privately only to someone who pressed Start in its chat. A
message to a member who never did (an intro request, a round pairing, an event reminder) is
kept here and handed over when that member opens the chat, or dropped when it expires. The
adapter decides when a platform refuses; this module only keeps the messages.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from bot.feature import Feature
from bot.replies import Attachment, Button, Reply, Target, Visibility
from bot.storage.store import Store

DAY = 24 * 3600
HOLD_DAYS = 14  # as long as an intro request stays open
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE held_deliveries (
            id INTEGER PRIMARY KEY, platform TEXT NOT NULL, user TEXT NOT NULL,
            from_member INTEGER, reply TEXT NOT NULL,
            created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)""",
        "CREATE INDEX held_for ON held_deliveries (platform, user)",
    ]
]


class Outbox(
    Feature,
    name="outbox",
    migrations=MIGRATIONS,
    member_columns=[("held_deliveries", "from_member")],
):
    """The held-deliveries table and its part of the privacy contract (no commands)."""


def reply_json(reply: Reply) -> str:
    """A reply as JSON (an attachment's bytes as base64)."""
    data: dict[str, Any] = {
        "text": reply.text,
        "title": reply.title,
        "fields": [list(f) for f in reply.fields],
        "buttons": [[b.label, b.callback, b.style] for b in reply.buttons],
        "visibility": reply.visibility.value,
    }
    if reply.to is not None:
        to = reply.to
        data["to"] = {
            "platform": to.platform,
            "chat": to.chat,
            "thread": to.thread,
            "user": to.user,
        }
    if reply.attachment is not None:
        a = reply.attachment
        data["attachment"] = {
            "filename": a.filename,
            "data": base64.b64encode(a.data).decode(),
            "is_image": a.is_image,
            "description": a.description,
        }
    return json.dumps(data, ensure_ascii=False)


def reply_from_json(text: str) -> Reply:
    data = json.loads(text)
    attachment = data.get("attachment")
    return Reply(
        data["text"],
        title=data["title"],
        fields=tuple((str(k), str(v)) for k, v in data["fields"]),
        buttons=tuple(Button(*b) for b in data["buttons"]),
        attachment=Attachment(
            attachment["filename"],
            base64.b64decode(attachment["data"]),
            attachment["is_image"],
            attachment["description"],
        )
        if attachment
        else None,
        visibility=Visibility(data["visibility"]),
        to=Target(**data["to"]) if data.get("to") else None,
    )


def hold(
    store: Store,
    platform: str,
    user: str,
    reply: Reply,
    now: int,
    *,
    from_member: int | None = None,
    days: int = HOLD_DAYS,
) -> None:
    """Keep `reply` for `user` on `platform` until they open a chat, for at most `days`."""
    with store.transaction() as c:
        c.execute("DELETE FROM held_deliveries WHERE expires_at <= ?", (now,))
        c.execute(
            "INSERT INTO held_deliveries (platform, user, from_member, reply, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (platform, user, from_member, reply_json(reply), now, now + days * DAY),
        )


def held(store: Store, platform: str, user: str, now: int) -> list[tuple[int, Reply]]:
    """The replies still waiting for `user`, oldest first, with their ids (for `delivered`)."""
    rows = store.rows(
        "SELECT id, reply FROM held_deliveries WHERE platform = ? AND user = ? "
        "AND expires_at > ? ORDER BY id",
        (platform, user, now),
    )
    return [(int(r["id"]), reply_from_json(r["reply"])) for r in rows]


def delivered(store: Store, held_id: int) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM held_deliveries WHERE id = ?", (held_id,))


@Outbox.exporter
def _export(store: Store, community: int, member: int) -> dict[str, Any]:
    waiting = []
    for platform, user in store.identities(member):
        rows = store.rows(
            "SELECT reply, created_at FROM held_deliveries WHERE platform = ? AND user = ?",
            (platform, user),
        )
        waiting += [{"created_at": r["created_at"], **json.loads(r["reply"])} for r in rows]
    return {"held_messages": waiting}


@Outbox.deleter
def _delete(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        for platform, user in store.identities(member):
            c.execute(
                "DELETE FROM held_deliveries WHERE platform = ? AND user = ?", (platform, user)
            )
        c.execute("DELETE FROM held_deliveries WHERE from_member = ?", (member,))
