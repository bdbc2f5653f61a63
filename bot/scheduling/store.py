"""The scheduler's tables: `schedules` (the source of truth) and `scheduled_runs` (the ledger).

`scheduled_runs` has one row per (community, kind, target, period) ever started: 'sending'
when claimed (before anything is posted), then 'sent' or 'failed' — or 'interrupted' once
the admins were told that a crash cut it short. For digests it is the
record of every digest posted, so none goes out twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger

from bot.replies import Target
from bot.scheduling.spec import parse_spec

if TYPE_CHECKING:
    from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE schedules (
            id INTEGER PRIMARY KEY, community INTEGER NOT NULL, kind TEXT NOT NULL,
            target TEXT NOT NULL, spec TEXT NOT NULL, timezone TEXT NOT NULL,
            created_by INTEGER, created_at INTEGER NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0, UNIQUE (community, kind))""",
        """CREATE TABLE scheduled_runs (
            community INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
            period TEXT NOT NULL, status TEXT NOT NULL, claimed_at INTEGER NOT NULL,
            finished_at INTEGER, PRIMARY KEY (community, kind, target, period))""",
    ]
]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One schedule; `due` is set on the copy handed to a runner (the fire time, UTC)."""

    id: int
    community: int
    kind: str
    target: Target
    spec: str
    timezone: str
    created_by: int | None
    created_at: int
    paused: bool
    due: datetime | None = None

    @property
    def trigger(self) -> BaseTrigger:
        return parse_spec(self.spec, self.timezone)


def target_json(target: Target) -> str:
    """A Target as stable JSON (the same target always gives the same text)."""
    fields = {"platform": target.platform, "chat": target.chat, "thread": target.thread}
    return json.dumps({**fields, "user": target.user}, sort_keys=True)


def _row(r: dict[str, Any]) -> ScheduleRow:
    return ScheduleRow(
        id=int(r["id"]), community=int(r["community"]), kind=r["kind"],
        target=Target(**json.loads(r["target"])), spec=r["spec"], timezone=r["timezone"],
        created_by=r["created_by"], created_at=int(r["created_at"]), paused=bool(r["paused"]),
    )  # fmt: skip


def load_schedules(store: Store, kind: str | None = None) -> list[ScheduleRow]:
    sql, params = "SELECT * FROM schedules", ()
    if kind is not None:
        sql, params = sql + " WHERE kind = ?", (kind,)
    return [_row(r) for r in store.rows(sql + " ORDER BY id", params)]


def load_schedule(store: Store, community: int, kind: str) -> ScheduleRow | None:
    rows = store.rows("SELECT * FROM schedules WHERE community = ? AND kind = ?", (community, kind))
    return _row(rows[0]) if rows else None


def save_schedule(
    store: Store, community: int, kind: str, spec: str, tz: str, target: Target,
    created_by: int | None, now: int,
) -> ScheduleRow:  # fmt: skip
    """Create or replace the community's schedule of `kind` (unpaused)."""
    with store.transaction() as c:
        c.execute(
            "INSERT INTO schedules (community, kind, target, spec, timezone, created_by, "
            "created_at, paused) VALUES (?, ?, ?, ?, ?, ?, ?, 0) "
            "ON CONFLICT (community, kind) DO UPDATE SET target = excluded.target, "
            "spec = excluded.spec, timezone = excluded.timezone, paused = 0, "
            "created_by = excluded.created_by, created_at = excluded.created_at",
            (community, kind, target_json(target), spec, tz, created_by, now),
        )
    row = load_schedule(store, community, kind)
    assert row is not None
    return row


def delete_schedule(store: Store, schedule_id: int) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))


def move_chat(store: Store, platform: str, old: str, new: str) -> None:
    """Schedules (and their ledger) posting to chat `old` post to `new` from now on."""
    rows = store.rows(
        "SELECT DISTINCT target FROM schedules UNION SELECT DISTINCT target FROM scheduled_runs"
    )
    with store.transaction() as c:
        for r in rows:
            target = Target(**json.loads(r["target"]))
            if target.platform != platform or target.chat != old:
                continue
            moved = target_json(Target(platform, new, target.thread, target.user))
            c.execute("UPDATE schedules SET target = ? WHERE target = ?", (moved, r["target"]))
            store.engine.move_value(c, "scheduled_runs", "target", r["target"], moved)


