"""Tables and queries of the matching feature: intro requests, blocks, pair history,
follow-ups and outcomes.

A request's stored status is pending, accepted or declined. Expiry is computed from its age
(`EXPIRE_DAYS`), and a decline is shown to the requester as "pending" until then, so a
decline is never revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage.store import Store

EXPIRE_DAYS = 14
DAY = 86400
WEEK = 7 * DAY

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE intro_requests (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL,
            from_member INTEGER NOT NULL, to_member INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending', created_at INTEGER NOT NULL,
            decided_at INTEGER, score REAL, fit_ab REAL, fit_ba REAL)""",
        "CREATE INDEX intro_requests_to ON intro_requests (community, to_member, created_at)",
        "CREATE INDEX intro_requests_from ON intro_requests (community, from_member, created_at)",
        """CREATE TABLE match_blocks (
            community INTEGER NOT NULL, member INTEGER NOT NULL, blocked_member INTEGER NOT NULL,
            at INTEGER NOT NULL, PRIMARY KEY (community, member, blocked_member))""",
        """CREATE TABLE match_history (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, member_a INTEGER NOT NULL,
            member_b INTEGER NOT NULL, ref TEXT NOT NULL, at INTEGER NOT NULL,
            score REAL, fit_ab REAL, fit_ba REAL)""",
        "CREATE INDEX match_history_pair ON match_history (community, at)",
        """CREATE TABLE match_followups (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
            ref TEXT NOT NULL, due_at INTEGER NOT NULL, sent_at INTEGER, answered_at INTEGER,
            answer TEXT, UNIQUE (member, ref))""",
        "CREATE INDEX match_followups_due ON match_followups (sent_at, due_at)",
        """CREATE TABLE match_outcomes (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, member INTEGER NOT NULL,
            other_member INTEGER NOT NULL, ref TEXT NOT NULL, met INTEGER, useful INTEGER,
            fit_ab REAL NOT NULL, fit_ba REAL NOT NULL, sector_overlap REAL NOT NULL,
            stage_fit REAL NOT NULL, activity REAL NOT NULL, created_at INTEGER NOT NULL,
            answered_at INTEGER, UNIQUE (member, other_member, ref))""",
    ]
]


@dataclass(frozen=True, slots=True)
class Request:
    """One intro request."""

    id: int
    community: int
    from_member: int
    to_member: int
    status: str
    created_at: int
    decided_at: int | None
    score: float | None
    fit_ab: float | None
    fit_ba: float | None

    def expired(self, now: int) -> bool:
        return self.status != "accepted" and now >= self.created_at + EXPIRE_DAYS * DAY

    def shown_to_requester(self, now: int) -> str:
        """pending, expired or introduced; a decline looks pending until it expires."""
        if self.status == "accepted":
            return "introduced"
        return "expired" if self.expired(now) else "pending"


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y")


def create_request(
    store: Store, community: int, a: int, b: int, at: int, fits: tuple[float, float, float]
) -> int:
    with store.transaction() as c:
        cur = c.execute(
            "INSERT INTO intro_requests (community, from_member, to_member, status, created_at, "
            "score, fit_ab, fit_ba) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
            (community, a, b, at, *fits),
        )
    return int(cur.lastrowid or 0)


def get_request(store: Store, request_id: int) -> Request | None:
    rows = store.rows("SELECT * FROM intro_requests WHERE id = ?", (request_id,))
    return Request(**rows[0]) if rows else None


def decide(store: Store, request_id: int, status: str, at: int) -> bool:
    """Set a pending request's outcome; False if it was already decided (a second press)."""
    with store.transaction() as c:
        cur = c.execute(
            "UPDATE intro_requests SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
            (status, at, request_id),
        )
    return cur.rowcount == 1


def requests_of(store: Store, community: int, member: int, since: int) -> list[Request]:
    """Requests from or to a member created since `since`, newest first."""
    rows = store.rows(
        "SELECT * FROM intro_requests WHERE community = ? AND (from_member = ? OR to_member = ?) "
        "AND created_at >= ? ORDER BY created_at DESC, id DESC",
        (community, member, member, since),
    )
    return [Request(**r) for r in rows]


def between(store: Store, community: int, a: int, b: int, since: int) -> list[Request]:
    """Requests between two members (either direction) since `since`, newest first."""
    return [r for r in requests_of(store, community, a, since) if b in (r.from_member, r.to_member)]


def incoming_count(store: Store, community: int, member: int, since: int) -> int:
    return int(
        store.scalar(
            "SELECT count(*) FROM intro_requests WHERE community = ? AND to_member = ? "
            "AND created_at >= ?",
            (community, member, since),
        )
    )


