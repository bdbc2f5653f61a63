"""Events: RSVPs, attendance, no-shows and intros among attendees; one event's people."""

from __future__ import annotations

import sqlite3

from bot.dashboard import queries as q
from bot.dashboard.charts import bar_chart
from bot.dashboard.pages.base import EPOCH, NotFound, Page, Range, Table, when
from bot.dashboard.rollup import DAY
from bot.text import plural


def events(conn: sqlite3.Connection, c: int, rng: Range, _: str) -> Page:
    page = Page("events", "Events", rng)
    found = q.events(conn, c, rng.t0, rng.t1)
    now_day = rng.last
    rows, links = [], {}
    pairs = q.pairs_made(conn, c, min((e["starts_at"] for e in found), default=0))
    for i, e in enumerate(found):
        _rsvps, came = q.event_people(conn, e["id"])
        made = {(a, b) for a, b, at in pairs if at >= e["starts_at"] and a in came and b in came}
        intros = len(made)
        past = e["starts_at"] < (now_day - EPOCH).days * DAY
        state = "cancelled" if e["cancelled_at"] else ("held" if past else "upcoming")
        rows.append(
            (e["title"], when(e["starts_at"], rng), state, e["rsvps"], e["checkins"],
             e["no_shows"] if past else "", intros)
        )  # fmt: skip
        links[i] = f"events/{e['id']}"
    page.tables = [
        Table(
            "events",
            "Events in the range",
            ("event", "starts", "state", "RSVPs", "attended", "no-shows", "intros among attendees"),
            rows,
            links,
        )
    ]
    page.charts.append(
        bar_chart(
            "RSVPs and attendance, all events in the range",
            [
                ("RSVPs", sum(e["rsvps"] for e in found)),
                ("attended", sum(e["checkins"] for e in found)),
                ("intros among attendees", sum(r[6] for r in rows)),
            ],
        )
    )
    if not found:
        page.notes.append("No events start in this range.")
    return page


def event_detail(conn: sqlite3.Connection, c: int, rng: Range, event_id: str) -> Page:
    """One event's people (named members only) — an event of another community is not found."""
    if not event_id.isdigit():
        raise NotFound(event_id)
    e = q.event(conn, c, int(event_id))
    if e is None:
        raise NotFound(event_id)
    page = Page("events", f"Event: {e['title']}", rng)
    rsvps, came = q.event_people(conn, e["id"])
    shown = {m.id: m.name for m in q.members(conn, c) if m.shown}
    rows = sorted(
        (shown[m], "yes" if m in rsvps else "", "yes" if m in came else "")
        for m in rsvps | came
        if m in shown
    )
    hidden = len((rsvps | came) - shown.keys())
    page.tables = [Table("people", "People", ("member", "RSVP", "came"), rows)]
    page.charts.append(bar_chart("This event", [("RSVPs", len(rsvps)), ("attended", len(came))]))
    page.notes.append(
        f"Starts {when(e['starts_at'], rng)}{' at ' + e['place'] if e['place'] else ''}."
    )
    if hidden:
        page.notes.append(
            f"{plural(hidden, 'more member')} took part (not named, by their choice)."
        )
    page.links.append(("All events", "../events"))
    return page
