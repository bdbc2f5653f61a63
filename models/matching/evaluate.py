"""Scoring a matcher on a labelled set: recall@5, hit@1, AUC (good pair above a tempting bad
pair) and the share of suggestions whose reasons fail simple honesty checks, beside a plain
mutual-cosine baseline with only the role filter.

The honesty checks are written apart from the matcher's own reasoning: they read the why
lines as a member would (the quoted words), find where each quote comes from, and fail a
reason that quotes the wrong side, quotes a negated clause or an exclusion, links a need and
an offer no closer than unrelated clauses are, or answers a money ask with a non-investor.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.matching.profile import COMPLEMENTS, Profile
from models.matching.types import TextEncoder, mutual

K = 5
_QUOTE = re.compile(r"“([^”]*)”")
_NEGATION = re.compile(
    r"^(\S+\s+){0,2}(not|no|don'?t|doesn'?t|never|without|except|exclud\w*|sin|nunca|"
    r"excepto|não|nao|sem|не|без|нет)\b|^.{0,4}[不非无没]",
    re.IGNORECASE,
)  # a cue among the first words: "we don't back", "no SMB", "不投", "não atendo"
_DEBT = re.compile(r"debt|loan|lend|credit|project finance|receivable|deuda|dívida|кредит|债", re.I)
_MONEY = re.compile(
    r"(\$|€|£|¥|r\$|us\$|\binvest\w*|\bfund(ing|ed|s)?\b|\bangels?\b|\bseed\b|\bpre-seed\b|"
    r"\bseries [a-d]\b|\bround\b|\blead\b|\bcheques?\b|\braise|\bcapital\b|"
    r"inversor\w*|inversi\w*|ronda|semilla|investidor\w*|rodada|инвест\w*|раунд|ангел\w*|"
    r"融资|领投|投资|天使轮|种子轮|[A-D]轮)",
    re.IGNORECASE,
)


def is_money_ask(text: str) -> bool:
    """Whether a quoted need asks for money (the checker's own, deliberately simple rule)."""
    return bool(_MONEY.search(text))


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """Profiles with good pairs (seeker, candidate) and tempting-bad pairs."""

    profiles: list[Profile]
    good: list[tuple[int, int]]
    bad: list[tuple[int, int]]
    excludes: dict[int, str] = field(default_factory=dict)  # member -> typed exclusions


@dataclass(slots=True)
class Figures:
    """One ranker's figures on a set."""

    name: str
    recall_at_5: float
    hit_at_1: float
    auc: float
    honesty_failures: float
    whys: int
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        auc_text = "n/a (no bad pairs)" if np.isnan(self.auc) else f"{self.auc:.3f}"
        return (
            f"{self.name:<10} recall@5 {self.recall_at_5:.3f}  hit@1 {self.hit_at_1:.3f}  "
            f"AUC {auc_text}  honesty failures {self.honesty_failures:.1%} of {self.whys}"
        )


class Ranker:
    """What evaluation needs from a ranker: top-n with reasons and a pair score."""

    def ranked(self, member: int, n: int) -> list[tuple[int, list[str]]]:
        raise NotImplementedError

    def pair_score(self, a: int, b: int) -> float:
        """Higher is better; -inf when the pair would never be suggested."""
        raise NotImplementedError


def auc(good: Sequence[float], bad: Sequence[float]) -> float:
    """P(a good pair scores above a bad pair), ties counting half."""
    if not good or not bad:
        return float("nan")
    g = np.asarray(good, dtype=np.float64)[:, None]
    b = np.asarray(bad, dtype=np.float64)[None, :]
    return float(np.mean((g > b) + 0.5 * (g == b)))


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _found_in(quoted: str, text: str) -> bool:
    q = _norm(quoted).rstrip("…").strip()
    return bool(q) and q in _norm(text)


class HonestyChecker:
    """Checks why lines against the two profiles and an encoder's notion of 'related'."""

    def __init__(self, lset: LabelledSet, vectors: dict[str, np.ndarray], floor: float) -> None:
        self.by_id = {p.member: p for p in lset.profiles}
        self.excludes = lset.excludes
        self.vectors = vectors
        self.floor = floor

    def _sim(self, x: str, y: str) -> float | None:
        vx, vy = self.vectors.get(x), self.vectors.get(y)
        return None if vx is None or vy is None else float(vx @ vy)

    def _clean(self, quoted: str, owner: Profile, texts: Sequence[str]) -> str | None:
        """None when the quote is honest material from `texts` of `owner`, else the fault."""
        if not any(_found_in(quoted, t) for t in texts):
            return "quotes text that is not the right member's"
        if _found_in(quoted, self.excludes.get(owner.member, "")):
            return "quotes an exclusion"
        if _NEGATION.search(quoted):
            return "quotes a negated clause"
        return None

    def check(self, seeker: int, candidate: int, whys: Sequence[str]) -> list[str]:
        """The faults of one suggestion's reasons (empty when honest)."""
        a, b = self.by_id[seeker], self.by_id[candidate]
        faults: list[str] = []
        for line in whys:
            quotes = _QUOTE.findall(line)
            if line.startswith("Offers") and len(quotes) == 2:
                offer, need = quotes
                faults += filter(None, [self._clean(offer, b, [b.offers, b.headline])])
                faults += filter(None, [self._clean(need, a, [a.seeks])])
                debt = bool(_DEBT.search(need) and _DEBT.search(offer))
                if is_money_ask(need) and "investor" not in b.roles and not debt:
                    faults.append("a money ask answered by a non-investor")
                sim = self._sim(offer.rstrip("…"), need.rstrip("…"))
                if sim is not None and sim < self.floor:
                    faults.append(f"offer and need unrelated (cosine {sim:.2f})")
            elif line.startswith("Looking for") and quotes:
                faults += filter(None, [self._clean(quotes[0], b, [b.seeks])])
            elif line.startswith("Both based in"):
                place = line.removeprefix("Both based in ").strip().lower()
                if (a.region or "").strip().lower() != place or (
                    b.region or ""
                ).strip().lower() != place:
                    faults.append("claims both are based in one place")
        return faults


Ranked = dict[int, list[tuple[int, list[str]]]]


def rank_all(ranker: Ranker, lset: LabelledSet) -> Ranked:
    """Every seeker's top K with reasons."""
    return {a: ranker.ranked(a, K) for a in sorted({a for a, _ in lset.good})}


def quotes_of(ranked: Ranked) -> list[str]:
    """Every quoted fragment in the reasons (the checker embeds them)."""
    return [q.rstrip("…") for rows in ranked.values() for _, why in rows for w in why
            for q in _QUOTE.findall(w)]  # fmt: skip


def evaluate(
    name: str, ranker: Ranker, ranked: Ranked, lset: LabelledSet, checker: HonestyChecker
) -> Figures:
    """recall@5, hit@1, AUC and honesty failures of one ranker."""
    goods: dict[int, set[int]] = {}
    for a, b in lset.good:
        goods.setdefault(a, set()).add(b)
    recall = sum(b in [m for m, _ in ranked[a][:K]] for a, b in lset.good) / len(lset.good)
    hits = sum(bool(ranked[a]) and ranked[a][0][0] in goods[a] for a in ranked) / len(ranked)
    score_good = [ranker.pair_score(a, b) for a, b in lset.good]
    score_bad = [ranker.pair_score(a, b) for a, b in lset.bad]
    whys = 0
    failures: list[str] = []
    for a, rows in ranked.items():
        for b, why in rows:
            whys += 1
            faults = checker.check(a, b, why)
            if faults:
                failures.append(f"{a}->{b}: {'; '.join(faults)} | {' / '.join(why[:2])}")
    return Figures(
        name, recall, hits, auc(score_good, score_bad), len(failures) / max(whys, 1), whys, failures
    )


async def encode_all(encoder: TextEncoder, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Vectors for distinct non-empty texts."""
    unique = list(dict.fromkeys(t for t in texts if t))
    if not unique:
        return {}
    return dict(zip(unique, await encoder.aencode(unique), strict=True))


def clause_split(text: str) -> list[str]:
    """The baseline's plain clause split (sentence punctuation in any script)."""
    parts = re.split(r"(?<=[.!?;])\s+|[。；！？\n]+", text)
    return [p.strip(" .;,") for p in parts if p.strip(" .;,")]


class CosineBaseline(Ranker):
    """Plain mutual cosine of whole seeks vs offers+headline, with only the role filter."""

    def __init__(self, profiles: Sequence[Profile], vectors: dict[str, np.ndarray]) -> None:
        self.by_id = {p.member: p for p in profiles}
        self.v = vectors
        self.dim = len(next(iter(vectors.values())))

    @staticmethod
    def texts(p: Profile) -> list[str]:
        offers = (p.headline + ". " + p.offers).strip(". ")
        return [offers, p.seeks, *clause_split(p.offers), *clause_split(p.seeks)]

    def _vec(self, text: str) -> np.ndarray:
        return self.v.get(text, np.zeros(self.dim, dtype=np.float32))

    def _fit(self, a: Profile, b: Profile) -> float:
        offers = (b.headline + ". " + b.offers).strip(". ")
        return float(self._vec(a.seeks) @ self._vec(offers))

    def _roles_ok(self, a: Profile, b: Profile) -> bool:
        comp = set().union(*(COMPLEMENTS.get(r, frozenset()) for r in a.roles))
        return a.member != b.member and (not a.roles or not b.roles or bool(comp & b.roles))

    def pair_score(self, a: int, b: int) -> float:
        pa, pb = self.by_id[a], self.by_id[b]
        if not self._roles_ok(pa, pb):
            return float("-inf")
        return float(mutual(np.array([self._fit(pa, pb)]), np.array([self._fit(pb, pa)]), 0.65)[0])

    def ranked(self, member: int, n: int) -> list[tuple[int, list[str]]]:
        scored = sorted(
            ((self.pair_score(member, b), b) for b in self.by_id if b != member), reverse=True
        )
        out = []
        for s, b in scored[:n]:
            if not np.isfinite(s):
                break
            out.append((b, self._why(self.by_id[member], self.by_id[b])))
        return out

    def _why(self, a: Profile, b: Profile) -> list[str]:
        needs, offers = clause_split(a.seeks), clause_split(b.offers) or [b.headline]
        best = max(
            ((float(self._vec(x) @ self._vec(y)), x, y) for x in needs for y in offers if y),
            default=None,
        )
        return [f"Offers “{best[2]}”, for your need “{best[1]}”"] if best else []


def related_floor(vectors: dict[str, np.ndarray], needs: Sequence[str], offers: Sequence[str],
                  quantile: float = 0.8, seed: int = 7) -> float:  # fmt: skip
    """The cosine that `quantile` of random (need, offer) clause pairings stay below: a
    reason must link clauses closer than most unrelated ones (about 0.2 for MiniLM)."""
    rng = np.random.default_rng(seed)
    n = np.stack([vectors[t] for t in needs if t in vectors])
    o = np.stack([vectors[t] for t in offers if t in vectors])
    i = rng.integers(0, len(n), 4000)
    j = rng.integers(0, len(o), 4000)
    return float(np.quantile(np.sum(n[i] * o[j], axis=1), quantile))
