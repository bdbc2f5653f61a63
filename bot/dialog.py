"""Step-by-step dialogs in a private chat, run by the core so they work on every adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.commands import CommandError
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.context import Answer, Context

SKIP_WORDS = {"skip", "-", "none", "n/a"}


@dataclass(frozen=True, slots=True)
class Question:
    """One step. `parse` turns the answer into a value or raises CommandError to ask again."""

    key: str
    prompt: str
    parse: Callable[[str], Any] = str
    optional: bool = True


@dataclass
class Dialog:
    """A sequence of questions; `finish` receives the answers when the last one is given."""

    questions: list[Question]
    finish: Callable[[Context, dict[str, Any]], Awaitable[Answer]]
    answers: dict[str, Any] = field(default_factory=dict)
    step: int = 0
    done: bool = False

    def prompt(self) -> Reply:
        q = self.questions[self.step]
        hint = " (or 'skip')" if q.optional else ""
        footer = f"Step {self.step + 1} of {len(self.questions)}{hint}. /cancel stops."
        return Reply(f"{q.prompt}\n\n{footer}")

    async def answer(self, ctx: Context, text: str) -> Answer:
        """Take the member's answer to the current question and ask the next one."""
        q = self.questions[self.step]
        text = text.strip()
        if text.lower() in SKIP_WORDS and q.optional:
            pass
        elif not text:
            return self.prompt()
        else:
            try:
                self.answers[q.key] = q.parse(text)
            except CommandError as exc:
                return Reply(f"{exc} Please try again.")
        self.step += 1
        if self.step < len(self.questions):
            return self.prompt()
        self.done = True
        return await self.finish(ctx, self.answers)
