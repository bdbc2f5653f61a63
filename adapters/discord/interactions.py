"""Answering one Discord interaction: respond, defer, follow up, or notice it expired.

Discord allows 3 seconds for the first response. After a public "thinking" defer the first
follow-up replaces the placeholder, so a private answer deletes the placeholder first and
then follows up ephemerally.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import discord

from adapters.discord.render import Outgoing

log = logging.getLogger("convene.discord")

UNKNOWN_INTERACTION = 10062
UNKNOWN_WEBHOOK = 10015
# The interaction being answered, for work that reports progress (history reads).
current: contextvars.ContextVar[Replier | None] = contextvars.ContextVar(
    "convene_discord_interaction", default=None
)


class Replier:
    """The answers to one interaction, in order."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.deferred = False
        self.placeholder = False  # the deferred "thinking" message is still showing
        self.expired = False
        self.sent = 0

    async def defer(self) -> None:
        """Acknowledge now and answer later (for slow work)."""
        if self.expired or self.interaction.response.is_done():
            return
        try:
            await self.interaction.response.defer(thinking=True)
        except discord.HTTPException as exc:
            self._failed(exc)
            return
        self.deferred = self.placeholder = True

    async def send(self, out: Outgoing, *, ephemeral: bool) -> bool:
        """Answer with one message; False once the interaction can no longer be answered."""
        if self.expired:
            return False
        i = self.interaction
        kwargs = out.kwargs()
        try:
            if not i.response.is_done():
                await i.response.send_message(**kwargs, ephemeral=ephemeral)
            elif self.placeholder and not ephemeral:
                await i.edit_original_response(**_edit_kwargs(kwargs))
                self.placeholder = False
            else:
                if self.placeholder:
                    await i.delete_original_response()
                    self.placeholder = False
                await i.followup.send(**kwargs, ephemeral=ephemeral, wait=True)
        except discord.HTTPException as exc:
            self._failed(exc)
            return False
        self.sent += 1
        return True

    async def progress(self, text: str) -> None:
        """Show progress in the deferred placeholder (no-op when there is none)."""
        if not self.placeholder or self.expired:
            return
        try:
            await self.interaction.edit_original_response(
                content=text, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            self._failed(exc)

    async def finish(self) -> None:
        """Make sure the member is not left with "the application did not respond"."""
        if self.expired:
            return
        if not self.interaction.response.is_done():
            await self.send(Outgoing("Done."), ephemeral=True)
        elif self.placeholder:
            try:
                await self.interaction.delete_original_response()
            except discord.HTTPException as exc:
                self._failed(exc)
            self.placeholder = False

    def _failed(self, exc: discord.HTTPException) -> None:
        if isinstance(exc, discord.NotFound) and exc.code in (UNKNOWN_INTERACTION, UNKNOWN_WEBHOOK):
            log.warning("interaction %s expired before it was answered", self.interaction.id)
        else:
            log.warning("could not answer interaction %s: %s", self.interaction.id, exc)
        self.expired = True


def _edit_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    if "file" in out:
        out["attachments"] = [out.pop("file")]
    return out
