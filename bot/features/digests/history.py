"""Opening stored history: find a community by name, name a past period, render its digest.

Used by `convene chat --community NAME [--at DATE]` and
`convene digest --community NAME --period 2019-11 [--out DIR]`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config
from bot.storage.store import Store

if TYPE_CHECKING:
    from bot.core import Core
    from bot.features.digests.build import Digest

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
PERIOD_FORMS = "a month (2019-11), an ISO week (2019-W45), a day (2019-11-04) or a year (2019)"


@dataclass(frozen=True, slots=True)
class CommunityInfo:
    """A stored community and what it holds."""

    id: int
    key: str
    name: str
    messages: int
    first: datetime | None
    last: datetime | None


def communities(store: Store, only: int | None = None) -> list[CommunityInfo]:
    """Every stored community (or only the one with id `only`) with its message count and
    time span, busiest first."""
    where, params = ("WHERE c.id = ? ", (only,)) if only is not None else ("", ())
    rows = store.rows(
        "SELECT c.id, c.key, c.name, count(a.id) AS n, min(a.at) AS first, max(a.at) AS last "
        "FROM communities c LEFT JOIN activity a ON a.community = c.id AND a.kind = 0 "
        f"{where}GROUP BY c.id, c.key, c.name ORDER BY n DESC, c.name",
        params,
    )

    def when(ts: int | None) -> datetime | None:
        return datetime.fromtimestamp(ts).astimezone() if ts is not None else None

    return [
        CommunityInfo(r["id"], r["key"], r["name"], r["n"], when(r["first"]), when(r["last"]))
        for r in rows
    ]


def find_community(store: Store, name: str) -> CommunityInfo | None:
    """The community whose key or name is `name` (case-insensitive), else None; only the one
    found is counted, not every community's history."""
    found = store.community_named(name)
    if found is None:
        return None
    return communities(store, found)[0]


def describe_communities(store: Store) -> str:
    """A short list of the stored communities, for a name that matched none."""
    found = communities(store)
    if not found:
        return "This database holds no community yet."
    lines = ["Communities in this database:"]
    for c in found:
        span = f", {c.first:%Y-%m-%d} to {c.last:%Y-%m-%d}" if c.first and c.last else ""
        lines.append(f"  {c.name} (key {c.key}): {c.messages:,} messages{span}")
    return "\n".join(lines)


def parse_period(text: str) -> tuple[date, date]:
    """(first day, day after the last) of a named period.

    Raises:
        ValueError: a text that names no period, with the forms accepted.
    """
    value = text.strip()
    try:
        if m := _MONTH.match(value):
            y, mo = int(m[1]), int(m[2])
            start = date(y, mo, 1)
            return start, date(y + mo // 12, mo % 12 + 1, 1)
        if m := _WEEK.match(value):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return start, start + timedelta(days=7)
        if m := _DAY.match(value):
            start = date(int(m[1]), int(m[2]), int(m[3]))
            return start, start + timedelta(days=1)
        if m := _YEAR.match(value):
            return date(int(m[1]), 1, 1), date(int(m[1]) + 1, 1, 1)
    except ValueError:
        pass
    raise ValueError(f"{text!r} names no period: give {PERIOD_FORMS}.")


def parse_at(text: str) -> date:
    """A day for `--at` (2019-11-04).

    Raises:
        ValueError: not a YYYY-MM-DD date.
    """
    m = _DAY.match(text.strip())
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date: give it as YYYY-MM-DD, e.g. 2019-11-04.")


def topic_table(digest: Digest) -> str:
    """The digest's topics as CSV: rank, label, status, messages, growth, example."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "topic", "status", "messages", "growth", "example"])
    report = digest.topics
    for rank, t in enumerate(report.topics if report else [], 1):
        example = t.examples[0] if t.examples else ""
        writer.writerow([rank, t.label, t.status, t.current, f"{t.growth:.2f}", example])
    return out.getvalue()


async def render_period(
    core: Core, community: int, period: tuple[date, date], out: Path
) -> list[Path]:
    """Build the digest of a past period from stored data; write its text, chart and topics.

    Returns the files written (digest.txt, digest.png when a chart was drawn, topics.csv).
    """
    from adapters.base import render_plain
    from bot.features.digests.build import build_digest

    tz = core.timezone(community)
    start, end = period
    local_end = datetime(end.year, end.month, end.day, tzinfo=tz)
    digest = await build_digest(core, community, local_end, (end - start).days)
    return await asyncio.to_thread(_write, digest, out, render_plain(digest.reply))


def _write(digest: Digest, out: Path, text: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "digest.txt", out / "topics.csv"]
    written[0].write_text(text + "\n", encoding="utf-8")
    written[1].write_text(topic_table(digest), encoding="utf-8")
    if digest.chart is not None:
        written.append(out / "digest.png")
        written[-1].write_bytes(digest.chart)
    return written


async def render_period_cli(config: Config, name: str, period: tuple[date, date], out: Path) -> int:
    """`convene digest`: render a past period's digest into `out`; the exit code."""
    from bot.app import make_embedder
    from bot.core import Core

    store = Store(config.store)
    info = find_community(store, name)
    if info is None:
        print(f"No community called {name!r}.\n{describe_communities(store)}")
        store.close()
        return 2
    core = Core(config, store, embedder=make_embedder(config, store))
    try:
        written = await render_period(core, info.id, period, out)
    finally:
        if core.embedder is not None:
            core.embedder.close()
        store.close()
    start, end = period
    print(f"Digest of {info.name}, {start:%d %b %Y} to {end - timedelta(days=1):%d %b %Y}:")
    print(written[0].read_text(encoding="utf-8"))
    print("Written: " + ", ".join(str(p) for p in written))
    return 0
