"""discord.py objects → `ChatEvent`s: messages, joins, leaves, reactions, interactions.

A thread is logged under its parent channel with the thread id beside it. Without the
message content intent a guild message arrives with empty text: only its count is kept.
"""

from __future__ import annotations

import discord

from bot.chat_event import ChatEvent, EventKind
from bot.commands import CommandCall

PLATFORM = "discord"
MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def chat_of(client: discord.Client | None, channel_id: int) -> tuple[str, str | None]:
    """(chat, thread) for a channel id: a thread maps to its parent channel."""
    channel = client.get_channel(channel_id) if client else None
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return str(channel.parent_id), str(channel.id)
    return str(channel_id), None


def message_event(client: discord.Client, message: discord.Message) -> ChatEvent | None:
    """A member's message; None for bots and system messages (joins come as member events)."""
    author = message.author
    if author.bot or message.type not in MESSAGE_TYPES:
        return None
    guild = message.guild
    if guild is None:  # a DM: text always visible; typed /commands work here
        return ChatEvent(
            PLATFORM,
            "",
            str(message.channel.id),
            str(author.id),
            author.display_name,
            text=message.content,
            is_direct=True,
            at=message.created_at,
            raw=message,
            handle=author.name,
        )
    chat, thread = chat_of(client, message.channel.id)
    text = message.content
    length = None
    if not client.intents.message_content and not text:
        length = 0  # the content intent is off: only the count is known
    is_admin = isinstance(author, discord.Member) and author.guild_permissions.manage_guild
    return ChatEvent(
        PLATFORM,
        str(guild.id),
        chat,
        str(author.id),
        author.display_name,
        text=text,
        thread=thread,
        is_admin=is_admin,
        commands=False,  # in a server, commands are slash-command interactions
        at=message.created_at,
        length=length,
        raw=message,
        handle=author.name,
        space_title=guild.name,
    )


def member_event(member: discord.Member, kind: EventKind) -> ChatEvent | None:
    """A join or leave (needs the Server Members intent); bots are not members here."""
    if member.bot:
        return None
    guild = str(member.guild.id)
    return ChatEvent(
        PLATFORM, guild, guild, str(member.id), member.display_name, kind=kind, raw=member,
        handle=member.name, space_title=member.guild.name,
    )  # fmt: skip


def reaction_event(
    client: discord.Client, payload: discord.RawReactionActionEvent
) -> ChatEvent | None:
    """A reaction in a guild by a member (raw, so uncached messages count too)."""
    member = payload.member
    if payload.guild_id is None or member is None or member.bot:
        return None
    chat, thread = chat_of(client, payload.channel_id)
    return ChatEvent(
        PLATFORM,
        str(payload.guild_id),
        chat,
        str(member.id),
        member.display_name,
        kind="reaction",
        thread=thread,
        is_admin=member.guild_permissions.manage_guild,
        raw=payload,
        handle=member.name,
    )


def interaction_event(
    client: discord.Client | None,
    interaction: discord.Interaction,
    text: str,
    kind: EventKind,
    *,
    call: CommandCall | None = None,
) -> ChatEvent:
    """A slash command (its typed `call`) or a button press (`text` is its callback id)."""
    user = interaction.user
    guild_id = interaction.guild_id
    chat, thread = chat_of(client, interaction.channel_id or 0)
    return ChatEvent(
        PLATFORM,
        str(guild_id) if guild_id else "",
        chat,
        str(user.id),
        user.display_name,
        kind=kind,
        text=text,
        thread=thread,
        is_direct=guild_id is None,
        is_admin=guild_id is not None and interaction.permissions.manage_guild,
        at=interaction.created_at,
        call=call,
        raw=interaction,
        handle=user.name,
        space_title=interaction.guild.name if interaction.guild else "",
    )
