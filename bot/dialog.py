"""Step-by-step dialogs in a private chat, run by the core so they work on every adapter.

An open dialog lives in the store (table ``dialogs``), not in a process: with several bot
processes the next answer may reach another one, which picks the dialog up where it was.
A dialog is therefore data: its kind (registered with `dialog_kind`), the community and
member it is for, the step, and the answers as typed (parsed again when it finishes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.commands import CommandError
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.context import Answer, Context
    from bot.storage.store import Store

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE dialogs (
            platform TEXT NOT NULL, user TEXT NOT NULL, kind TEXT NOT NULL,
            community INTEGER NOT NULL, member INTEGER NOT NULL, step INTEGER NOT NULL,
            answers TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (platform, user))""",
    ]
]

SKIP_WORDS = {"skip", "-", "none", "n/a"}


@dataclass(frozen=True, slots=True)
class Question:
    """One step. `parse` turns the answer into a value or raises CommandError to ask again."""

    key: str
    prompt: str
    parse: Callable[[str], Any] = str
    optional: bool = True


Finish = Callable[["Context", int, int, dict[str, Any]], Awaitable["Answer"]]


@dataclass(frozen=True, slots=True)
class DialogKind:
    """A kind of dialog: its questions and what to do with the answers (`finish(ctx,
    community, member, answers)`)."""

    name: str
    questions: Callable[[], list[Question]]
    finish: Finish


KINDS: dict[str, DialogKind] = {}


def dialog_kind(name: str, questions: Callable[[], list[Question]]) -> Callable[[Finish], Finish]:
    """Register the decorated function as the `finish` of a kind of dialog."""

    def register(finish: Finish) -> Finish:
        KINDS[name] = DialogKind(name, questions, finish)
        return finish

    return register


@dataclass
class Dialog:
    """One member's dialog of one kind; `texts` are the answers as typed so far."""

    kind: DialogKind
    community: int
    member: int
    texts: dict[str, str] = field(default_factory=dict)
    step: int = 0
    done: bool = False
    questions: list[Question] = field(init=False)

    def __post_init__(self) -> None:
        self.questions = self.kind.questions()

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
                q.parse(text)
            except CommandError as exc:
                return Reply(f"{exc} Please try again.")
            self.texts[q.key] = text
        self.step += 1
        if self.step < len(self.questions):
            return self.prompt()
        self.done = True
        by_key = {q.key: q for q in self.questions}
        answers = {key: by_key[key].parse(text) for key, text in self.texts.items()}
        return await self.kind.finish(ctx, self.community, self.member, answers)


class Dialogs:
    """The open dialogs, one per platform user, kept in the store.

    Used like a dict keyed by ``(platform, user)``: `get`, ``dialogs[key] = dialog`` (also
    to save a step), `pop`.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("dialogs", MIGRATIONS)

    def get(self, key: tuple[str, str]) -> Dialog | None:
        rows = self.store.rows(
            "SELECT kind, community, member, step, answers FROM dialogs "
            "WHERE platform = ? AND user = ?",
            key,
        )
        if not rows or rows[0]["kind"] not in KINDS:
            return None
        row = rows[0]
        dialog = Dialog(KINDS[row["kind"]], int(row["community"]), int(row["member"]))
        dialog.texts = json.loads(row["answers"])
        dialog.step = min(int(row["step"]), len(dialog.questions) - 1)
        return dialog

    def __setitem__(self, key: tuple[str, str], dialog: Dialog) -> None:
        values = (dialog.kind.name, dialog.community, dialog.member, dialog.step)
        with self.store.transaction() as c:
            c.execute(
                "INSERT INTO dialogs (platform, user, kind, community, member, step, answers, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user) DO "
                "UPDATE SET kind = excluded.kind, community = excluded.community, "
                "member = excluded.member, step = excluded.step, answers = excluded.answers, "
                "updated_at = excluded.updated_at",
                (*key, *values, json.dumps(dialog.texts), int(time.time())),
            )

    def __contains__(self, key: tuple[str, str]) -> bool:
        return self.get(key) is not None

    def pop(self, key: tuple[str, str], default: None = None) -> Dialog | None:
        found = self.get(key)
        with self.store.transaction() as c:
            c.execute("DELETE FROM dialogs WHERE platform = ? AND user = ?", key)
        return found if found is not None else default


def forget_dialogs(store: Store, community: int, member: int) -> None:
    """Delete a member's open dialogs (the privacy contract)."""
    with store.transaction() as c:
        c.execute("DELETE FROM dialogs WHERE community = ? AND member = ?", (community, member))