def lapse_requests(store: Store, community: int, sender: int, to: int, at: int) -> None:
    """Decline every pending request from `sender` to `to` (after `to` blocked them)."""
    with store.transaction() as c:
        c.execute(
            "UPDATE intro_requests SET status = 'declined', decided_at = ? WHERE community = ? "
            "AND from_member = ? AND to_member = ? AND status = 'pending'",
            (at, community, sender, to),
        )


def blocks(store: Store, community: int, member: int) -> set[int]:
    """Members this member blocked or was blocked by."""
    rows = store.rows(
        "SELECT blocked_member AS other FROM match_blocks WHERE community = ? AND member = ? "
        "UNION SELECT member AS other FROM match_blocks WHERE community = ? AND blocked_member = ?",
        (community, member, community, member),
    )
    return {int(r["other"]) for r in rows}


def blocked_by(store: Store, community: int, member: int, other: int) -> bool:
    """Whether `member` has blocked `other`."""
    return bool(
        store.scalar(
            "SELECT 1 FROM match_blocks WHERE community = ? AND member = ? AND blocked_member = ?",
            (community, member, other),
        )
    )


def set_block(store: Store, community: int, member: int, other: int, on: bool, at: int) -> None:
    with store.transaction() as c:
        if on:
            c.execute(
                "INSERT OR IGNORE INTO match_blocks (community, member, blocked_member, at) "
                "VALUES (?, ?, ?, ?)",
                (community, member, other, at),
            )
        else:
            c.execute(
                "DELETE FROM match_blocks WHERE community = ? AND member = ? AND blocked_member = ?",
                (community, member, other),
            )


def recent_pairs(store: Store, community: int, since: int) -> set[tuple[int, int]]:
    """Pairs (low id, high id) that met, were proposed or asked since `since`, plus blocks."""
    rows = store.rows(
        "SELECT from_member AS a, to_member AS b FROM intro_requests "
        "WHERE community = ? AND created_at >= ? "
        "UNION SELECT member_a, member_b FROM match_history WHERE community = ? AND at >= ? "
        "UNION SELECT member, blocked_member FROM match_blocks WHERE community = ?",
        (community, since, community, since, community),
    )
    return {(min(r["a"], r["b"]), max(r["a"], r["b"])) for r in rows}


def paired_at(store: Store, community: int, a: int, b: int, since: int) -> int | None:
    """When two members were last paired (e.g. by a round) since `since`, if they were."""
    found = store.scalar(
        "SELECT max(at) FROM match_history WHERE community = ? AND at >= ? AND "
        "((member_a = ? AND member_b = ?) OR (member_a = ? AND member_b = ?))",
        (community, since, a, b, b, a),
    )
    return None if found is None else int(found)


def partners_since(store: Store, community: int, member: int, since: int) -> set[int]:
    """Members this member may not be suggested again yet (cooldown, pending, blocks)."""
    return {
        b if a == member else a
        for a, b in recent_pairs(store, community, since)
        if member in (a, b)
    }


def add_history(
    store: Store,
    community: int,
    pairs: list[tuple[int, int, float, float, float]],
    ref: str,
    at: int,
) -> None:
    """Record proposed or made pairs (a, b, score, fit_ab, fit_ba) under a reference."""
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO match_history (community, member_a, member_b, ref, at, score, fit_ab, "
            "fit_ba) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(community, a, b, ref, at, s, fa, fb) for a, b, s, fa, fb in pairs],
        )


def history(store: Store, ref: str) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM match_history WHERE ref = ? ORDER BY id", (ref,))


def outcomes(store: Store, community: int | None = None) -> list[dict[str, Any]]:
    """Answered outcomes (one row per member per partner), oldest first."""
    sql = "SELECT * FROM match_outcomes WHERE answered_at IS NOT NULL"
    if community is None:
        return store.rows(sql + " ORDER BY answered_at, id")
    return store.rows(sql + " AND community = ? ORDER BY answered_at, id", (community,))


def plan_followup(
    store: Store,
    community: int,
    member: int,
    ref: str,
    due_at: int,
    rows: list[tuple[Any, ...]],
) -> None:
    """Record the outcome rows to learn from and one follow-up for `member` under `ref`.

    `rows` are (community, member, other_member, ref, fit_ab, fit_ba, sector_overlap,
    stage_fit, activity, created_at); a pair already planned under `ref` is kept as it was.
    """
    with store.transaction() as c:
        c.executemany(
            "INSERT OR IGNORE INTO match_outcomes (community, member, other_member, ref, fit_ab, "
            "fit_ba, sector_overlap, stage_fit, activity, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        c.execute(
            "INSERT OR IGNORE INTO match_followups (community, member, ref, due_at) "
            "VALUES (?, ?, ?, ?)",
            (community, member, ref, due_at),
        )


