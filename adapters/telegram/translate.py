"""Translating python-telegram-bot objects into core `ChatEvent`s (no network, no core calls).

Each PTB handler of the adapter calls one function here. Admin status is filled in later by
the adapter (it needs an API call, and only commands and button presses need it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Message,
    MessageEntity,
    MessageReactionUpdated,
    User,
)

from bot.chat_event import ChatEvent, EventKind, starts_with_command

PLATFORM = "telegram"
PRESENT = frozenset(
    {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
)


@dataclass(frozen=True, slots=True)
class Commands:
    """What the translator needs to know about commands: our username and the names we own."""

    username: str
    names: dict[str, str]  # Telegram command name -> core command name

    def close_to_ours(self, name: str) -> bool:
        return bool(difflib.get_close_matches(name, self.names, n=1, cutoff=0.75))


def telegram_name(core_name: str) -> str:
    """Telegram allows a-z, 0-9 and _ in command names."""
    return core_name.lower().replace("-", "_")[:32]


def _where(chat: Chat) -> tuple[str, bool] | None:
    """(space, is_direct) for a chat, or None for chats the bot does not serve (channels)."""
    if chat.type == Chat.PRIVATE:
        return "", True
    if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        return str(chat.id), False
    return None


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _thread(message: Message) -> str | None:
    if message.is_topic_message and message.message_thread_id is not None:
        return str(message.message_thread_id)
    return None


def _person(message: Message) -> tuple[str, str, bool] | None:
    """(user id, display name, is anonymous admin) of whoever sent a message."""
    sender = message.sender_chat
    if sender is not None:
        anonymous_admin = sender.id == message.chat.id
        return str(sender.id), sender.title or sender.effective_name or "Channel", anonymous_admin
    if message.from_user is not None:
        return str(message.from_user.id), message.from_user.full_name, False
    return None


def _event(
    chat: Chat, user: User, kind: EventKind, at: datetime | None, thread: str | None = None
) -> ChatEvent | None:
    where = _where(chat)
    if where is None:
        return None
    space, direct = where
    return ChatEvent(
        PLATFORM,
        space,
        str(chat.id),
        str(user.id),
        user.full_name,
        kind,
        thread=thread,
        is_direct=direct,
        at=_utc(at),
        handle=user.username or "",
        space_title=chat.title or "",
    )


def command_text(message: Message, commands: Commands) -> str | None:
    """The core's command line for a message, "" to ignore it, or None if it is no command.

    ``/cmd@OtherBot`` is ignored; ``/cmd@OurBot args`` becomes ``/cmd args``. PTB's
    `CommandHandler` already routes our own commands to the adapter; this still runs for
    the fallback handler, which must tell a typo of ours (answered) from another bot's
    command (counted as activity), and it gives the core the line it parses.
    """
    text = message.text or ""
    entity = next(
        (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0),
        None,
    )
    if entity is None:
        return None
    head, rest = text[: entity.length], text[entity.length :]
    name, _, addressee = head[1:].partition("@")
    if addressee and addressee.lower() != commands.username.lower():
        return ""
    name = name.lower()
    core = commands.names.get(name)
    if core is None:
        in_group = message.chat.type != Chat.PRIVATE
        if in_group and not addressee and not commands.close_to_ours(name):
            return None  # another bot's command: plain activity, no answer from us
        core = name
    return f"/{core}{rest}"


def message_events(message: Message, commands: Commands) -> list[ChatEvent]:
    """A message: one activity or command event, or join/leave events for service messages."""
    where = _where(message.chat)
    if where is None:
        return []
    at = message.date
    if message.new_chat_members:
        return [
            e
            for u in message.new_chat_members
            if not u.is_bot and (e := _event(message.chat, u, "join", at)) is not None
        ]
    if message.left_chat_member is not None:
        gone = message.left_chat_member
        event = None if gone.is_bot else _event(message.chat, gone, "leave", at)
        return [event] if event else []
    from_bot = message.from_user is not None and message.from_user.is_bot
    anonymous_admin = message.sender_chat is not None and message.sender_chat.id == message.chat.id
    if (message.is_automatic_forward or from_bot) and not anonymous_admin:
        return []  # a channel's post mirrored into its discussion group, or another bot
    person = _person(message)
    if person is None:
        return []
    user, name, anonymous_admin = person
    space, direct = where
    text = message.text or message.caption or ""
    length = None
    line = command_text(message, commands) if message.text else None
    if line == "":
        return []
    if line is not None:
        text = line
    elif starts_with_command(text):
        # another bot's command: count it, but do not store or answer it
        text, length = "", len(text)
    return [
        ChatEvent(
            PLATFORM,
            space,
            str(message.chat.id),
            user,
            name,
            "message",
            text,
            thread=_thread(message),
            is_direct=direct,
            is_admin=anonymous_admin,
            at=_utc(at),
            length=length,
            raw=message,
            handle=(message.from_user.username or "") if message.from_user else "",
            space_title=message.chat.title or "",
        )
    ]


def member_events(change: ChatMemberUpdated) -> list[ChatEvent]:
    """A ``chat_member`` update: a join when someone became present, a leave when they went."""
    old, new = change.old_chat_member, change.new_chat_member
    if new.user.is_bot:
        return []
    was = old.status in PRESENT and getattr(old, "is_member", True)
    now = new.status in PRESENT and getattr(new, "is_member", True)
    if was == now:
        return []
    event = _event(change.chat, new.user, "join" if now else "leave", change.date)
    return [event] if event else []


def reaction_events(reaction: MessageReactionUpdated) -> list[ChatEvent]:
    """A reaction added by a known user (anonymous and removed reactions are not activity)."""
    if reaction.user is None or len(reaction.new_reaction) <= len(reaction.old_reaction):
        return []
    event = _event(reaction.chat, reaction.user, "reaction", reaction.date)
    return [event] if event else []


def button_event(query: CallbackQuery, callback: str) -> ChatEvent | None:
    """A pressed inline button (its core callback restored by PTB) as a core button event."""
    if query.message is None:
        return None
    message = query.message
    where = _where(message.chat)
    if where is None:
        return None
    space, direct = where
    thread = str(message.message_thread_id) if getattr(message, "is_topic_message", False) else None
    return ChatEvent(
        PLATFORM,
        space,
        str(message.chat.id),
        str(query.from_user.id),
        query.from_user.full_name,
        "button",
        callback,
        thread=thread,
        is_direct=direct,
        raw=query,
        handle=query.from_user.username or "",
        space_title=message.chat.title or "",
    )
