"""Mentions in reply text: rendered per adapter, never forged by member input, never cut."""

from __future__ import annotations

from adapters.base import render_plain
from bot.commands import Arg, Command, Registry
from bot.replies import Mention, Reply, mentions_in, render_mentions
from bot.text import split_message


async def _noop(ctx: object, args: object) -> None:
    return None


def test_a_mention_round_trips_through_text() -> None:
    ada = Mention("discord", "42", "Ada  Lovelace")
    text = f"Meet {ada}, then {Mention('telegram', '7', 'Tom')}."
    assert mentions_in(text) == [ada, Mention("telegram", "7", "Tom")]
    assert render_mentions(text) == "Meet Ada  Lovelace, then Tom."
    assert render_mentions(text, lambda m: f"<{m.platform}:{m.user}>") == (
        "Meet <discord:42>, then <telegram:7>."
    )


def test_plain_rendering_shows_the_name() -> None:
    reply = Reply(f"Reach {Mention('console', 'ana', 'Ana')} on console.", title="Intro")
    assert render_plain(reply) == "== Intro ==\nReach Ana on console."


def test_member_input_cannot_forge_a_mention() -> None:
    registry = Registry()
    registry.add(Command("say", "Say.", _noop, (Arg("text", "text"),)))
    forged = str(Mention("discord", "1", "everyone"))
    _, args = registry.read(f"/say hi {forged}")
    assert mentions_in(args["text"]) == []


def test_splitting_a_long_text_never_cuts_a_mention() -> None:
    name = "Ada Maria Lovelace Byron"
    text = " ".join(["word"] * 30) + f" {Mention('discord', '42', name)} " + "end " * 30
    for limit in range(80, 130):  # limits over twice the mention (Discord: 2,000)
        pieces = split_message(text, limit)
        found = [m for p in pieces for m in mentions_in(p)]
        assert found == [Mention("discord", "42", name)], limit
