"""Held deliveries (bot/outbox.py): kept as they were, handed over once, expired, forgotten."""

from __future__ import annotations

from bot import outbox
from bot.core import Core
from bot.features.privacy import forget_member
from bot.replies import Attachment, Button, Reply, Target, Visibility
from tests.privacy_scan import traces

DAY = 24 * 3600


def test_a_held_reply_comes_back_exactly(core: Core) -> None:
    reply = Reply(
        "Ann would like an introduction to you.",
        title="Intro request",
        fields=(("Stage", "seed"),),
        buttons=(Button("Accept", "introans:7:yes", "success"), Button("Decline", "introans:7:no")),
        attachment=Attachment("chart.png", b"\x89PNG\x00\xff", is_image=True),
        visibility=Visibility.DM,
        to=Target("telegram", user="502"),
    )
    outbox.hold(core.store, "telegram", "502", reply, 1000)
    [(held_id, back)] = outbox.held(core.store, "telegram", "502", 1001)
    assert back == reply
    assert outbox.held(core.store, "telegram", "501", 1001) == []  # only for its member
    outbox.delivered(core.store, held_id)
    assert outbox.held(core.store, "telegram", "502", 1001) == []


def test_held_replies_expire_after_their_days(core: Core) -> None:
    outbox.hold(core.store, "telegram", "502", Reply("reminder"), 1000, days=1)
    outbox.hold(core.store, "telegram", "502", Reply("intro"), 1000)
    assert [r.text for _, r in outbox.held(core.store, "telegram", "502", 1000 + DAY - 1)] == [
        "reminder",
        "intro",
    ]
    later = 1000 + 2 * DAY
    assert [r.text for _, r in outbox.held(core.store, "telegram", "502", later)] == ["intro"]
    assert outbox.held(core.store, "telegram", "502", 1000 + outbox.HOLD_DAYS * DAY) == []


def test_forget_removes_what_waits_for_and_what_came_from_a_member(core: Core) -> None:
    community = core.store.community("telegram:-100", "Founders")
    ann = core.store.member(community, "telegram", "501", "Ann", 1000)
    bob = core.store.member(community, "telegram", "502", "Bob", 1000)
    held = Reply("Ann Example would like an introduction to you.")
    outbox.hold(core.store, "telegram", "502", held, 1000, from_member=ann.id)
    outbox.hold(core.store, "telegram", "501", Reply("Bob's pairing note"), 1000)
    export = outbox.Outbox.exporters[0](core.store, community, bob.id)
    assert [m["text"] for m in export["held_messages"]] == [held.text]

    forget_member(core.store, core.features, community, ann.id)
    assert traces(core.store, ann.id, ["Ann Example", "Bob's pairing note"]) == []
    forget_member(core.store, core.features, community, bob.id)
    assert core.store.rows("SELECT * FROM held_deliveries") == []
