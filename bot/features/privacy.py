"""Members own their data: /privacy toggles, /export of everything, /forget with confirmation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.commands import Arg, Args
from bot.context import Answer, Context
from bot.feature import Feature
from bot.features.activity import delete_activity
from bot.replies import Attachment, Button, Reply, Visibility
from bot.storage.store import Store


class Privacy(Feature, name="privacy"):
    """/privacy, /export and /forget over every feature's exporters and deleters."""


SETTINGS = {
    "tracking": "log my activity (messages, joins, reactions)",
    "matching": "suggest me to other members for intros",
    "named": "name me in digests, leaderboards and stats",
}


@Privacy.command(
    "privacy",
    "Show or change what Convene does with your data.",
    Arg("setting", help="which setting", default=None, choices=tuple(SETTINGS)),
    Arg("value", help="on or off", default=None, choices=("on", "off")),
)
async def privacy(ctx: Context, args: Args) -> Answer:
    info = ctx.store.member_info(ctx.member) or {}
    setting, value = args["setting"], args["value"]
    if setting and value:
        on = value == "on"
        ctx.store.set_member(ctx.member, **{setting: int(on)})
        if setting == "tracking" and not on:
            delete_activity(ctx.store, ctx.community, ctx.member)
        ctx.store.forget_cached(ctx.community, ctx.member)
        info[setting] = int(on)
        note = {
            ("tracking", False): "Your activity is no longer logged, and what was logged "
            "is deleted. Only this choice itself is kept.",
            ("tracking", True): "Your activity is logged again from now on.",
        }.get((setting, on), f"{setting} is now {value}.")
        return ctx.private(note)
    if setting and not value:
        state = "on" if info.get(setting, 1) else "off"
        return ctx.private(
            f"{setting} is {state}: {SETTINGS[setting]}. Change: /privacy {setting} on|off"
        )
    fields = tuple(
        (f"{key}: {'on' if info.get(key, 1) else 'off'}", desc) for key, desc in SETTINGS.items()
    )
    return ctx.private(
        "Change one with /privacy <setting> on|off. /export sends you everything stored "
        "about you; /forget deletes it.",
        title="Your privacy settings",
        fields=fields,
    )


def export_member(ctx: Context) -> dict[str, Any]:
    """Everything every feature stores about the member, as one JSON-ready dict."""
    data: dict[str, Any] = {
        "exported_at": ctx.now.astimezone(UTC).isoformat(),
        "community": ctx.store.community_name(ctx.community),
    }
    for f in ctx.core.features:
        for exporter in f.exporters:
            data.update(exporter(ctx.store, ctx.community, ctx.member))
    return data


@Privacy.command(
    "export", "Get everything Convene stores about you, as a JSON file (sent privately)."
)
async def export(ctx: Context, args: Args) -> Answer:
    data = json.dumps(export_member(ctx), indent=2, ensure_ascii=False, default=str)
    return Reply(
        "Here is everything Convene stores about you in this community.",
        attachment=Attachment("convene-export.json", data.encode(), description="your data"),
        visibility=Visibility.DM,
    )


@Privacy.command("forget", "Delete everything Convene stores about you in this community.")
async def forget(ctx: Context, args: Args) -> Answer:
    return ctx.private(
        "This deletes your profile, activity, intros and settings in this community. "
        "It cannot be undone. Are you sure?",
        buttons=(
            Button("Yes, delete everything", f"forget:yes:{ctx.member}", "danger"),
            Button("Cancel", f"forget:no:{ctx.member}"),
        ),
    )


@Privacy.button("forget")
async def forget_pressed(ctx: Context, payload: str) -> Answer:
    choice, _, member = payload.partition(":")
    if member != str(ctx.member):
        return ctx.private("That button belongs to someone else.")
    if choice != "yes":
        return ctx.private("Nothing was deleted.")
    forget_member(ctx.store, ctx.core.features, ctx.community, ctx.member)
    return ctx.private("Done: everything about you in this community is deleted.")


def forget_member(store: Store, features: list[Feature], community: int, member: int) -> None:
    """Run every feature's deleter, then remove the member and their identities."""
    for f in features:
        for deleter in f.deleters:
            deleter(store, community, member)
    store.forget_cached(community, member)
    with store.transaction() as c:
        c.execute("DELETE FROM identities WHERE member = ?", (member,))
        c.execute("DELETE FROM members WHERE id = ?", (member,))


@Privacy.exporter
def export_identity(store: Store, community: int, member: int) -> dict[str, Any]:
    info = store.member_info(member) or {}
    for key in ("first_seen", "joined_at", "last_seen"):
        if info.get(key):
            info[key] = datetime.fromtimestamp(info[key], UTC).isoformat()
    return {
        "member": info,
        "identities": [{"platform": p, "user": u} for p, u in store.identities(member)],
    }
