"""Trend digests: /digest (schedule, now, off, preview, status) and /trends on demand.

A scheduled digest covers the period since the previous fire time and is posted to the chat
where `/digest schedule` was run, through the scheduler (at most once per period).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands import Arg, Args, CommandError, sub
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.digests import summaries
from bot.features.digests.build import Digest, build_digest, topic_report
from bot.features.digests.topic_worker import TopicWorker
from bot.replies import Reply, Visibility
from bot.scheduling.scheduler import NotDelivered, Scheduler, ScheduleRow
from bot.scheduling.spec import ACCEPTED, last_due, parse_spec, period_days, split_timezone

if TYPE_CHECKING:
    from bot.chat_event import ChatEvent
    from bot.core import Core

KIND = "digest"


class Digests(Feature, name="digests", requires=("scheduler",), migrations=summaries.MIGRATIONS):
    """Scheduled and on-demand digests; holds the background topic worker (`worker`).

    Other features add fields to every digest with ``@TheirFeature.digest_section``.
    """

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.worker = TopicWorker(core)
        self.worker.refresh = self.refresh_topics

    async def refresh_topics(self, community: int) -> None:
        """Work out the current period's topics in the background, so /digest preview and
        /trends answer in about a second on a busy community."""
        end = self.core.clock()
        days = digest_days(self.core, community, end)
        self.worker.reports[(community, days)] = await topic_report(self.core, community, end, days)

    async def start(self) -> None:
        self.core.feature(Scheduler).register_kind(KIND, run_scheduled)
        self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    def on_message(self, community: int, member: int, event: ChatEvent) -> None:
        if self.core.embedder is not None:  # texts wait for a model only where there is one
            self.worker.offer(community, int(event.at.timestamp()), event.text)

    def erase_texts(self, community: int, texts: list[str]) -> None:
        """Erased texts that still wait for the model are dropped, so no vector comes back, and
        quotes taken from them leave the stored topic summaries."""
        self.worker.drop(texts)
        summaries.forget_quotes(self.core.store, community, texts)


def worker(core: Core) -> TopicWorker:
    """The core's background topic worker (its digests feature's)."""
    return core.feature(Digests).worker


def digest_days(core: Core, community: int, end: datetime) -> int:
    """The period a community's digest covers: its schedule's, else a week."""
    row = core.feature(Scheduler).schedule(community, KIND)
    if row is None:
        return 7
    trigger = row.trigger
    previous = last_due(trigger, end, timedelta(days=32))
    return period_days(trigger, previous) if previous else 7


async def latest_digest(core: Core, community: int, *, end: datetime | None = None) -> Digest:
    """The digest for the period ending now (or `end`), e.g. for the demo tour.

    The result's `reply` is what would be posted; `chart` holds the PNG bytes (or None).
    A topic report the background worker made for this period in the last half hour is used
    instead of working the topics out again.
    """
    end = end or core.clock()
    days = digest_days(core, community, end)
    cached = worker(core).cached_report(community, days, int(end.timestamp()))
    return await build_digest(core, community, end, days, cached=cached)


async def prepare_topics(
    core: Core, community: int, progress: Callable[[int], Callable[[int], object]] | None = None
) -> int:
    """Embed the recent sampled history now (e.g. before the demo tour's digest).

    `progress(total)` may return a callback that is told each batch done (a progress bar).
    Returns how many texts were encoded; the digest then finds every vector cached.
    """
    w = worker(core)
    total = await w.backfill(community)
    return await w.drain(progress(total) if progress is not None and total else None)


async def run_scheduled(core: Core, row: ScheduleRow) -> None:
    """The scheduler's runner for digests: build the period ending at `row.due` and post it."""
    assert row.due is not None
    days = period_days(row.trigger, row.due)
    if row.target.platform not in core.adapters:  # surely not sent: the claim is released
        raise NotDelivered(f"no {row.target.platform} adapter is attached yet")
    digest = await build_digest(core, row.community, row.due, days)
    if not await core.send(digest.reply.with_target(row.target)):
        # Possibly half-sent (text without the image): recorded as failed, never re-posted.
        raise RuntimeError(f"the {row.target.platform} adapter could not deliver the digest")


def _describe(ctx: Context, row: ScheduleRow) -> str:
    scheduler = ctx.core.feature(Scheduler)
    fire = scheduler.next_run(row, ctx.now)
    where = "this chat" if row.target == ctx.origin else "another chat"
    return (
        f"Digest schedule: {row.spec} ({row.timezone}), posted in {where}. "
        f"Next: {fire:%a %d %b %Y, %H:%M} {row.timezone}."
    )


async def _schedule(ctx: Context, spec_text: str) -> Answer:
    if ctx.event.is_direct:
        return ctx.private("Run /digest schedule in the group chat where the digest should appear.")
    if not spec_text:
        raise CommandError(f"Say when. {ACCEPTED}")
    spec, tz = split_timezone(spec_text)
    tz = tz or ctx.tz.key
    parse_spec(spec, tz)  # explains a bad spec or timezone before anything is stored
    row = ctx.core.feature(Scheduler).set_schedule(
        ctx.community, KIND, spec, tz, ctx.origin, created_by=ctx.member
    )
    return ctx.reply(_describe(ctx, row))


@Digests.command(
    "digest",
    "The community's trend digest: schedule it, post it now, stop it or preview it.",
    sub("status", "When the next digest is due."),
    sub("schedule", "Post the digest here on a schedule (admins).",
        Arg("spec", "text", "e.g. weekly mon 09:00 Europe/Berlin", default=""), admin=True),
    sub("now", "Post the digest of the last period here (admins).", admin=True, slow=True),
    sub("off", "Stop the scheduled digest (admins).", admin=True),
    sub("preview", "See the digest privately.", slow=True),
    default="status",
    details=(
        "/digest schedule weekly mon 09:00 [timezone] — post here every Monday at 09:00 "
        "(also daily 18:00, biweekly fri 17:00, monthly 1 09:00 or a cron line).\n"
        "/digest now — post the digest of the last period here.\n"
        "/digest off — stop the scheduled digest.\n"
        "/digest preview — see the digest privately.\n"
        "/digest status — when the next digest is due.\n"
        "Changing the schedule and posting are for admins."
    ),
)  # fmt: skip
async def digest(ctx: Context, args: Args) -> Answer:
    action = args["action"]
    scheduler = ctx.core.feature(Scheduler)
    if action == "schedule":
        return await _schedule(ctx, args["spec"])
    if action == "off":
        if scheduler.remove_schedule(ctx.community, KIND):
            return ctx.reply("The scheduled digest is off. Turn it back on with /digest schedule.")
        return ctx.private("There is no scheduled digest to turn off.")
    if action == "status":
        row = scheduler.schedule(ctx.community, KIND)
        if row is None:
            return ctx.private("No digest is scheduled. Try /digest schedule weekly mon 09:00.")
        return ctx.private(_describe(ctx, row))
    built = await latest_digest(ctx.core, ctx.community, end=ctx.now)
    if action == "preview":
        return _private(built.reply)
    return built.reply


def _private(reply: Reply) -> Reply:
    return replace(reply, visibility=Visibility.ONLY_YOU)


@Digests.command(
    "trends",
    "What the community talks about lately: rising and fading topics, activity and forecast.",
    Arg("days", "int", "how many days back (1-90)", default=7, min=1, max=90),
    slow=True,
)
async def trends(ctx: Context, args: Args) -> Answer:
    days = args["days"]
    built = await build_digest(
        ctx.core, ctx.community, ctx.now, days,
        title=f"Trends, last {days} day{'s' if days != 1 else ''}",
    )  # fmt: skip
    return built.reply


@Digests.button("dg")
async def more_pressed(ctx: Context, payload: str) -> Answer:
    """The "More" button of a digest (``dg:more:<end>:<days>``): the whole digest, privately."""
    action, _, rest = payload.partition(":")
    end, _, days = rest.partition(":")
    if action != "more" or not end.isdigit() or not days.isdigit() or not 1 <= int(days) <= 400:
        return ctx.private("That button has expired. /digest preview shows the latest digest.")
    built = await build_digest(
        ctx.core, ctx.community, datetime.fromtimestamp(int(end), UTC), int(days)
    )
    return _private(built.full or built.reply)
