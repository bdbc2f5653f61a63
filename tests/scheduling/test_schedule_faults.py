"""Scheduled posts under faults: an adapter still connecting at catch-up, a run that fails
before sending, a run cut short by a crash, and standard cron weekday numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from adapters.fake import FakeAdapter
from bot.commands import CommandError
from bot.config import Config
from bot.core import Core
from bot.replies import Reply, Target
from bot.scheduling.scheduler import Scheduler, ScheduleRow
from bot.scheduling.spec import next_fire, parse_spec
from bot.scheduling.store import claim
from bot.storage.store import Store
from tests.conftest import Clock

pytestmark = pytest.mark.engines
TARGET = Target("fake", chat="general")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def open_core(config: Config, clock: Clock) -> Callable[[], Core]:
    def make() -> Core:
        return Core(config, Store(config.store), clock=clock)

    return make


class Connecting(FakeAdapter):
    """An adapter like Telegram's before `start()` finished: nothing can be delivered."""

    connected = False

    def __post_init__(self) -> None:
        self.core.attach(self, ready=False)

    async def deliver(self, reply: Reply) -> bool:
        if not self.connected:
            return False
        return await super().deliver(reply)

    def connect(self) -> None:
        self.connected = True
        self.core.mark_ready(self.name)


async def test_catch_up_waits_until_the_adapter_is_ready(
    open_core: Callable[[], Core], clock: Clock
) -> None:
    clock.now = utc(2026, 10, 30, 12)
    first = open_core()
    chat = FakeAdapter(first)
    chat.admins.add("admin")
    await chat.say("admin", "/digest schedule daily 09:00 UTC")
    await chat.say("ana", "who is going to the pitch night?")
    await first.close()

    clock.now = utc(2026, 10, 31, 10)  # down at 09:00: one run to catch up
    core = open_core()
    adapter = Connecting(core)
    await core.start()
    scheduler = core.feature(Scheduler)
    await scheduler.drain()
    await scheduler.run_due(clock.now)  # a sweep while connecting claims nothing
    assert scheduler.runs(1, "digest") == []
    assert adapter.sent == []

    adapter.connect()
    await scheduler.drain()  # the waiting catch-up runs once the adapter is ready
    (digest,) = [s for s in adapter.sent if s.reply.title]
    assert "digest" in (digest.reply.title or "").lower()
    assert [r["status"] for r in scheduler.runs(1, "digest")] == ["sent"]
    await core.close()


async def test_a_run_that_failed_before_sending_is_retried_within_the_grace(
    core: Core, clock: Clock
) -> None:
    chat = FakeAdapter(core)
    scheduler = core.feature(Scheduler)
    calls: list[datetime | None] = []

    async def flaky(core: Core, row: ScheduleRow) -> None:
        calls.append(row.due)
        if len(calls) == 1:
            raise RuntimeError("the digest query failed")  # before anything was sent
        await core.send(Reply("digest", to=row.target))

    scheduler.register_kind("test", flaky)
    clock.now = utc(2026, 11, 1)
    scheduler.set_schedule(1, "test", "daily 09:00", "UTC", TARGET)
    await scheduler.run_due(utc(2026, 11, 2, 9, 1))
    assert scheduler.runs(1, "test") == []  # the claim was released
    await scheduler.run_due(utc(2026, 11, 2, 9, 6))  # the next sweep
    await scheduler.run_due(utc(2026, 11, 2, 9, 11))
    assert calls == [utc(2026, 11, 2, 9)] * 2
    assert [s.reply.text for s in chat.sent] == ["digest"]
    assert [r["status"] for r in scheduler.runs(1, "test")] == ["sent"]


async def test_a_run_that_failed_after_sending_is_never_posted_twice(
    core: Core, clock: Clock
) -> None:
    chat = FakeAdapter(core)
    scheduler = core.feature(Scheduler)

    async def half(core: Core, row: ScheduleRow) -> None:
        await core.send(Reply("part one", to=row.target))
        raise RuntimeError("the chart failed")

    scheduler.register_kind("test", half)
    clock.now = utc(2026, 11, 1)
    scheduler.set_schedule(1, "test", "daily 09:00", "UTC", TARGET)
    await scheduler.run_due(utc(2026, 11, 2, 9, 1))
    await scheduler.run_due(utc(2026, 11, 2, 9, 6))
    assert [s.reply.text for s in chat.sent] == ["part one"]
    assert [r["status"] for r in scheduler.runs(1, "test")] == ["failed"]


async def test_an_interrupted_run_is_reported_to_its_creator_once(
    open_core: Callable[[], Core], clock: Clock
) -> None:
    clock.now = utc(2026, 11, 1, 12)
    first = open_core()
    chat = FakeAdapter(first)
    chat.admins.add("admin")
    await chat.say("admin", "/digest schedule daily 09:00 UTC")
    row = first.feature(Scheduler).schedule(1, "digest")
    assert row is not None
    claim(first.store, row, utc(2026, 11, 2, 9), 0)  # the process died mid-send
    await first.close()

    clock.now = utc(2026, 11, 2, 9, 30)
    reports = []
    for _ in range(2):  # restart twice: told once
        core = open_core()
        adapter = FakeAdapter(core)
        await core.start()
        await core.feature(Scheduler).drain()
        reports += [s for s in adapter.sent if "interrupted" in s.text]
        statuses = [r["status"] for r in core.feature(Scheduler).runs(1, "digest")]
        await core.close()
    (report,) = reports
    assert report.target == Target("fake", user="admin")  # a private message to the creator
    assert "2026-11-02 09:00" in report.text
    assert statuses == ["interrupted"]


# -- cron weekdays ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "weekday"),
    [("1", "Monday"), ("0", "Sunday"), ("7", "Sunday"), ("5", "Friday"), ("sat", "Saturday")],
)
def test_cron_weekdays_use_the_standard_numbers(field: str, weekday: str) -> None:
    trigger = parse_spec(f"0 9 * * {field}", "UTC")
    fire = next_fire(trigger, utc(2026, 11, 1))  # a Sunday
    assert fire is not None
    assert (fire.strftime("%A"), fire.hour) == (weekday, 9)


def test_cron_weekday_ranges_and_steps() -> None:
    def days(field: str) -> list[str]:
        trigger = parse_spec(f"0 9 * * {field}", "UTC")
        out, at = [], utc(2026, 11, 1, 10)  # Sunday after nine
        for _ in range(7):
            fire = next_fire(trigger, at)
            assert fire is not None
            out.append(fire.strftime("%a"))
            at = fire
        return sorted(set(out), key=out.index)

    assert days("1-5") == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert days("5-7") == ["Fri", "Sat", "Sun"]
    assert days("*/2") == ["Tue", "Thu", "Sat", "Sun"]  # 0, 2, 4, 6 in standard cron


def test_a_weekday_past_seven_is_refused_with_the_rule() -> None:
    with pytest.raises(CommandError, match=r"'8' is not a cron weekday .*0 or 7 is Sunday"):
        parse_spec("0 9 * * 8", "UTC")
