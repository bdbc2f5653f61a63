"""The command registry: parsing typed arguments, defaults, choices, quotes and errors."""

from __future__ import annotations

import pytest

from bot.commands import Arg, Command, CommandError, Registry, UnknownCommand, UsageError


async def _noop(ctx: object, args: object) -> None:
    return None


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
    return reg


def test_defaults_fill_missing_optional_args(registry: Registry) -> None:
    command, args = registry.parse("/leaderboard")
    assert command.name == "leaderboard"
    assert args == {"days": 7}


def test_int_is_converted(registry: Registry) -> None:
    assert registry.parse("/leaderboard 30")[1] == {"days": 30}


def test_float_is_converted_and_checked(registry: Registry) -> None:
    assert registry.parse("/ratio 0.25")[1] == {"x": 0.25}
    with pytest.raises(UsageError, match="x must be a number"):
        registry.parse("/ratio abc")


def test_wrong_type_shows_usage(registry: Registry) -> None:
    with pytest.raises(UsageError) as err:
        registry.parse("/leaderboard lots")
    assert "days must be a whole number, not 'lots'" in str(err.value)
    assert "Usage: /leaderboard [days]" in str(err.value)


def test_bounds_are_enforced(registry: Registry) -> None:
    with pytest.raises(UsageError, match="at most 365"):
        registry.parse("/leaderboard 1000")
    with pytest.raises(UsageError, match="at least 1"):
        registry.parse("/leaderboard 0")


def test_choices_are_lowercased_and_checked(registry: Registry) -> None:
    assert registry.parse("/profile SET headline hi")[1]["action"] == "set"
    with pytest.raises(UsageError) as err:
        registry.parse("/profile sett")
    assert "one of: show, set, setup" in str(err.value)
    assert "Did you mean set?" in str(err.value)


def test_text_takes_the_rest_of_the_line_and_quotes_group(registry: Registry) -> None:
    _, args = registry.parse('/profile set headline "Building payroll" for LatAm')
    assert args == {"action": "set", "field": "headline", "value": "Building payroll for LatAm"}
    _, args = registry.parse("/stats 'Ada Lovelace'")
    assert args == {"member": "Ada Lovelace"}


def test_unclosed_quote_is_a_usage_error(registry: Registry) -> None:
    with pytest.raises(UsageError, match="A quote is not closed"):
        registry.parse('/stats "Ada')


def test_extra_arguments_are_refused(registry: Registry) -> None:
    with pytest.raises(UsageError, match="Too many arguments: '2'"):
        registry.parse("/ratio 1 2")


def test_a_trailing_member_takes_a_full_name(registry: Registry) -> None:
    assert registry.parse("/stats Ada Lovelace")[1] == {"member": "Ada Lovelace"}


def test_missing_required_argument(registry: Registry) -> None:
    with pytest.raises(UsageError, match=r"Missing x\.\nUsage: /ratio <x>"):
        registry.parse("/ratio")


def test_unknown_command_suggests_the_closest(registry: Registry) -> None:
    with pytest.raises(UnknownCommand, match=r"no /leaderbord command\. Did you mean /leaderboard"):
        registry.parse("/leaderbord")
    with pytest.raises(UnknownCommand) as err:
        registry.parse("/zzzz")
    assert "Did you mean" not in str(err.value)


def test_bot_suffix_and_case_are_ignored(registry: Registry) -> None:
    assert registry.parse("/Stats@ConveneBot Ada")[0].name == "stats"


def test_over_long_input_is_refused_in_one_sentence(registry: Registry) -> None:
    with pytest.raises(CommandError, match="4,000"):
        registry.parse("/stats " + "x" * 5000)


def test_control_characters_are_dropped(registry: Registry) -> None:
    _, args = registry.parse("/stats A\x00d\x1ba")
    assert args == {"member": "Ada"}


def test_duplicate_declaration_is_a_programming_error(registry: Registry) -> None:
    with pytest.raises(ValueError, match="declared twice"):
        registry.add(Command("stats", "again", _noop))


def test_usage_marks_required_and_optional(registry: Registry) -> None:
    assert registry.commands["profile"].usage == "/profile [show|set|setup] [field] [value]"
    assert registry.commands["ratio"].usage == "/ratio <x>"