def due_followups(store: Store, now: int) -> list[dict[str, Any]]:
    """Follow-ups not sent yet whose time has come, oldest first."""
    return store.rows(
        "SELECT * FROM match_followups WHERE sent_at IS NULL AND due_at <= ? ORDER BY due_at",
        (now,),
    )


def followup_partners(store: Store, member: int, ref: str) -> list[str]:
    """The names of the members `member` was introduced to under `ref`, sorted."""
    rows = store.rows(
        "SELECT m.name FROM match_outcomes o JOIN members m ON m.id = o.other_member "
        "WHERE o.member = ? AND o.ref = ? ORDER BY m.name",
        (member, ref),
    )
    return [r["name"] for r in rows]


def mark_followup_sent(store: Store, followup: int, at: int) -> None:
    with store.transaction() as c:
        c.execute("UPDATE match_followups SET sent_at = ? WHERE id = ?", (at, followup))


def get_followup(store: Store, followup: int) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM match_followups WHERE id = ?", (followup,))
    return rows[0] if rows else None


def answer_followup(
    store: Store, row: dict[str, Any], answer: str, met: int, useful: int, at: int
) -> None:
    """Record a follow-up answer on the follow-up and on its outcome rows."""
    with store.transaction() as c:
        c.execute(
            "UPDATE match_followups SET answered_at = ?, answer = ? WHERE id = ?",
            (at, answer, row["id"]),
        )
        c.execute(
            "UPDATE match_outcomes SET met = ?, useful = ?, answered_at = ? "
            "WHERE member = ? AND ref = ?",
            (met, useful, at, row["member"], row["ref"]),
        )


def funnel_counts(store: Store, community: int | None) -> dict[str, int]:
    """Intro requests by status, plus outcomes planned and answered (for evaluation)."""
    where, params = ("", ()) if community is None else (" WHERE community = ?", (community,))
    counts = {
        r["status"]: int(r["n"])
        for r in store.rows(
            f"SELECT status, count(*) AS n FROM intro_requests{where} GROUP BY status", params
        )
    }
    counts["planned"] = int(
        store.scalar(f"SELECT count(*) FROM match_outcomes{where}", params) or 0
    )
    return counts


def export_matching(store: Store, community: int, member: int) -> dict[str, Any]:
    asked, received = [], []
    for r in requests_of(store, community, member, 0):
        if r.from_member == member:  # a decline is not the requester's to see
            status = "introduced" if r.status == "accepted" else "requested"
            asked.append({"to_member": r.to_member, "status": status,
                          "created_at": day(r.created_at)})  # fmt: skip
        else:
            received.append({"from_member": r.from_member, "status": r.status,
                             "created_at": day(r.created_at)})  # fmt: skip
    where = (community, member, member)
    return {
        "intro_requests_sent": asked,
        "intro_requests_received": received,
        "blocked_members": [
            r["blocked_member"]
            for r in store.rows(
                "SELECT blocked_member FROM match_blocks WHERE community = ? AND member = ?",
                (community, member),
            )
        ],
        "match_history": store.rows(
            "SELECT member_a, member_b, ref, at FROM match_history WHERE community = ? "
            "AND (member_a = ? OR member_b = ?)",
            where,
        ),
        "follow_ups": store.rows(
            "SELECT ref, due_at, sent_at, answered_at, answer FROM match_followups "
            "WHERE community = ? AND member = ?",
            (community, member),
        ),
        # only the member's own answers: the other side's "met, not useful" is theirs
        "outcomes": store.rows(
            "SELECT member, other_member, ref, met, useful, answered_at FROM match_outcomes "
            "WHERE community = ? AND member = ?",
            (community, member),
        ),
    }


def delete_matching(store: Store, community: int, member: int) -> None:
    with store.transaction() as c:
        for sql in (
            "DELETE FROM intro_requests WHERE community = ? AND (from_member = ? OR to_member = ?)",
            "DELETE FROM match_blocks WHERE community = ? AND (member = ? OR blocked_member = ?)",
            "DELETE FROM match_history WHERE community = ? AND (member_a = ? OR member_b = ?)",
            "DELETE FROM match_followups WHERE community = ? AND (member = ? OR member = ?)",
            "DELETE FROM match_outcomes WHERE community = ? AND (member = ? OR other_member = ?)",
        ):
            c.execute(sql, (community, member, member))
