"""Real community chats for the benchmarks: where they come from and how to read them.

The data is not in this repository (it is other people's chat). Bring it in once from the
public repositories below, at the commits named, into a folder of your choice:

    git clone https://github.com/qTox/qtox-irc-logs DIR/qtox
        (git -C DIR/qtox checkout 2c9e1784cfc3194ae0f3c1fcd8694b29cbe4a798)
    git clone https://github.com/tennashi/slacklog DIR/vimjp-repo
        (git -C DIR/vimjp-repo archive 13fb9c131ab68f18dca717ef8a0db60312f46bfc slacklog_data
         | tar -x -C DIR/vimjp)

then point the benchmarks at DIR with `--data DIR` or the CONVENE_REALCHAT variable.

- qtox: the #qtox IRC channel (the qTox client's developer community), June 2016 to
  February 2017: about 35,600 messages, English.
- vimjp: the vim-jp Slack community's public channels (the log-data branch of the
  slacklog generator), March to April 2020: about 12,100 messages, Japanese.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SOURCES = {
    "qtox": ("qTox/qtox-irc-logs", "2c9e1784cfc3194ae0f3c1fcd8694b29cbe4a798", "en"),
    "vimjp": (
        "tennashi/slacklog (branch log-data)",
        "13fb9c131ab68f18dca717ef8a0db60312f46bfc",
        "ja",
    ),
}
_IRC_LINE = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] <([^>]+)> (.*)$")
_IRC_FILE = re.compile(r"#qtox_(\d{4})(\d\d)(\d\d)\.log\.txt$")
_SLACK_MENTION = re.compile(r"<@(U[A-Z0-9]+)>")
_SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]+))?>")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a real chat."""

    at: datetime
    author: str
    text: str
    reply_to: str | None = None  # the author this message answers, when the log says so


def data_dir(given: str | None = None) -> Path:
    """The folder holding the chats: `given`, else $CONVENE_REALCHAT."""
    found = given or os.environ.get("CONVENE_REALCHAT")
    if not found:
        raise SystemExit(
            "Say where the real chats are: --data DIR or CONVENE_REALCHAT=DIR "
            "(see bench/realchat.py for how to fetch them)."
        )
    return Path(found)


def load_qtox(root: Path) -> list[ChatMessage]:
    """The #qtox IRC logs: one file per day, `[HH:MM:SS] <nick> text` lines."""
    out: list[ChatMessage] = []
    for path in sorted(root.rglob("#qtox_*.log.txt")):
        day = _IRC_FILE.search(path.name)
        if day is None:
            continue
        y, mo, d = (int(g) for g in day.groups())
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = _IRC_LINE.match(line)
            if m is None:
                continue
            h, mi, s, nick, text = m.groups()
            at = datetime(y, mo, d, int(h), int(mi), int(s), tzinfo=UTC)
            first = text.split(" ", 1)[0].rstrip(":,")
            out.append(ChatMessage(at, nick, text, first if first != text else None))
    nicks = {m.author for m in out}
    return [m if m.reply_to in nicks else ChatMessage(m.at, m.author, m.text, None) for m in out]


def load_vimjp(root: Path) -> list[ChatMessage]:
    """A Slack export: users.json plus one JSON list of messages per channel and day."""
    base = root / "slacklog_data" if (root / "slacklog_data").exists() else root
    users = {}
    users_file = base / "users.json"
    if users_file.exists():
        for u in json.loads(users_file.read_text(encoding="utf-8")):
            profile = u.get("profile") or {}
            users[u["id"]] = profile.get("display_name") or u.get("name") or u["id"]
    out: list[ChatMessage] = []
    for path in sorted(base.glob("C*/*.json")):
        for m in json.loads(path.read_text(encoding="utf-8")):
            if m.get("subtype") or not m.get("text") or "user" not in m:
                continue
            text = _SLACK_LINK.sub(lambda g: g.group(2) or g.group(1), m["text"])
            text = _SLACK_MENTION.sub(lambda g: "@" + users.get(g.group(1), "someone"), text)
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            at = datetime.fromtimestamp(float(m["ts"]), UTC)
            out.append(ChatMessage(at, users.get(m["user"], m["user"]), text))
    out.sort(key=lambda m: m.at)
    return out


LOADERS = {"qtox": load_qtox, "vimjp": load_vimjp}


def load(name: str, root: Path) -> list[ChatMessage]:
    """The messages of chat `name` under `root` (time order)."""
    messages = LOADERS[name](root / name)
    messages.sort(key=lambda m: m.at)
    return messages


def to_discord_export(messages: list[ChatMessage], name: str) -> dict[str, object]:
    """The chat as a DiscordChatExporter JSON document (for `convene import discord`)."""
    ids = {a: str(1000 + i) for i, a in enumerate(sorted({m.author for m in messages}))}
    return {
        "guild": {"id": "1", "name": name},
        "channel": {"id": "2", "name": "general"},
        "messages": [
            {
                "id": str(10_000 + i),
                "type": "Default",
                "timestamp": m.at.isoformat(),
                "content": m.text,
                "author": {"id": ids[m.author], "name": m.author, "isBot": False},
            }
            for i, m in enumerate(messages)
        ],
    }


def digest_sample(
    messages: list[ChatMessage], *, days: int = 7, periods: int = 4, cap: int = 400
) -> tuple[list[ChatMessage], list[int]]:
    """What a digest at the end of the chat reads: the last `periods` periods of `days` days,
    each UTC day sampled to `cap` distinct texts by the topic worker's rule. Returns the
    sampled messages and each one's period index (0 = oldest, periods - 1 = current)."""
    from bot.features.digests.topic_worker import priority

    end = int(messages[-1].at.timestamp()) // 86400 * 86400 + 86400
    start = end - periods * days * 86400
    by_day: dict[int, dict[int, ChatMessage]] = {}
    for m in messages:
        ts = int(m.at.timestamp())
        if start <= ts < end and m.text.strip():
            by_day.setdefault(ts // 86400, {}).setdefault(priority(m.text), m)
    picked: list[ChatMessage] = []
    period: list[int] = []
    for day in sorted(by_day):
        keep = sorted(by_day[day])[:cap]
        for key in keep:
            picked.append(by_day[day][key])
            period.append((day * 86400 - start) // (days * 86400))
    return picked, period
