"""Persistent buttons through discord.py's own machinery: a `DynamicItem` per Convene button.

A button's custom_id is ``convene:<callback>``; discord.py matches presses against the
template (registered once with `Client.add_dynamic_items`), so buttons sent before a restart
keep working and foreign custom_ids are left alone. The press goes to the client's `press`
callback (the adapter), which hands the callback to the core as a button event.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.replies import Button
from bot.text import shorten

PREFIX = "convene:"
CUSTOM_ID_LIMIT = 100  # Discord's limit for a component's custom_id
LABEL_LIMIT = 80
Press = Callable[[discord.Interaction, str], Awaitable[None]]
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class ConveneClient(discord.Client):
    """discord.py's client, knowing whom to tell about a press of a Convene button."""

    def __init__(self, press: Press, **options: Any) -> None:
        super().__init__(**options)
        self.press = press

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ConveneButton)


def custom_id(callback: str) -> str | None:
    """The custom_id for a button callback; None if it would pass Discord's 100 characters."""
    value = PREFIX + callback
    return value if len(value) <= CUSTOM_ID_LIMIT else None


class ConveneButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(PREFIX) + r"(?P<callback>.+)", re.DOTALL),
):
    """One button whose custom_id carries the core's callback id."""

    def __init__(
        self, callback: str, label: str = "\u200b", style: str | discord.ButtonStyle = "secondary"
    ) -> None:
        cid = custom_id(callback)
        if cid is None:
            raise ValueError(f"button callback {callback!r} is longer than Discord allows")
        if not isinstance(style, discord.ButtonStyle):
            style = STYLES.get(style, discord.ButtonStyle.secondary)
        super().__init__(
            discord.ui.Button(label=shorten(label, LABEL_LIMIT), style=style, custom_id=cid)
        )
        self.callback_id = callback

    @classmethod
    def of(cls, button: Button) -> ConveneButton:
        return cls(button.callback, button.label, button.style)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ConveneButton:
        label = getattr(item, "label", None) or "\u200b"
        return cls(match["callback"], label, getattr(item, "style", "secondary"))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, ConveneClient):
            await client.press(interaction, self.callback_id)
