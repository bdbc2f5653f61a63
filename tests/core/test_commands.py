"""The command registry: parsing once, typed calls, subcommands, free text and errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from adapters.fake import FakeAdapter
from bot.commands import (
    Arg,
    Command,
    CommandCall,
    CommandError,
    Registry,
    UnknownCommand,
    UsageError,
    sub,
)
from bot.config import Config
from bot.core import Core
from bot.feature import Feature
from bot.features.profiles.store import load_profile
from bot.storage.store import Store

FREE_TEXT = 'We\'re hiring: intros to "top" VCs, path C:\\new\\deal'


async def _noop(ctx: object, args: object) -> None:
    return None


def _group() -> Command:
    feature = Feature.define("t")
    feature.command(
        "event",
        "One event.",
        sub("rsvp", "RSVP.", Arg("event", "int")),
        sub("create", "Create one.", Arg("when"), Arg("title", "text"), admin=True),
        sub("where", "Place.", Arg("event", "int"), Arg("place", "text"), where="group"),
    )(_noop)
    feature.command(
        "digest", "Digest.", sub("status", "Status."), sub("now", "Now."), default="status"
    )(_noop)
    return feature.commands[0], feature.commands[1]  # type: ignore[return-value]


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    reg.add(Command("stats", "Stats.", _noop, (Arg("member", "member", default=None),)))
    reg.add(
        Command(
            "leaderboard",
            "Top members.",
            _noop,
            (Arg("days", "int", default=7, min=1, max=365),),
        )
    )
    reg.add(
        Command(
            "profile",
            "Profile.",
            _noop,
            (
                Arg("action", choices=("show", "set", "setup"), default="show"),
                Arg("field", default=None),
                Arg("value", "text", default=None),
            ),
        )
    )
    reg.add(Command("ratio", "A float.", _noop, (Arg("x", "float"),)))
    for command in _group():
        reg.add(command)
    return reg


def test_defaults_fill_missing_optional_args(registry: Registry) -> None:
    command, args = registry.read("/leaderboard")
    assert command.name == "leaderboard"
    assert args == {"days": 7}


def test_int_is_converted(registry: Registry) -> None:
    assert registry.read("/leaderboard 30")[1] == {"days": 30}


def test_float_is_converted_and_checked(registry: Registry) -> None:
    assert registry.read("/ratio 0.25")[1] == {"x": 0.25}
    with pytest.raises(UsageError, match="x must be a number"):
        registry.read("/ratio abc")
    with pytest.raises(UsageError, match="x must be a number"):
        registry.read("/ratio inf")


def test_wrong_type_shows_usage(registry: Registry) -> None:
    with pytest.raises(UsageError) as err:
        registry.read("/leaderboard lots")
    assert "days must be a whole number, not 'lots'" in str(err.value)
    assert "Usage: /leaderboard [days]" in str(err.value)


def test_bounds_are_enforced(registry: Registry) -> None:
    with pytest.raises(UsageError, match="at most 365"):
        registry.read("/leaderboard 1000")
    with pytest.raises(UsageError, match="at least 1"):
        registry.read("/leaderboard 0")


def test_choices_are_lowercased_and_checked(registry: Registry) -> None:
    assert registry.read("/profile SET headline hi")[1]["action"] == "set"
    with pytest.raises(UsageError) as err:
        registry.read("/profile sett")
    assert "one of: show, set, setup" in str(err.value)
    assert "Did you mean set?" in str(err.value)


def test_free_text_is_kept_exactly_as_typed(registry: Registry) -> None:
    """Apostrophes, double quotes and backslashes in a trailing text argument stay."""
    _, args = registry.read(f"/profile set headline {FREE_TEXT}")
    assert args == {"action": "set", "field": "headline", "value": FREE_TEXT}
    _, args = registry.read('/profile set headline "Building payroll" for LatAm')
    assert args["value"] == '"Building payroll" for LatAm'
    _, args = registry.read("/event create 2026-12-03T18:30 We're   here")
    assert args["title"] == "We're   here"


def test_words_split_at_any_whitespace_and_text_keeps_its_lines(registry: Registry) -> None:
    _, args = registry.read("/profile\nset\theadline  line one\n  line two ")
    assert args == {"action": "set", "field": "headline", "value": "line one\n  line two"}
    assert registry.read("/event rsvp\n3")[1]["event"] == 3


def test_quotes_group_the_words_of_an_earlier_argument(registry: Registry) -> None:
    _, args = registry.read("/profile set 'head line' x")
    assert args["field"] == "head line"
    _, args = registry.read("/stats 'Ada Lovelace'")
    assert args == {"member": "Ada Lovelace"}
    _, args = registry.read("/stats Ada O'Brien")
    assert args == {"member": "Ada O'Brien"}


def test_unclosed_quote_in_a_word_is_a_usage_error(registry: Registry) -> None:
    with pytest.raises(UsageError, match="A quote is not closed"):
        registry.read('/profile set "head value')


def test_extra_arguments_are_refused(registry: Registry) -> None:
    with pytest.raises(UsageError, match="Too many arguments: '2'"):
        registry.read("/ratio 1 2")
    with pytest.raises(UsageError, match="/digest now takes no more words"):
        registry.read("/digest now please")


def test_a_trailing_member_takes_a_full_name(registry: Registry) -> None:
    assert registry.read("/stats Ada Lovelace")[1] == {"member": "Ada Lovelace"}


def test_missing_required_argument(registry: Registry) -> None:
    with pytest.raises(UsageError, match=r"Missing x\.\nUsage: /ratio <x>"):
        registry.read("/ratio")


def test_unknown_command_suggests_the_closest(registry: Registry) -> None:
    with pytest.raises(UnknownCommand, match=r"no /leaderbord command\. Did you mean /leaderboard"):
        registry.read("/leaderbord")
    with pytest.raises(UnknownCommand) as err:
        registry.read("/zzzz")
    assert "Did you mean" not in str(err.value)


def test_bot_suffix_and_case_are_ignored(registry: Registry) -> None:
    assert registry.read("/Stats@ConveneBot Ada")[0].name == "stats"


def test_over_long_input_is_refused_in_one_sentence(registry: Registry) -> None:
    with pytest.raises(CommandError, match="4,000"):
        registry.read("/stats " + "x" * 5000)
    with pytest.raises(UsageError, match="the limit is 4,000"):
        registry.bind(CommandCall("stats", None, {"member": "x" * 5000}))


def test_control_characters_are_dropped(registry: Registry) -> None:
    _, args = registry.read("/stats A\x00d\x1ba")
    assert args == {"member": "Ada"}
    _, args = registry.bind(CommandCall("stats", None, {"member": "A\x00da"}))
    assert args == {"member": "Ada"}


def test_duplicate_declaration_is_a_programming_error(registry: Registry) -> None:
    with pytest.raises(ValueError, match="declared twice"):
        registry.add(Command("stats", "again", _noop))
    with pytest.raises(ValueError, match="text argument must come last"):
        Command("x", "x", _noop, (Arg("a", "text"), Arg("b")))


def test_usage_marks_required_and_optional(registry: Registry) -> None:
    assert registry.commands["profile"].usage == "/profile [show|set|setup] [field] [value]"
    assert registry.commands["ratio"].usage == "/ratio <x>"
    event = registry.commands["event"]
    assert event.usage == "/event <rsvp|create|where> …"
    assert Command("g", "g", _noop, subcommands=event.subcommands * 2).usage == "/g <action> …"
    assert event.subcommand("create").usage == "/event create <when> <title>"
    assert registry.commands["digest"].usage == "/digest [status|now] …"


# -- subcommands -----------------------------------------------------------------------------


def test_subcommands_parse_with_their_own_arguments(registry: Registry) -> None:
    call = registry.parse("/event rsvp 3")
    assert call == CommandCall("event", "rsvp", {"event": "3"})
    command, args = registry.bind(call)
    assert (command.qualified, args) == ("event rsvp", {"event": 3, "action": "rsvp"})
    command, args = registry.read("/event where 3 Factory, Room 2")
    assert args == {"event": 3, "place": "Factory, Room 2", "action": "where"}
    assert command.where == "group"


def test_subcommands_carry_their_own_flags(registry: Registry) -> None:
    event = registry.commands["event"]
    flags = {s.name: (s.admin, s.where) for s in event.subcommands}
    assert flags == {"rsvp": (False, "any"), "create": (True, "any"), "where": (False, "group")}
    assert not event.admin  # a group is admin-only only when every subcommand is
    names = [c.qualified for c in registry.walk() if c.parent == "event"]
    assert names == ["event rsvp", "event create", "event where"]


def test_a_group_without_a_default_asks_which_one(registry: Registry) -> None:
    with pytest.raises(UsageError, match="Which one\\? /event takes one of: rsvp, create, where"):
        registry.read("/event")
    assert registry.read("/digest")[0].qualified == "digest status"


def test_an_unknown_subcommand_names_the_closest(registry: Registry) -> None:
    with pytest.raises(UnknownCommand) as err:
        registry.read("/event rsvpp 3")
    assert "There is no /event rsvpp" in str(err.value)
    assert "Did you mean /event rsvp?" in str(err.value)
    with pytest.raises(UsageError, match=r"Usage: /event rsvp <event>"):
        registry.read("/event rsvp soon")


def test_a_typed_call_is_checked_like_text(registry: Registry) -> None:
    _, args = registry.bind(CommandCall("event", "rsvp", {"event": 4}))
    assert args == {"event": 4, "action": "rsvp"}
    with pytest.raises(UsageError, match="days must be at most 365"):
        registry.bind(CommandCall("leaderboard", None, {"days": 400}))
    with pytest.raises(UsageError, match="Missing title"):
        registry.bind(CommandCall("event", "create", {"when": "2026-12-03T18:30"}))
    _, args = registry.bind(CommandCall("event", "create", {"when": "x", "title": FREE_TEXT}))
    assert args["title"] == FREE_TEXT
    with pytest.raises(UsageError, match="Unknown option: colour"):
        registry.bind(CommandCall("stats", None, {"colour": "red"}))


# -- end to end through the core -------------------------------------------------------------


async def test_help_lists_a_groups_subcommands(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/help event")
    assert sent.reply.title == "/event"
    listed = [name for name, _ in sent.reply.fields]
    assert "/event rsvp [event]" in listed
    assert not any("create" in name for name in listed)  # admin-only, hidden from members
    [admin] = await chat.say("admin", "/help event")
    assert any(name.startswith("/event create") for name, _ in admin.reply.fields)
    [one] = await chat.say("ana", "/help event rsvp")
    assert one.reply.title == "/event rsvp"
    assert "Usage: /event rsvp [event]" in one.text


async def test_admin_subcommand_is_refused_by_the_core(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/rounds now")
    assert sent.text == "/rounds now is for the community's admins only."
    [ok] = await chat.say("ana", "/rounds join")
    assert "You're in the intro rounds" in ok.text


async def test_free_text_reaches_the_store_unchanged_on_the_console(tmp_path: Path) -> None:
    """The console path: a typed line with an apostrophe, quotes and backslashes."""
    store = Store(tmp_path / "c.db")
    core = Core(Config(database=tmp_path / "c.db"), store)
    out = io.StringIO()
    console = ConsoleAdapter(core, user="ana", stdout=out)
    try:
        await console.handle_line("hello")
        await console.handle_line(f"/profile set headline {FREE_TEXT}")
        await console.handle_line("/profile set seeks intros to \"top\" VCs, don't 'mind'")
        member = store.scalar("SELECT id FROM members WHERE name = 'ana'")
        community = store.space_community("console", "local")
        profile = load_profile(store, community, member)
        assert profile is not None
        assert profile.headline == FREE_TEXT
        assert profile.seeks == "intros to \"top\" VCs, don't 'mind'"
        assert "A quote is not closed" not in out.getvalue()
    finally:
        await core.close()
