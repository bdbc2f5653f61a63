"""Reading what members write, in any supported language: clauses, exclusions, money asks,
stage rules.

A profile's offers and seeks are split into clauses (sentence punctuation in any script,
CJK `。；！？，、`, long sentences at commas). A clause that *says no* ("we don't back
lenders", "not for therapeutics", "no SMB", "不投硬件", "no invertimos en cripto", "não
atendo B2B", "не инвестируем в игры") is an exclusion, never an offer or a need; a clause
that *restricts* ("only pre-seed", "India only", "只投天使轮", "solo México", "só Brasil",
"только Казахстан") is a rule. Both are found by a cue near the start of the clause, so
"investors who are not scared of hardware" stays a wish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.matching.profile import STAGES

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|[。；！？\n]+|\s+[•·–—]\s+|\s+-\s+|(?<=[.;])(?=[^\s\d])")
_CJK_COMMA = re.compile(r"[，、,](?=[^\x00-\x7f])|(?<=[^\x00-\x7f])[，、,]")
_COMMA = re.compile(r",\s+(?:and\s+|y\s+|e\s+|и\s+)?|\s+and\s+")
LONG_CLAUSE_WORDS = 18
CJK_LONG = 40  # characters: CJK sentences longer than this are cut at commas

# Subjects that may stand before the cue ("we don't", "I never", "我们不投").
_SUBJECT = r"(?:(?:we|i|our fund|the fund|this fund|nosotros|nós|мы|я|我们|我|本基金)\s*)?"
_NEG_CUE = re.compile(
    r"^\W*" + _SUBJECT + r"(?:"
    r"(?:do\s+not|don'?t|does\s+not|doesn'?t|will\s+not|won'?t|never|not|no|none|nor|"
    r"without|avoid|exclud\w*|except|pass\s+on|steer\s+clear|can'?t|cannot)\b"
    r"|(?:no|sin|nunca|ni|jamás|excepto)\b"
    r"|(?:não|nao|sem|nunca|nem|exceto)\b"
    r"|(?:не|без|нет|ни|никогда|кроме)(?![а-яё])"
    r"|[不非无没勿](?!仅|只|错|少|同|断|久|过)"
    r")",
    re.IGNORECASE,
)
_ONLY_CUE = re.compile(
    r"\b(only|exclusively|solely|solo|sólo|solamente|únicamente|exclusivamente|apenas|somente|"
    r"só)\b|(?<![а-яё])(только|исключительно)(?![а-яё])|[只仅]|限于",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\d\s?(?:k|m|mm|million|millones|milhões|млн|万|亿)\b|"
    r"\b(?:invest(?:or|ors|ment|ing)?|funding|funds?|fundraising|raise|raising|round|"
    r"angels?|vcs?|capital|cheques?|checks?|tickets?|lead(?:\s+investor)?|seed|pre-seed|"
    r"series\s+[a-d]|backers?|financing|money|equity|debt)\b|"
    r"inversi\w+|inversor\w*|inversionista\w*|ronda|semilla|financiaci\w+|capital|"
    r"investidor\w*|investimento\w*|rodada|aporte|"
    r"инвест\w*|раунд\w*|ангел\w*|финансирован\w*|"
    r"融资|领投|跟投|投资人|投资|天使轮|种子轮|[A-D]轮|资金",
    re.IGNORECASE,
)
_STAGE_WORDS: tuple[tuple[str, str], ...] = (
    (r"pre[- ]?seed|pre[- ]?semilla|pr[ée][- ]?seed|pr[ée]-?semente|天使轮|天使|ангельск\w*", "pre-seed"),
    (r"\bseed|semilla|semente|种子轮|种子|посевн\w*", "seed"),
    (r"series\s+a\b|serie\s+a\b|s[ée]rie\s+a\b|a轮|раунд\s+a\b", "series-a"),
    (r"series\s+[b-e]\b|s[ée]rie\s+[b-e]\b|growth|later|[b-e]轮|раунд\s+[b-e]\b", "series-b+"),
    (r"\bidea\b|ideation|idée|ideia|идея", "idea"),
)  # fmt: skip


def _is_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" for ch in text)


def clauses(text: str) -> list[str]:
    """Sentences/clauses of a free-text field in any script."""
    out: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        sentence = sentence.strip(" .;:,!?\t，、")
        if not sentence:
            continue
        if _is_cjk(sentence):
            parts = [p.strip(" ，、,") for p in _CJK_COMMA.split(sentence)]
            out.extend(p for p in parts if len(p) >= 2)
        elif len(sentence.split()) > LONG_CLAUSE_WORDS:
            parts = [p.strip(" .;,") for p in _COMMA.split(sentence)]
            out.extend(p for p in parts if len(p.split()) >= 2)
        else:
            out.append(sentence)
    return out


_CONJUNCTION = re.compile(r",\s+(?:and\s+)?|\s+(?:and|y|e|и|as well as)\s+|[和及以及，、]")


_ASKS_FOR_SOMEONE = re.compile(
    r"\b(mentor|advis[eo]r|partner|engineer|co-?founder|someone|somebody|lawyer|bank|"
    r"manufacturer|distributor|customer|pilot|intro\w*|hire|designer|expert|consultant|"
    r"socio|asesor|abogado|socio|parceiro|sócio|mentora?|advogado|alguém|alguien|"
    r"ментор\w*|партн[её]р\w*|советник\w*|юрист\w*)\b|导师|合伙人|合作|顾问|工厂|律师",
    re.IGNORECASE,
)


def split_money(clause: str) -> list[str]:
    """A clause that asks for money and for something else ("a seed investor and an NHS
    procurement mentor") as its parts, so each is answered by the right member."""
    if not is_money(clause):
        return [clause]
    parts = [p.strip(" ,.") for p in _CONJUNCTION.split(clause) if len(p.strip(" ,.")) >= 2]
    if len(parts) < 2 or all(is_money(p) for p in parts):
        return [clause]
    if any(len(p.split()) < 2 and not _is_cjk(p) for p in parts):
        return [clause]
    if not all(is_money(p) or _ASKS_FOR_SOMEONE.search(p) for p in parts):
        return [clause]  # "a fund that leads our seed and knows health": one ask
    return parts


def is_negative(clause: str) -> bool:
    """Whether the clause says what a member does not do or want."""
    return bool(_NEG_CUE.search(clause))


def is_restriction(clause: str) -> bool:
    """Whether the clause limits who the member works with ("only ...")."""
    return bool(_ONLY_CUE.search(clause))


def is_money(clause: str) -> bool:
    """Whether a clause is about money (only investors answer those needs)."""
    return bool(_MONEY.search(clause))


_DEBT = re.compile(
    r"\b(?:debt|loans?|lend\w*|credit facilit\w*|project finance|receivables?|asset-backed)\b|"
    r"deuda|dívida|кредит\w*|долг\w*|债|贷款",
    re.IGNORECASE,
)


def is_debt(clause: str) -> bool:
    """Whether a clause is about debt (lenders answer those money asks too)."""
    return bool(_DEBT.search(clause))


def stages_in(clause: str) -> set[str]:
    """The stages a clause names (pre-seed is not read as seed)."""
    found: set[str] = set()
    rest = clause.lower()
    for pattern, stage in _STAGE_WORDS:
        if re.search(pattern, rest):
            found.add(stage)
            rest = re.sub(pattern, " ", rest)
    return found


@dataclass(frozen=True, slots=True)
class Reading:
    """One profile field read clause by clause."""

    positive: tuple[str, ...]  # what the member offers / seeks
    negative: tuple[str, ...]  # what they say they do not do or want
    restrictions: tuple[str, ...]  # "only ..." rules


def read(text: str, *, excludes: str = "") -> Reading:
    """Split a field into positive clauses, exclusions and restrictions. Every clause of
    `excludes` (the member's own "does not want or offer" field) is an exclusion unless it
    is an "only" rule."""
    pos: list[str] = []
    neg: list[str] = []
    only: list[str] = []
    for c in clauses(text):
        if is_negative(c):
            neg.append(c)
        elif _restrictive(c):
            only.append(c)
        else:
            pos.extend(split_money(c))
    for c in clauses(excludes):
        (only if _restrictive(c) and not is_negative(c) else neg).append(c)
    return Reading(tuple(pos), tuple(neg), tuple(only))


def _restrictive(clause: str) -> bool:
    """An "only" clause that is a rule about who, not an offer ("the only tool that...")."""
    return is_restriction(clause) and not re.search(r"\bthe only\b|\bnot only\b", clause, re.I)


def stage_rules(reading: Reading) -> tuple[set[str], set[str]]:
    """(allowed, refused) stages from a profile's rules; allowed empty = no limit."""
    allowed: set[str] = set()
    refused: set[str] = set()
    for c in reading.restrictions:
        allowed |= stages_in(c)
    for c in reading.negative:
        refused |= stages_in(c)
    if allowed:
        refused -= allowed
    return allowed, refused


def stage_allowed(stage: str | None, allowed: set[str], refused: set[str]) -> bool:
    """Whether a founder at `stage` passes an investor's stage rules."""
    if stage is None or stage not in STAGES:
        return True
    if allowed and stage not in allowed:
        return False
    return stage not in refused
