"""Which language a profile is written in (roughly), and whether the model reads it.

The bundled all-MiniLM-L6-v2 was trained on English; it puts any two Chinese texts close
together and Chinese far from English. When most of a community's profiles are in another
language and the multilingual model is not configured, admins are told.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from models.matching.profile import Profile

NAMES = {"en": "English", "zh": "Chinese", "es": "Spanish", "pt": "Portuguese", "ru": "Russian",
         "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "other": "another language"}  # fmt: skip
_WORDS = {
    "es": {"el", "los", "las", "una", "para", "con", "que", "del", "por", "nuestra", "nuestro",
           "buscamos", "somos", "y", "en", "de", "un"},
    "pt": {"os", "as", "uma", "para", "com", "que", "do", "da", "dos", "das", "nossa", "nosso",
           "não", "em", "de", "um", "e", "procuramos", "somos"},
    "en": {"the", "and", "for", "with", "our", "we", "a", "of", "to", "in", "who", "is", "i"},
}  # fmt: skip
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def language(text: str) -> str:
    """A rough language code: by script first, then by common words for Latin scripts."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "other"
    share = {
        "zh": sum("\u4e00" <= ch <= "\u9fff" for ch in letters),
        "ja": sum("\u3040" <= ch <= "\u30ff" for ch in letters),
        "ko": sum("\uac00" <= ch <= "\ud7af" for ch in letters),
        "ru": sum("\u0400" <= ch <= "\u04ff" for ch in letters),
        "ar": sum("\u0600" <= ch <= "\u06ff" for ch in letters),
    }
    script, count = max(share.items(), key=lambda kv: kv[1])
    if count > 0.3 * len(letters):
        return script
    words = [w.lower() for w in _TOKEN.findall(text)]
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()}
    if hits["pt"] > hits["es"] and re.search(r"ção|ões|ã|õ|\bnão\b|\bem\b", text.lower()):
        return "pt" if hits["pt"] >= hits["en"] else "en"
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] else "en"


def language_note(profiles: Iterable[Profile], multilingual: bool) -> str | None:
    """A sentence for admins when most profiles are in a language the model reads badly."""
    if multilingual:
        return None
    langs = Counter(language(f"{p.headline}. {p.offers} {p.seeks}") for p in profiles)
    total = sum(langs.values())
    if total < 3:
        return None
    other = total - langs.get("en", 0)
    if other <= total / 2:
        return None
    main, count = max(((k, v) for k, v in langs.items() if k != "en"), key=lambda kv: kv[1])
    return (
        f"{other} of {total} profiles here are not in English (mostly {NAMES[main]}, {count}), "
        'which the current model reads badly: set model = "multilingual" under [bot] in the '
        "config to match them well."
    )
