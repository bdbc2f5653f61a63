"""Matching profiles: /profile (show, set a field, guided setup in a private chat) and /whois."""

from __future__ import annotations

from typing import Any

from bot.commands import Arg, Args, CommandError, sub
from bot.context import Answer, Context
from bot.dialog import KINDS, Dialog, Question, dialog_kind, forget_dialogs
from bot.feature import Feature
from bot.features.matching.feature import Matching
from bot.features.profiles.fields import (
    ALIASES,
    FIELD_HELP,
    FIELDS,
    PARSERS,
    apply,
    describe,
    set_field,
)
from bot.features.profiles.store import (
    MIGRATIONS,
    delete_profile,
    export_profile,
    load_profile,
    save_profile,
)
from bot.replies import Reply
from models.matching.profile import ROLE_HELP, ROLES, SECTORS, STAGES, Profile


class Profiles(
    Feature,
    name="profiles",
    migrations=MIGRATIONS,
    member_columns=[("profiles", "member"), ("dialogs", "member")],
):
    """Matching profiles; the matching feature reads them through `profiles.store`."""


Profiles.exporter(export_profile)
Profiles.deleter(delete_profile)
Profiles.deleter(forget_dialogs)  # an open profile setup names the member

HOW_TO = (
    "Set one up step by step with /profile setup in a private chat with me, or field by "
    "field with /profile set <field> <value>. Fields: " + ", ".join(FIELDS) + "."
)


def render(p: Profile, *, private: bool = False) -> Reply:
    """A profile as a reply: the headline as text, the other fields as fields."""
    return Reply(
        p.headline or "(no headline yet)", title=p.name, fields=describe(p, private=private)
    )


def current_profile(ctx: Context) -> Profile:
    found = load_profile(ctx.store, ctx.community, ctx.member)
    return found or Profile(ctx.member, ctx.member_name(ctx.member))


async def store_profile(ctx: Context, community: int, p: Profile) -> None:
    """Save a profile and bring the community's matcher up to date with it."""
    save_profile(ctx.store, community, p, int(ctx.now.timestamp()))
    if ctx.core.has(Matching) and ctx.core.feature(Matching).service.available:
        matching = ctx.core.feature(Matching).service
        matching.changed(community)
        await matching.matcher(community)


@Profiles.command(
    "profile",
    "Show your matching profile, change one field, or set it up step by step.",
    sub("show", "Show your matching profile."),
    sub("set", "Change one field of your profile.",
        Arg("field", help="the field to set", default=None, asked=True, choices=FIELDS,
            aliases=ALIASES),
        Arg("value", "text", help="the new value ('none' clears it)", default=None,
            asked=True),
        details="Fields:\n" + "\n".join(f"{k} — {v}" for k, v in FIELD_HELP.items())),
    sub("setup", "Set up your profile step by step, in a private chat."),
    default="show",
    details="Fields:\n" + "\n".join(f"{k} — {v}" for k, v in FIELD_HELP.items()),
)  # fmt: skip
async def profile(ctx: Context, args: Args) -> Answer:
    action, field, value = args["action"], args.get("field"), args.get("value")
    if action == "setup":
        return start_setup(ctx)
    if action == "set":
        if field is None:
            raise CommandError(
                "Which field? /profile set <field> <value>, with field one of: "
                + ", ".join(FIELDS)
                + "."
            )
        if value is None:
            return ctx.private(
                f"{field}: {FIELD_HELP[field]}.\nUsage: /profile set {field} <value>"
            )
        updated = set_field(current_profile(ctx), field, value)
        await store_profile(ctx, ctx.community, updated)
        shown = render(updated, private=True)
        return ctx.private(
            f"Saved your {field}.\n\n{shown.text}", title=shown.title, fields=shown.fields
        )
    found = load_profile(ctx.store, ctx.community, ctx.member)
    setup = ctx.core.dialogs.get((ctx.event.platform, ctx.event.user))
    if found is None and setup is not None and not setup.done:
        return ctx.private(
            f"Your profile setup is at step {setup.step + 1} of {len(setup.questions)}: "
            "answer its question in our private chat and it is saved at the end, or /cancel."
        )
    if found is None:
        return ctx.private("You have no matching profile yet. " + HOW_TO)
    shown = render(found, private=True)
    return ctx.private(
        shown.text + "\n\nChange a field with /profile set <field> <value>.",
        title=f"Your profile: {found.name}",
        fields=shown.fields,
    )


