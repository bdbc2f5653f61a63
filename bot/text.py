"""Text hygiene shared by every feature and adapter: cleaning input, safe output, splitting."""

from __future__ import annotations

import re

MAX_INPUT = 4000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_MASS_MENTION = re.compile(r"@(everyone|here|channel|all)\b", re.IGNORECASE)


def valid_text(text: str) -> str:
    """The text with anything UTF-8 cannot hold (lone surrogates) replaced by U+FFFD.

    A surrogate pair split into two code points (as some JSON encoders write emoji) is
    joined back into its character.
    """
    if text.isascii():  # (a flag CPython keeps on the string: no scan)
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean(text: str) -> str:
    """Valid text without control characters (newlines and tabs stay) or bidi overrides."""
    if text.isprintable():  # no control, format or surrogate code point: nothing to do
        return text
    return _CONTROL.sub("", valid_text(text))


def defuse_mentions(text: str) -> str:
    """Make @everyone / @here inert by putting a zero-width space after the @."""
    return _MASS_MENTION.sub(lambda m: "@\u200b" + m.group(1), text)


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Trim to at most `limit` characters, on a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def split_message(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, preferring line breaks."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """'1 member', '3 members'."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
