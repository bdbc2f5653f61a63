"""The scheduler: local fire times across DST, catch-up, at-most-once delivery, /digest off."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.fake import FakeAdapter
from bot.commands import CommandError
from bot.config import Config
from bot.core import Core
from bot.replies import Reply, Target
from bot.scheduling.scheduler import Scheduler, ScheduleRow
from bot.scheduling.spec import last_due, next_fire, parse_spec, period_days
from bot.storage.store import Store
from tests.conftest import Clock

BERLIN = ZoneInfo("Europe/Berlin")
TARGET = Target("fake", chat="general")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def fires(spec: str, tz: str, start: datetime, count: int) -> list[datetime]:
    trigger = parse_spec(spec, tz)
    out, at = [], start
    for _ in range(count):
        nxt = next_fire(trigger, at)
        assert nxt is not None
        out.append(nxt.astimezone(UTC))
        at = nxt
    return out


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


pytestmark = pytest.mark.engines


@pytest.fixture
def open_core(config: Config, clock: Clock) -> Callable[[], Core]:
    """Builds a core over the same database, as a restarted bot would."""

    def make() -> Core:
        core = Core(config, Store(config.store), clock=clock)
        return core

    return make


@pytest.fixture
async def started(open_core: Callable[[], Core]) -> AsyncIterator[Core]:
    core = open_core()
    await core.start()
    yield core
    await core.close()


def record_runs(scheduler: Scheduler, kind: str = "test") -> list[ScheduleRow]:
    ran: list[ScheduleRow] = []

    async def run(core: Core, row: ScheduleRow) -> None:
        ran.append(row)

    scheduler.register_kind(kind, run)
    return ran


# -- specs -------------------------------------------------------------------------------------


def test_daily_fires_at_local_nine_across_the_october_dst_change() -> None:
    # Europe/Berlin leaves summer time on Sunday 25 October 2026 at 03:00 local.
    got = fires("daily 09:00", "Europe/Berlin", utc(2026, 10, 23, 12), 4)
    assert got == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8),
                   utc(2026, 10, 27, 8)]  # fmt: skip
    assert all(t.astimezone(BERLIN).hour == 9 for t in got)


def test_weekly_fires_at_local_nine_across_the_march_dst_change() -> None:
    # Summer time starts on Sunday 29 March 2026: 09:00 moves from 08:00 to 07:00 UTC.
    got = fires("weekly mon 09:00", "Europe/Berlin", utc(2026, 3, 20), 3)
    assert got == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]


def test_biweekly_skips_every_other_week_and_keeps_local_time() -> None:
    got = fires("biweekly mon 09:00", "Europe/Berlin", utc(2026, 10, 1), 3)
    assert [b - a for a, b in itertools.pairwise(got)] == [
        timedelta(days=14),
        timedelta(days=14, hours=1),  # the October change lies in between
    ]
    assert all(t.astimezone(BERLIN).hour == 9 for t in got)
    # The same weeks whatever moment we start counting from (a restart).
    assert fires("biweekly mon 09:00", "Europe/Berlin", got[0] + timedelta(hours=1), 1) == [got[1]]


def test_monthly_and_cron_specs() -> None:
    assert fires("monthly 1 09:00", "UTC", utc(2026, 1, 15), 2) == [utc(2026, 2, 1, 9),
                                                                    utc(2026, 3, 1, 9)]  # fmt: skip
    assert fires("monthly last 18:00", "UTC", utc(2026, 2, 1), 1) == [utc(2026, 2, 28, 18)]
    assert fires("30 17 * * fri", "UTC", utc(2026, 11, 2), 1) == [utc(2026, 11, 6, 17, 30)]


def test_period_of_each_spec() -> None:
    trigger = parse_spec("weekly mon 09:00", "Europe/Berlin")
    assert period_days(trigger, utc(2026, 10, 26, 8)) == 7  # a 7-day week of 169 hours
    assert period_days(parse_spec("daily 08:00", "UTC"), utc(2026, 1, 2, 8)) == 1
    assert period_days(parse_spec("monthly 1 09:00", "UTC"), utc(2026, 3, 1, 9)) == 28


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("weekly funday 09:00", "not a weekday"),
        ("daily 25:00", "not a time"),
        ("monthly 31 09:00", "not a day of the month"),
        ("every tuesday", "don't understand"),
        ("61 * * * *", "cron line is not valid"),
        ("*/5 * * * *", "more than once an hour"),
        ("", "empty"),
    ],
)
def test_bad_specs_say_what_is_accepted_with_an_example(spec: str, problem: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_spec(spec, "UTC")
    message = str(caught.value)
    assert problem in message
    assert "weekly <mon-sun> HH:MM" in message
    assert "Example: weekly mon 09:00 Europe/Berlin" in message


def test_unknown_timezone_is_refused_with_a_suggestion() -> None:
    with pytest.raises(CommandError, match=r"Unknown timezone 'Europe/Berln'.*Europe/Berlin"):
        parse_spec("daily 09:00", "Europe/Berln")
    assert parse_spec("daily 09:00", "europe/berlin").timezone.key == "Europe/Berlin"


def test_last_due_finds_the_latest_fire_inside_the_window() -> None:
    trigger = parse_spec("daily 09:00", "UTC")
    assert last_due(trigger, utc(2026, 11, 5, 10), timedelta(hours=6)) == utc(2026, 11, 5, 9)
    assert last_due(trigger, utc(2026, 11, 5, 16), timedelta(hours=6)) is None
    assert last_due(trigger, utc(2026, 11, 5, 9), timedelta(hours=6)) == utc(2026, 11, 5, 9)


# -- running -----------------------------------------------------------------------------------


async def test_run_due_fires_once_at_local_time_across_dst(core: Core, clock: Clock) -> None:
    scheduler = core.feature(Scheduler)
    ran = record_runs(scheduler)
    clock.now = utc(2026, 10, 23, 12)
    scheduler.set_schedule(1, "test", "daily 09:00", "Europe/Berlin", TARGET)
    assert await scheduler.run_due(utc(2026, 10, 24, 6, 59)) == []
    assert [r.due for r in await scheduler.run_due(utc(2026, 10, 24, 7, 0))] == [
        utc(2026, 10, 24, 7)
    ]
    assert await scheduler.run_due(utc(2026, 10, 24, 7, 5)) == []  # already done
    assert await scheduler.run_due(utc(2026, 10, 25, 7, 30)) == []  # 08:30 local: not yet
    assert [r.due for r in await scheduler.run_due(utc(2026, 10, 25, 8, 0))] == [
        utc(2026, 10, 25, 8)
    ]
    assert len(ran) == 2


async def test_a_new_schedule_does_not_fire_for_a_time_before_it_existed(
    core: Core, clock: Clock
) -> None:
    scheduler = core.feature(Scheduler)
    ran = record_runs(scheduler)
    clock.now = utc(2026, 11, 2, 10)  # Monday, an hour after 09:00 UTC
    scheduler.set_schedule(1, "test", "weekly mon 09:00", "UTC", TARGET)
    assert await scheduler.run_due(clock.now) == []
    assert ran == []


async def test_catch_up_after_downtime_posts_exactly_once(
    open_core: Callable[[], Core], clock: Clock
) -> None:
    clock.now = utc(2026, 10, 30, 12)
    first = open_core()
    chat = FakeAdapter(first)
    chat.admins.add("admin")
    await chat.say("admin", "/digest schedule weekly mon 09:00 Europe/Berlin")
    await chat.say("ana", "anyone going to the pitch night?")
    await first.close()  # the bot is down over the weekend and Monday morning

    clock.now = utc(2026, 11, 2, 10, 30)  # Monday 11:30 in Berlin: 2.5 hours late
    posted: list[Reply] = []
    for _ in range(2):  # start, and restart again: still one digest
        core = open_core()
        adapter = FakeAdapter(core)
        await core.start()
        await core.feature(Scheduler).drain()
        posted += [s.reply for s in adapter.sent]
        await core.close()
    assert len(posted) == 1
    assert posted[0].to == Target("fake", chat="general")
    assert posted[0].title is not None
    assert "Weekly digest" in posted[0].title


async def test_catch_up_coalesces_and_skips_runs_older_than_the_grace(
    core: Core, clock: Clock
) -> None:
    scheduler = core.feature(Scheduler)
    ran = record_runs(scheduler)
    clock.now = utc(2026, 11, 1)
    scheduler.set_schedule(1, "test", "daily 09:00", "UTC", TARGET)
    # Down for three days: only the latest run inside the 6-hour grace is posted.
    assert [r.due for r in await scheduler.run_due(utc(2026, 11, 4, 10))] == [utc(2026, 11, 4, 9)]
    # Down past the grace: nothing is posted late.
    assert await scheduler.run_due(utc(2026, 11, 5, 15, 1)) == []
    assert len(ran) == 1


async def test_crash_between_posting_and_recording_never_posts_twice(
    open_core: Callable[[], Core], clock: Clock
) -> None:
    clock.now = utc(2026, 11, 1)
    core = open_core()
    adapter = FakeAdapter(core)
    delivered: list[Reply] = []

    async def deliver_then_die(reply: Reply) -> bool:
        delivered.append(reply)
        raise Crash

    adapter.deliver = deliver_then_die  # type: ignore[method-assign]
    from bot.features.digests.feature import run_scheduled

    scheduler = core.feature(Scheduler)
    scheduler.register_kind("digest", run_scheduled)
    scheduler.set_schedule(1, "digest", "daily 09:00", "UTC", Target("fake", chat="general"))
    with pytest.raises(Crash):
        await scheduler.run_due(utc(2026, 11, 2, 9, 1))
    core.store.close()  # the process died: no orderly shutdown

    restarted = open_core()
    again = FakeAdapter(restarted)
    await restarted.start()
    scheduler = restarted.feature(Scheduler)
    await scheduler.drain()
    await scheduler.run_due(utc(2026, 11, 2, 9, 30))
    assert len(delivered) == 1
    # Not posted again; instead the chat is told once that the digest may be incomplete.
    (report,) = again.sent
    assert "interrupted" in report.text
    assert "not posted again" in report.text
    assert [r["status"] for r in scheduler.runs(1, "digest")] == ["interrupted"]
    await restarted.close()


async def test_not_delivered_releases_the_claim_for_a_retry(core: Core, clock: Clock) -> None:
    from bot.features.digests.feature import run_scheduled

    clock.now = utc(2026, 11, 1)
    scheduler = core.feature(Scheduler)
    scheduler.register_kind("digest", run_scheduled)
    scheduler.set_schedule(1, "digest", "daily 09:00", "UTC", Target("fake", chat="general"))
    await scheduler.run_due(utc(2026, 11, 2, 9, 1))  # no adapter attached yet
    assert scheduler.runs(1, "digest") == []
    chat = FakeAdapter(core)
    await scheduler.run_due(utc(2026, 11, 2, 9, 6))
    await scheduler.run_due(utc(2026, 11, 2, 9, 11))
    assert len(chat.sent) == 1
    assert [r["status"] for r in scheduler.runs(1, "digest")] == ["sent"]


async def test_digest_off_really_stops_it(started: Core, clock: Clock) -> None:
    chat = FakeAdapter(started)
    chat.admins.add("admin")
    await chat.say("admin", "/digest schedule daily 09:00 UTC")
    scheduler = started.feature(Scheduler)
    row = scheduler.schedule(1, "digest")
    assert row is not None
    assert scheduler.aps is not None
    job = scheduler.aps.get_job(f"schedule:{row.id}")
    assert job is not None
    assert (job.next_run_time.hour, job.next_run_time.minute) == (9, 0)
    (sent,) = await chat.say("admin", "/digest off")
    assert "off" in sent.text
    assert scheduler.aps.get_job(f"schedule:{row.id}") is None
    before = len(chat.sent)
    assert await scheduler.run_due(clock.now.replace(hour=9) + timedelta(days=1)) == []
    assert len(chat.sent) == before
    (again,) = await chat.say("admin", "/digest off")
    assert "no scheduled digest" in again.text


async def test_jobs_use_the_schedule_timezone_and_every_adds_interval_jobs(
    started: Core,
) -> None:
    scheduler = started.feature(Scheduler)
    row = scheduler.set_schedule(1, "test", "weekly mon 09:00", "Europe/Berlin", TARGET)
    job = scheduler.aps.get_job(f"schedule:{row.id}") if scheduler.aps else None
    assert job is not None
    local = job.next_run_time.astimezone(BERLIN)
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    ticks: list[Core] = []

    async def tick(core: Core) -> None:
        ticks.append(core)

    scheduler.every("tick", 3600, tick)
    assert scheduler.aps is not None
    assert scheduler.aps.get_job("every:tick") is not None