@Profiles.command(
    "whois",
    "Show another member's matching profile.",
    Arg("member", "member", "whose profile"),
)
async def whois(ctx: Context, args: Args) -> Answer:
    member, name = ctx.find_member(args["member"])
    found = load_profile(ctx.store, ctx.community, member)
    if found is None or (not found.visible and member != ctx.member):
        return ctx.private(f"{name} has no visible profile.")
    return ctx.private(**_kwargs(render(found)))


def _kwargs(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "title": reply.title, "fields": reply.fields}


# -- guided setup ---------------------------------------------------------------------------


def setup_questions() -> list[Question]:
    roles = "\n".join(f"• {r} — {ROLE_HELP[r]}" for r in ROLES)
    return [
        Question(
            "roles",
            f"Which role(s) describe you? e.g. founder, or mentor investor\n{roles}",
            PARSERS["roles"],
        ),
        Question(
            "headline",
            "Your headline: one line about you (up to 120 characters).",
            PARSERS["headline"],
        ),
        Question(
            "offers", "What can you offer other members? (up to 500 characters)", PARSERS["offers"]
        ),
        Question("seeks", "What are you looking for? (up to 500 characters)", PARSERS["seeks"]),
        Question("sectors", "Your sectors, up to 5 of: " + ", ".join(SECTORS), PARSERS["sectors"]),
        Question(
            "stage",
            "Your company's stage (or the stage you invest in): " + ", ".join(STAGES),
            PARSERS["stage"],
        ),
        Question(
            "based_in",
            "Where are you based? Write it as you would say it, e.g. Berlin, Germany · "
            "Lisboa · SF Bay Area · 深圳 · remote.",
            PARSERS["based_in"],
        ),
        Question(
            "serves",
            "Investors, partners, mentors: where do you invest or work? Countries or regions, "
            "comma separated (e.g. Europe, East Africa, Southeast Asia), or global. Founders: "
            "skip.",
            PARSERS["serves"],
        ),
        Question(
            "excludes",
            "Anything you do NOT want or offer? e.g. 'no crypto', 'not for therapeutics', "
            "'only pre-seed' (up to 300 characters). It keeps wrong matches away.",
            PARSERS["excludes"],
        ),
        Question(
            "checks",
            "Investors: your check size in $k, e.g. 25-250. Founders: the size "
            "of your round, e.g. 500-1500.",
            PARSERS["checks"],
        ),
        Question(
            "portfolio",
            "Investors: companies you back, 'Name (what it does); ...', so direct competitors "
            "are not suggested to you. Others: skip.",
            PARSERS["portfolio"],
        ),
        Question("links", "Up to 3 links (https://…), separated by spaces.", PARSERS["links"]),
    ]


@dialog_kind("profile-setup", setup_questions)
async def finish_setup(
    ctx: Context, community: int, member: int, answers: dict[str, Any]
) -> Answer:
    """The last answer of profile setup: save the profile (the dialog may have started in
    another process; everything it needs comes from the store)."""
    p = load_profile(ctx.store, community, member) or Profile(member, ctx.member_name(member))
    for name, value in answers.items():
        p = apply(p, name, value)
    await store_profile(ctx, community, p)
    shown = render(p, private=True)
    return Reply(
        f"Your profile is saved.\n\n{shown.text}\n\nTry /match in the group to see who you "
        "should meet; /profile set <field> <value> changes a field.",
        title=shown.title,
        fields=shown.fields,
    )


def start_setup(ctx: Context) -> Answer:
    """Start the step-by-step profile dialog in the member's private chat."""
    member = ctx.member
    dialog = Dialog(KINDS["profile-setup"], ctx.community, member)
    ctx.core.dialogs[(ctx.event.platform, ctx.event.user)] = dialog
    intro = (
        "Let's set up your matching profile. Answer each question here; 'skip' keeps what "
        "you have.\n\n"
    )
    first = dialog.prompt()
    if ctx.event.is_direct:
        return Reply(intro + first.text)
    sent = ctx.dm(member, intro + first.text)
    if sent is None:
        ctx.core.dialogs.pop((ctx.event.platform, ctx.event.user), None)
        return ctx.private(
            "I can't reach you privately; message me directly and run /profile setup."
        )
    return [ctx.private("I've sent you a private message to set up your profile."), sent]
