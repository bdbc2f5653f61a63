"""Scheduled work (digests, rounds): our `schedules` table is the source of truth.

Every schedule becomes an APScheduler job on the core's loop at start, firing at a local
time in the schedule's timezone. A job only wakes `Scheduler.run_due(now)`, which is also
the catch-up after downtime: it computes the latest fire time within the grace period from
the trigger itself and runs it unless `scheduled_runs` already has it.

Delivery is **at most once**. A run is claimed (status 'sending') in `scheduled_runs`
before anything is posted and marked 'sent' after; a claimed run is never started again,
so a crash between posting and recording cannot post twice. A run found 'sending' at start
was interrupted by a crash: the schedule's creator (else its target chat) is told once, and
it is marked 'interrupted'. A run that failed before anything was handed to an adapter (or
whose runner raised `NotDelivered`) releases its claim, so the next sweep retries it within
the grace. Nothing runs for a platform until its adapter is ready (`Core.wait_ready`): the
catch-up after downtime waits for the connection instead of failing before it.

Several processes may share one PostgreSQL store: only the leader (`bot.scheduling.leader`)
fires jobs, sweeps, periodic loops and the catch-up; every process checks the lead every
`leader_seconds` and a new leader catches up at once, so a leader change skips nothing
(the catch-up finds the run the dead leader did not claim) and posts nothing twice (the
claim is unique).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core import send_attempts
from bot.feature import Feature
from bot.replies import Reply, Target
from bot.scheduling.leader import CHECK_SECONDS, Leader
from bot.scheduling.spec import last_due, next_fire, parse_spec, resolve_timezone
from bot.scheduling.store import (
    MIGRATIONS,
    InterruptedRun,
    ScheduleRow,
    claim,
    delete_schedule,
    export_schedules,
    finish,
    forget_creator,
    interrupted,
    load_runs,
    load_schedule,
    load_schedules,
    mark_reported,
    move_chat,
    save_schedule,
)

if TYPE_CHECKING:
    from bot.core import Core
    from bot.storage.store import Store

log = logging.getLogger("convene.scheduler")
GRACE = timedelta(hours=6)
SWEEP_SECONDS = 300.0

Runner = Callable[["Core", ScheduleRow], Awaitable[None]]
Periodic = Callable[["Core"], Awaitable[None]]


class NotDelivered(Exception):
    """Raised by a runner when it is sure nothing was posted; the run may be retried."""


class Scheduler(
    Feature, name="scheduler", migrations=MIGRATIONS, member_columns=[("schedules", "created_by")]
):
    """The scheduling feature: schedules from the `schedules` table, run by APScheduler on
    the core's loop. Other features reach it with ``core.feature(Scheduler)``."""

    def __init__(self, core: Core, *, grace: timedelta = GRACE):
        super().__init__(core)
        self.grace = grace
        self.sweep_seconds = SWEEP_SECONDS
        self.leader_seconds = CHECK_SECONDS
        self.leader = Leader(core.store.engine)
        self.kinds: dict[str, Runner] = {}
        self.aps: AsyncIOScheduler | None = None
        self._periodic: dict[str, tuple[float, Periodic]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting: set[asyncio.Task[Any]] = set()  # work waiting for an adapter

    @property
    def store(self) -> Store:
        return self.core.store

    def chat_moved(self, platform: str, old: str, new: str) -> None:
        """Schedules posting to chat `old` (a group that became a supergroup) post to `new`."""
        move_chat(self.store, platform, old, new)

    # -- the agreed interface ------------------------------------------------------------

    def register_kind(self, kind: str, run: Runner) -> None:
        """Say how to run schedules of `kind`; catches up that kind if already started."""
        self.kinds[kind] = run
        if self.aps is not None:
            self._catch_up(kind)

    def set_schedule(
        self,
        community: int,
        kind: str,
        spec: str,
        tz: str,
        target: Target,
        created_by: int | None = None,
    ) -> ScheduleRow:
        """Create or replace the community's schedule of `kind`.

        Raises:
            CommandError: the spec or timezone is not understood (says what is accepted).
        """
        zone = resolve_timezone(tz)
        parse_spec(spec, zone)
        now = int(self.core.clock().timestamp())
        row = save_schedule(self.store, community, kind, spec, zone.key, target, created_by, now)
        self._add_job(row)
        return row

    def remove_schedule(self, community: int, kind: str) -> bool:
        """Delete the schedule and its job; True if there was one."""
        row = self.schedule(community, kind)
        if row is None:
            return False
        delete_schedule(self.store, row.id)
        if self.aps is not None:
            with contextlib.suppress(Exception):
                self.aps.remove_job(f"schedule:{row.id}")
        return True

    def every(self, name: str, seconds: float, run: Periodic) -> None:
        """Run `run(core)` every `seconds` while the bot runs (errors are logged)."""
        self._periodic[name] = (seconds, run)
        if self.aps is not None:
            self._add_periodic(name, seconds, run)

    def parse_spec(self, spec: str, tz: str = "UTC") -> BaseTrigger:
        """The trigger for a spec (see `bot.scheduling.spec.parse_spec`); CommandError if bad."""
        return parse_spec(spec, tz)

    # -- reading schedules ---------------------------------------------------------------

    def schedule(self, community: int, kind: str) -> ScheduleRow | None:
        return load_schedule(self.store, community, kind)

    def schedules(self, kind: str | None = None) -> list[ScheduleRow]:
        return load_schedules(self.store, kind)

    def next_run(self, row: ScheduleRow, after: datetime | None = None) -> datetime:
        """When the schedule fires next after `after` (default: now), in its timezone."""
        fire = next_fire(row.trigger, after or self.core.clock())
        assert fire is not None
        return fire

    # -- running -------------------------------------------------------------------------

    async def run_due(
        self,
        now: datetime,
        *,
        kind: str | None = None,
        schedule_id: int | None = None,
        platform: str | None = None,
    ) -> list[ScheduleRow]:
        """Run every schedule whose latest fire time within the grace is not yet claimed.

        Called by the APScheduler jobs, the periodic sweep and the catch-up at start. A
        schedule whose platform's adapter is still connecting is left for later (not claimed).
        Returns the runs started (each with `due` set).
        """
        ran: list[ScheduleRow] = []
        for row in self.schedules(kind):
            if row.paused or (schedule_id is not None and row.id != schedule_id):
                continue
            if platform is not None and row.target.platform != platform:
                continue
            attached = row.target.platform in self.core.adapters
            if attached and not self.core.is_ready(row.target.platform):
                continue  # still connecting: a later sweep (or its catch-up) runs it
            runner = self.kinds.get(row.kind)
            if runner is None:
                continue
            try:
                due = last_due(row.trigger, now, self.grace)
            except Exception:
                log.exception("schedule %s has a spec that no longer parses", row.id)
                continue
            if due is None or due.timestamp() < row.created_at:
                continue
            due = due.astimezone(UTC)
            if not self._claim(row, due):
                continue
            ran.append(replace(row, due=due))
            await self._run(runner, replace(row, due=due))
        return ran

    def _claim(self, row: ScheduleRow, due: datetime) -> bool:
        return claim(self.store, row, due, int(self.core.clock().timestamp()))

    def _finish(self, row: ScheduleRow, status: str | None) -> None:
        finish(self.store, row, status, int(self.core.clock().timestamp()))

    async def _run(self, runner: Runner, row: ScheduleRow) -> None:
        with send_attempts() as attempts:
            try:
                await self.core.settle()
                await runner(self.core, row)
            except NotDelivered:
                log.warning(
                    "%s for community %s not delivered; will retry", row.kind, row.community
                )
                self._finish(row, None)
            except Exception:
                if attempts:  # something may have gone out: never posted twice
                    log.exception("%s for community %s failed", row.kind, row.community)
                    self._finish(row, "failed")
                else:
                    log.exception(
                        "%s for community %s failed before sending; will retry",
                        row.kind, row.community,
                    )  # fmt: skip
                    self._finish(row, None)
            else:
                self._finish(row, "sent")

    def runs(self, community: int, kind: str) -> list[dict[str, Any]]:
        """The recorded runs of a community's kind, oldest first."""
        return load_runs(self.store, community, kind)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Turn every schedule into a job and catch up on runs missed while down."""
        if self.aps is not None:
            return
        self.aps = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        self.aps.start()
        for row in self.schedules():
            self._add_job(row)
        for name, (seconds, run) in self._periodic.items():
            self._add_periodic(name, seconds, run)
        self._add_periodic("scheduler-sweep", self.sweep_seconds, self._sweep)
        self.aps.add_job(
            self._check_lead, IntervalTrigger(seconds=self.leader_seconds), id="leader",
            replace_existing=True, coalesce=True, max_instances=1,
        )  # fmt: skip
        if await asyncio.to_thread(self.leader.check):
            self._lead()

    def _lead(self) -> None:
        """This process now runs the schedule: report interrupted runs, catch up."""
        for run in interrupted(self.store):
            log.warning("a %s run (%s) was interrupted mid-send; not re-sent", run.kind, run.period)
            self._when_ready(run.report_to.platform, lambda run=run: self._report(run))
        self._catch_up(None)

    async def stop(self) -> None:
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
        pending = [*self._waiting, *self._tasks]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.to_thread(self.leader.release)

    async def _check_lead(self) -> None:
        """Keep or take the lead; a process that just took it catches up at once."""
        was = self.leader.leading
        if await asyncio.to_thread(self.leader.check) and not was:
            self._lead()

    async def drain(self) -> None:
        """Wait for background work whose adapter is ready (tests)."""
        for _ in range(3):  # let waiters whose adapter just became ready spawn their work
            await asyncio.sleep(0)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any], tasks: set[asyncio.Task[Any]] | None = None) -> None:
        task = asyncio.ensure_future(coro)
        found = self._tasks if tasks is None else tasks
        found.add(task)
        task.add_done_callback(found.discard)

    def _when_ready(self, platform: str, work: Callable[[], Awaitable[Any]]) -> None:
        """Run `work()` once `platform`'s adapter is ready (now, if it already is)."""
        if self.core.is_ready(platform):
            self._spawn(work())
            return

        async def wait() -> None:
            await self.core.wait_ready(platform)
            self._spawn(work())

        self._spawn(wait(), self._waiting)

    def _catch_up(self, kind: str | None) -> None:
        """Post runs missed while down, per platform as soon as its adapter is ready."""
        for platform in sorted({row.target.platform for row in self.schedules(kind)}):
            self._when_ready(
                platform,
                lambda p=platform: self.run_due(self.core.clock(), kind=kind, platform=p),
            )

    async def _report(self, run: InterruptedRun) -> None:
        """Tell the schedule's creator (else its chat) once that a run was cut short."""
        when = run.period.replace("T", " ")[:16]
        text = (
            f"The scheduled {run.kind} due {when} UTC was interrupted while it was being "
            "posted (the bot stopped mid-send). It may be missing or incomplete; it was not "
            "posted again, so nothing appears twice."
        )
        if await self.core.send(Reply(text, to=run.report_to)):
            mark_reported(self.store, run)

    async def _sweep(self, core: Core) -> None:
        await self.run_due(core.clock())

    def _add_job(self, row: ScheduleRow) -> None:
        if self.aps is None or row.paused:
            return
        self.aps.add_job(
            self._fire, trigger=row.trigger, args=(row.id,), id=f"schedule:{row.id}",
            replace_existing=True, coalesce=True, max_instances=1,
            misfire_grace_time=int(self.grace.total_seconds()),
        )  # fmt: skip

    async def _fire(self, schedule_id: int) -> None:
        if self.leader.leading:
            await self.run_due(self.core.clock(), schedule_id=schedule_id)

    def _add_periodic(self, name: str, seconds: float, run: Periodic) -> None:
        assert self.aps is not None

        async def job() -> None:
            if not self.leader.leading:
                return  # another process runs the loops
            try:
                await self.core.settle()
                await run(self.core)
            except Exception:
                log.exception("periodic job %s failed", name)

        self.aps.add_job(
            job, IntervalTrigger(seconds=seconds), id=f"every:{name}", replace_existing=True,
            coalesce=True, max_instances=1,
        )  # fmt: skip


Scheduler.exporter(export_schedules)
Scheduler.deleter(forget_creator)
