"""The dashboard's pages: each turns query results into tables (which its CSV repeats) and
SVG charts. Builders run in a worker thread on a reader connection (`Store.read`).

Members who turned tracking off or prefer not to be named appear only in counts: a table
that lists people leaves them out and says how many it left out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.dashboard.pages.activity import activity
from bot.dashboard.pages.base import EPOCH, NotFound, Page, Range, Table, parse_range
from bot.dashboard.pages.digests import digests
from bot.dashboard.pages.engagement import engagement
from bot.dashboard.pages.events import event_detail, events
from bot.dashboard.pages.matching import matching
from bot.dashboard.pages.topics import topic, topics
from bot.dashboard.rollup import DAY, backlog, community_offset, refresh

__all__ = ["DETAILS", "PAGES", "NotFound", "Page", "Range", "Table", "build", "parse_range"]

Builder = Callable[[sqlite3.Connection, int, Range, str], Page]
PAGES: dict[str, tuple[str, Builder]] = {
    "activity": ("Activity", activity),
    "engagement": ("Engagement", engagement),
    "topics": ("Topics", topics),
    "matching": ("Matching", matching),
    "events": ("Events", events),
    "digests": ("Digests", digests),
}
DETAILS: dict[str, Builder] = {"topics": topic, "events": event_detail}


FOLD_PER_PAGE = 40_000  # activity rows a page view folds into the rollups at most


def build(
    conn: sqlite3.Connection,
    c: int,
    builder: Builder,
    args: Mapping[str, str],
    now: datetime,
    default_tz: str,
    item: str = "",
    *,
    text_days: int = 30,
) -> Page:
    """Bring the rollups forward, read the range from `args`, and build one page.

    A page view folds at most `FOLD_PER_PAGE` new rows; a bigger backlog (the first start
    on a big store) is folded in the background and the page says so.
    """
    refresh(conn, default_tz, max_rows=FOLD_PER_PAGE)
    behind = backlog(conn)
    offset = community_offset(conn, c, default_tz)
    today = EPOCH + timedelta(days=(int(now.timestamp()) + offset) // DAY)
    rng, problem = parse_range(args, today, offset)
    rng = replace(rng, text_from=int(now.timestamp()) - text_days * DAY)
    page = builder(conn, c, rng, item)
    page.behind = behind
    if problem:
        page.notes.insert(0, problem)
    if behind:
        page.notes.insert(
            0,
            f"Still counting about {behind:,} earlier messages into these figures; "
            "reload in a minute for the full picture.",
        )
    return page
