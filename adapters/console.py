"""The console adapter: a terminal chat in a local community, no tokens needed.

Lines typed are messages from the current member; /commands work; ``:as NAME`` switches
member, ``:1``.. picks a button of the last reply, ``:help`` lists these, ``:quit`` leaves.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adapters.base import render_plain
from bot.chat_event import ChatEvent
from bot.core import Core
from bot.delivery import route, target_for
from bot.replies import Button, Capabilities, Reply, Visibility

SPACE = "local"
CHAT = "general"
CONSOLE_HELP = (
    "Type a message, or a /command (/help lists them).\n"
    ":as NAME   speak as another member      :1, :2 …  press a button of the last reply\n"
    ":dm        talk to the bot privately    :group    back to the group chat\n"
    ":quit      leave"
)


@dataclass
class ConsoleAdapter:
    """Reads lines from `stdin`, writes rendered replies to `stdout`."""

    core: Core
    user: str = "organizer"
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "console"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(ephemeral=True, images=False, max_text=100_000)
    )
    direct: bool = False
    buttons: list[Button] = field(default_factory=list)
    space: str = SPACE  # the console space; `convene chat --community` links it to a community
    files: Path | None = None  # attachments (charts, exports) are written here when set

    def __post_init__(self) -> None:
        self.core.attach(self)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def prompt(self) -> str:
        where = "dm" if self.direct else f"#{CHAT}"
        return f"{self.user} @ {where}> "

    async def run(self) -> None:
        """The read-eval-print loop; returns on :quit or end of input."""
        loop = asyncio.get_running_loop()
        self.write(CONSOLE_HELP)
        while True:
            self.stdout.write(self.prompt())
            self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                self.write("")
                return
            if not await self.handle_line(line.rstrip("\n")):
                return

    async def handle_line(self, line: str) -> bool:
        """Act on one typed line; False means the member asked to leave."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._meta(text[1:])
        await self._send(self._event(text))
        return True

    async def _meta(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        if word in ("quit", "q", "exit"):
            self.write("Bye.")
            return False
        if word == "as" and rest.strip():
            self.user = rest.strip()
            self.write(f"(you are now {self.user})")
        elif word == "dm":
            self.direct = True
            self.write("(private chat with Convene)")
        elif word == "group":
            self.direct = False
            self.write(f"(back in #{CHAT})")
        elif word.isdigit():
            index = int(word) - 1
            if not 0 <= index < len(self.buttons):
                self.write(f"(no such button: the last reply has {len(self.buttons)} button(s))")
            else:
                await self._send(self._event(self.buttons[index].callback, kind="button"))
        else:
            self.write(CONSOLE_HELP)
        return True

    def _event(self, text: str, kind: str = "message") -> ChatEvent:
        return ChatEvent(
            platform=self.name,
            space="" if self.direct else self.space,
            chat=f"dm-{self.user}" if self.direct else CHAT,
            user=self.user,
            name=self.user,
            kind=kind,  # type: ignore[arg-type]
            text=text,
            is_direct=self.direct,
            at=self.core.clock(),
            handle=self.user,
        )

    async def _send(self, event: ChatEvent) -> None:
        for reply in await route(self.core, self, await self.core.handle(event)):
            self.show(reply, target_for(reply, event, self.capabilities).user)

    def show(self, reply: Reply, to_user: str | None = None) -> None:
        """Print a reply, marking private ones, and remember its buttons."""
        if to_user and to_user != self.user:
            label = f"[private to {to_user}] "
        elif reply.visibility is not Visibility.PUBLIC or to_user:
            label = "[only you] "
        else:
            label = ""
        body = render_plain(reply)
        if reply.attachment:
            body += "\n" + self._save(reply)
        self.write(label + body.replace("\n", "\n  ") if label else body)
        if reply.buttons:
            self.buttons = list(reply.buttons)
            self.write(f"  (type :1 to :{len(reply.buttons)} to choose)")

    def _save(self, reply: Reply) -> str:
        """Write the reply's attachment under `files` (never over an earlier one)."""
        att = reply.attachment
        assert att is not None
        what = att.description or "file"
        if self.files is None:
            return f"({what}: {len(att.data):,} bytes, not saved)"
        self.files.mkdir(parents=True, exist_ok=True)
        stem, dot, ext = att.filename.rpartition(".")
        stem, ext = (stem, dot + ext) if dot else (att.filename, "")
        path, n = self.files / att.filename, 1
        while path.exists():
            n += 1
            path = self.files / f"{stem}-{n}{ext}"
        path.write_bytes(att.data)
        return f"({what}: saved to {path})"

    async def deliver(self, reply: Reply) -> bool:
        assert reply.to is not None
        self.show(reply, reply.to.user)
        return True
