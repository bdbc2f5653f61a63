"""Access to the dashboard: signed single-use login links and the sessions they open.

A link carries (community, member, nonce, expiry) signed with HMAC-SHA256 under a secret
kept in the database; it opens once, within `LINK_TTL`. The session it opens is a random
id in an HttpOnly cookie (only its SHA-256 is stored), bound to one community and one
admin, for at most `SESSION_TTL`, and ended as soon as the admin is seen without admin
rights. Member 0 is the operator who holds the database file (`convene dashboard`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.dashboard import store as ds

if TYPE_CHECKING:
    from bot.storage.store import Store

LINK_TTL = 10 * 60
SESSION_TTL = 12 * 3600
OPERATOR = 0  # the member id of a session opened from the command line


@dataclass(frozen=True, slots=True)
class Session:
    """An open dashboard session: whose, where, and its CSRF token."""

    community: int
    member: int
    csrf: str


def _sign(key: bytes, message: str) -> str:
    mac = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_link_token(store: Store, community: int, member: int, now: int) -> str:
    """A new single-use login token for this admin of this community."""
    nonce = secrets.token_urlsafe(16)
    expires = now + LINK_TTL
    ds.add_link(store, nonce, community, member, expires)
    body = f"{community}.{member}.{nonce}.{expires}"
    return f"{body}.{_sign(ds.secret(store), 'link:' + body)}"


def open_link(store: Store, token: str, now: int) -> tuple[int, int] | None:
    """(community, member) of a valid, unexpired, unused link, now marked used; else None."""
    parts = token.split(".")
    if len(parts) != 5:
        return None
    community, member, nonce, expires, signature = parts
    body = ".".join(parts[:4])
    if not hmac.compare_digest(signature, _sign(ds.secret(store), "link:" + body)):
        return None
    if not (community.isdigit() and member.isdigit() and expires.isdigit()):
        return None
    if int(expires) <= now:
        return None
    if not ds.use_link(store, nonce, int(community), int(member), now):
        return None
    if int(member) != OPERATOR and not ds.is_admin(store, int(community), int(member)):
        return None
    return int(community), int(member)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(store: Store, community: int, member: int, now: int) -> str:
    """Open a session; returns the cookie value (never stored as such)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    ds.add_session(store, _digest(session_id), community, member, csrf, now, now + SESSION_TTL)
    return session_id


def find_session(store: Store, session_id: str, now: int) -> Session | None:
    """The live session behind a cookie value; None once expired or the admin lost rights."""
    if not session_id:
        return None
    found = ds.session(store, _digest(session_id), now)
    if found is None:
        return None
    community, member, csrf = found
    if member != OPERATOR and not ds.is_admin(store, community, member):
        ds.end_session(store, _digest(session_id))
        return None
    return Session(community, member, csrf)


def end_session(store: Store, session_id: str) -> None:
    ds.end_session(store, _digest(session_id))


def csrf_ok(session: Session, token: str) -> bool:
    return hmac.compare_digest(session.csrf, token or "")