def _key(row: ScheduleRow, due: datetime) -> tuple[int, str, str, str]:
    return (row.community, row.kind, target_json(row.target), due.isoformat())


def claim(store: Store, row: ScheduleRow, due: datetime, now: int) -> bool:
    """Atomically claim a run; False if it was claimed before (by anyone, ever)."""
    with store.transaction() as c:
        cur = c.execute(
            "INSERT OR IGNORE INTO scheduled_runs (community, kind, target, period, status, "
            "claimed_at) VALUES (?, ?, ?, ?, 'sending', ?)",
            (*_key(row, due), now),
        )
    return cur.rowcount == 1


def finish(store: Store, row: ScheduleRow, status: str | None, now: int) -> None:
    """Record how a claimed run ended; None releases the claim (nothing was posted)."""
    assert row.due is not None
    where = "WHERE community = ? AND kind = ? AND target = ? AND period = ?"
    with store.transaction() as c:
        if status is None:
            c.execute(f"DELETE FROM scheduled_runs {where}", _key(row, row.due))
        else:
            c.execute(
                f"UPDATE scheduled_runs SET status = ?, finished_at = ? {where}",
                (status, now, *_key(row, row.due)),
            )


@dataclass(frozen=True, slots=True)
class InterruptedRun:
    """A run left 'sending' by a process that died mid-run, and whom to tell."""

    community: int
    kind: str
    target: str  # as stored (target_json)
    period: str
    report_to: Target  # the schedule's creator in a DM, else the schedule's own target


def interrupted(store: Store) -> list[InterruptedRun]:
    """Runs left 'sending' by a process that died mid-run (call before running any)."""
    rows = store.rows(
        "SELECT r.community, r.kind, r.target, r.period, s.created_by FROM scheduled_runs r "
        "LEFT JOIN schedules s ON s.community = r.community AND s.kind = r.kind "
        "WHERE r.status = 'sending' ORDER BY r.period"
    )
    found = []
    for r in rows:
        target = Target(**json.loads(r["target"]))
        report_to = target
        if r["created_by"] is not None:
            identities = sorted(
                store.identities(int(r["created_by"])), key=lambda pu: pu[0] != target.platform
            )
            if identities:
                report_to = Target(identities[0][0], user=identities[0][1])
        found.append(InterruptedRun(r["community"], r["kind"], r["target"], r["period"], report_to))
    return found


def mark_reported(store: Store, run: InterruptedRun) -> None:
    """Record that the admins were told about an interrupted run (so they are told once)."""
    with store.transaction() as c:
        c.execute(
            "UPDATE scheduled_runs SET status = 'interrupted' WHERE community = ? AND kind = ? "
            "AND target = ? AND period = ? AND status = 'sending'",
            (run.community, run.kind, run.target, run.period),
        )


def load_runs(store: Store, community: int, kind: str) -> list[dict[str, Any]]:
    """The recorded runs of a community's schedule kind, oldest first."""
    return store.rows(
        "SELECT * FROM scheduled_runs WHERE community = ? AND kind = ? ORDER BY period",
        (community, kind),
    )


def export_schedules(store: Store, community: int, member: int) -> dict[str, Any]:
    rows = store.rows(
        "SELECT kind, spec, timezone FROM schedules WHERE community = ? AND created_by = ?",
        (community, member),
    )
    return {"schedules_created": rows}


def forget_creator(store: Store, community: int, member: int) -> None:
    """A forgotten member's schedules stay (unsigned), except those posting to their DMs."""
    mine = [target_json(Target(p, user=u)) for p, u in store.identities(member)]
    with store.transaction() as c:
        c.execute(
            "UPDATE schedules SET created_by = NULL WHERE community = ? AND created_by = ?",
            (community, member),
        )
        for target in mine:
            for table in ("schedules", "scheduled_runs"):
                c.execute(
                    f"DELETE FROM {table} WHERE community = ? AND target = ?", (community, target)
                )
