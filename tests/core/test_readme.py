"""The README's command table and command-line section name what the code accepts."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.core import Core

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_command_table_lists_every_command_and_only_real_ones(core: Core) -> None:
    first_cells = [
        re.split(r"(?<!\\)\|", line)[1]
        for line in _section("Commands").splitlines()
        if line.startswith("| `/")
    ]
    listed: set[tuple[str, str]] = set()
    for cell in first_cells:
        for name, rest in re.findall(r"`/(\w+) ?([^`]*)`", cell):
            first = rest.split(" ")[0]  # "rsvp\\|unrsvp", "[join\\|leave]", "<member>"
            words = [] if first.startswith("<") else re.findall(r"[a-z]+", first)
            listed.update((name, w) for w in words or [""])
    names = {name for name, _ in listed}
    assert names == {c.name for c in core.registry}
    for name, word in listed:
        command = core.registry.commands[name]
        if command.is_group and word:
            assert word in {s.name for s in command.subcommands}, f"/{name} {word}"
    for command in core.registry:
        for sub in command.subcommands:
            assert (command.name, sub.name) in listed, f"/{command.name} {sub.name} not listed"


def test_the_command_line_section_lists_every_subcommand() -> None:
    shown = set(re.findall(r"^convene (\w+)", _section("Command line"), re.MULTILINE))
    parser = build_parser()
    [commands] = [a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices]
    assert shown == set(commands.choices)
