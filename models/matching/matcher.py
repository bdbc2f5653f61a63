"""Member matching: hard filters, then mutual seeks/offers similarity read clause by clause,
then the text rules (exclusions, "only" places and stages, portfolio conflicts), a graded
place signal, and diversity (MMR).

The matcher keeps everything in memory and knows nothing of the store or the chat
platforms: feed it profiles with `sync`/`upsert`/`remove`, ask it with `suggest`,
`explain`, `why_not`, `screened`, `score_pair` and `pair_weights`.

Thresholds are calibrated per community, not fixed: the cosines of random (need, offer)
clause pairings of the community's own profiles give the null distribution, and a reason
is quoted only when its two clauses are closer than `WHY_QUANTILE` of those (so the same
rule holds for MiniLM, whose unrelated texts sit near 0.1, and for any other model).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.matching.calibration import REFERENCE_CLAUSES
from models.matching.profile import ROLES, Profile
from models.matching.reading_profile import ProfileReading, read_profile
from models.matching.rules import ATTR_COLUMNS, allowed, attributes, bonus
from models.matching.screen import (
    SAME_CITY_BONUS,
    exclusion_rule,
    place_line,
    place_rule,
    place_term,
    portfolio_rule,
    serving_side,
    stage_rule,
)
from models.matching.types import MatchError, Suggestion, TextEncoder, mutual
from models.matching.why import facts, quote
from models.vector_cache import normalize_rows
from models.vector_index import RowStore, VectorIndex, top_rows

__all__ = ["MatchError", "Matcher", "Suggestion", "TextEncoder", "mutual"]

REQUESTER_WEIGHT = 0.65  # weight of "they offer what I seek" in a suggestion's score
HEADLINE_WEIGHT = 0.35  # share of the headline mixed into the offers vector
WHOLE_WEIGHT = 0.5  # whole-text cosine vs best clause pair in a one-sided fit
SHORTLIST = 256  # candidates re-scored on both sides after the one-sided scans
MMR_LAMBDA = 0.85  # 1.0 = pure score, lower = more diverse
MMR_POOL = 3  # MMR picks n out of MMR_POOL * n best candidates
WHY_QUANTILE = 0.95  # a quoted reason beats 95% of random clause pairings
EXCLUSION_QUANTILE = 0.995  # "falls under their exclusion" by meaning
PORTFOLIO_QUANTILE = 0.998  # "a direct competitor" of a portfolio company
NOT_RAISING = 0.1  # an investor for a founder who asks for no money (or the other way round)
ENCODE_CHUNK = 1024  # texts per worker-thread job while syncing


@dataclass(slots=True)
class _Entry:
    profile: Profile
    r: ProfileReading
    offers_vecs: np.ndarray  # offer clauses (headline first)
    seeks_vecs: np.ndarray
    money: np.ndarray  # bool per seek clause: a money ask
    debt: np.ndarray  # bool per seek clause: a debt ask
    excl_vecs: np.ndarray
    portfolio_vecs: np.ndarray
    company: np.ndarray  # the whole offers vector (with the headline)
    seeks_whole: np.ndarray


@dataclass(frozen=True, slots=True)
class _Assessment:
    removed: str | None
    score: float
    fit_ab: float
    fit_ba: float
    best_ab: tuple[int, int, float] | None  # (seek clause of a, offer clause of b, cosine)
    best_ba: tuple[int, int, float] | None


def _stack(vecs: list[np.ndarray], dim: int) -> np.ndarray:
    return np.stack(vecs).astype(np.float32) if vecs else np.zeros((0, dim), np.float32)


class Matcher:
    """Suggests members to meet. Not thread-safe: call it from the event loop only."""

    def __init__(self, embedder: TextEncoder) -> None:
        self.embedder = embedder
        self._entries: dict[int, _Entry] = {}
        cols = {**ATTR_COLUMNS, "has_offers": ((), np.bool_), "has_seeks": ((), np.bool_)}
        self._attrs = RowStore(cols)
        self._offers: VectorIndex | None = None
        self._seeks: VectorIndex | None = None
        self._floors: dict[str, float] | None = None
        self._reference = np.zeros((0, 0), dtype=np.float32)  # calibration clauses

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, member: object) -> bool:
        return member in self._entries

    def members(self) -> list[int]:
        """Every indexed member."""
        return list(self._entries)

    def profile(self, member: int) -> Profile | None:
        entry = self._entries.get(member)
        return entry.profile if entry else None

    def reading(self, member: int) -> ProfileReading | None:
        entry = self._entries.get(member)
        return entry.r if entry else None

    # --- updates -------------------------------------------------------------------

    async def sync(self, profiles: Iterable[Profile]) -> None:
        """Make the index hold exactly `profiles`; only new or changed ones are embedded."""
        profiles = list(profiles)
        wanted = {p.member for p in profiles}
        for member in [m for m in self._entries if m not in wanted]:
            self.remove(member)
        await self._upsert_many(profiles)

    async def upsert(self, profile: Profile) -> None:
        """Add or replace one profile (no model call when it is unchanged)."""
        await self._upsert_many([profile])

    def remove(self, member: int) -> bool:
        """Forget a member. Returns False if it was not indexed."""
        if self._entries.pop(member, None) is None:
            return False
        self._attrs.remove(member)
        assert self._offers is not None
        assert self._seeks is not None
        self._offers.remove(member)
        self._seeks.remove(member)
        self._floors = None
        return True

    async def _upsert_many(self, profiles: Sequence[Profile]) -> None:
        changed = [
            p for p in profiles if (e := self._entries.get(p.member)) is None or e.profile != p
        ]
        if not changed:
            return
        if not getattr(self.embedder, "dim", 0):
            await self.embedder.aload()  # learn the dimension
        # reading resolves places with the gazetteer (built once, about a second): off the loop
        readings = await asyncio.to_thread(lambda: [read_profile(p) for p in changed])
        texts = [t for r in readings for t in r.texts()]
        unique = list(dict.fromkeys(t for t in texts if t))
        lookup: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), ENCODE_CHUNK):  # let other model work interleave
            chunk = unique[start : start + ENCODE_CHUNK]
            lookup.update(zip(chunk, await self.embedder.aencode(chunk), strict=True))
        dim = self.embedder.dim
        if not len(self._reference):
            self._reference = await self.embedder.aencode(list(REFERENCE_CLAUSES))
        if self._offers is None:
            self._offers, self._seeks = VectorIndex(dim), VectorIndex(dim)
        assert self._seeks is not None
        zero = np.zeros(dim, dtype=np.float32)
        for p, r in zip(changed, readings, strict=True):
            head = p.headline.strip()
            o_vec = lookup.get(r.offers_text, zero)
            if head and r.offers_text != head:
                o_vec = normalize_rows((o_vec + HEADLINE_WEIGHT * lookup[head])[None])[0]
            s_vec = lookup.get(r.seeks_text, zero)
            self._entries[p.member] = _Entry(
                p,
                r,
                _stack([lookup[c] for c in r.offers], dim),
                _stack([lookup[c] for c in r.seeks], dim),
                np.array(r.money, dtype=bool),
                np.array(r.debt, dtype=bool),
                _stack([lookup[c] for c in r.exclusions], dim),
                _stack([lookup[c] for c in r.portfolio], dim),
                o_vec,
                s_vec,
            )
            matchable = p.matchable and p.visible
            self._attrs.put(
                p.member,
                **attributes(p, 0),
                has_offers=bool(r.offers_text),
                has_seeks=bool(r.seeks_text),
            )
            self._attrs.put(p.member, visible=matchable)
            self._offers.add(p.member, o_vec)
            self._seeks.add(p.member, s_vec)
        self._floors = None

    # --- calibration ---------------------------------------------------------------

    def floors(self) -> dict[str, float]:
        """The community's calibrated cosine floors (recomputed after changes)."""
        if self._floors is None:
            seeks = [e.seeks_vecs for e in self._entries.values() if len(e.seeks_vecs)]
            offers = [e.offers_vecs for e in self._entries.values() if len(e.offers_vecs)]
            if not seeks or not offers:
                self._floors = {"why": 1.0, "exclusion": 1.0, "portfolio": 1.0}
                return self._floors
            ref = self._reference  # halves, so no clause is ever paired with itself
            s, o = np.concatenate([*seeks, ref[::2]]), np.concatenate([*offers, ref[1::2]])
            rng = np.random.default_rng(12)
            n = min(20_000, len(s) * len(o))
            sims = np.sum(s[rng.integers(0, len(s), n)] * o[rng.integers(0, len(o), n)], axis=1)
            q = np.quantile(sims, [WHY_QUANTILE, EXCLUSION_QUANTILE, PORTFOLIO_QUANTILE])
            self._floors = {"why": float(q[0]), "exclusion": float(q[1]), "portfolio": float(q[2])}
        return self._floors

    # --- queries -------------------------------------------------------------------

    def _row(self, member: int) -> int:
        row = self._attrs.row_of(member)
        if row is None:
            raise MatchError(f"Member {member} has no matching profile yet; set one first.")
        return row

    def _cols(self, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        return {name: self._attrs.column(name)[rows] for name in ATTR_COLUMNS}

    def candidates(self, member: int, role: str | None = None) -> np.ndarray:
        """Rows that pass the structured filters (roles, stage, sector, checks, visibility)."""
        row = self._row(member)
        a = {name: col[row] for name, col in self._cols().items()}
        mask = allowed(a, self._cols(), role)
        mask[row] = False
        return mask

    def suggest(
        self,
        member: int,
        *,
        n: int = 5,
        role: str | None = None,
        exclude: Collection[int] = (),
        blocked: Collection[int] = (),
    ) -> list[Suggestion]:
        """The n best members for `member` to meet, diverse, each with reasons.

        Args:
            member: the requester.
            n: how many suggestions at most.
            role: only candidates holding this role.
            exclude: members never to suggest (e.g. already introduced or declined).
            blocked: members blocked by or blocking the requester.
        """
        if role is not None and role not in ROLES:
            raise MatchError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
        self._row(member)
        me = self._entries[member]
        if not me.profile.matchable:
            raise MatchError("Add your role and what you offer first; then I can match you.")
        if n <= 0:
            return []
        mask = self.candidates(member, role)
        mask[self._attrs.rows_of([*exclude, *blocked])] = False
        rows = self._shortlist(me, mask)
        if len(rows) == 0:
            return []
        keys = self._attrs.keys
        found: list[tuple[int, _Assessment]] = []
        for r in rows:
            other = int(keys[r])
            got = self._assess(me, self._entries[other])
            if got.removed is None:
                found.append((int(r), got))
        if not found:
            return []
        score = np.array([g.score for _, g in found], dtype=np.float32)
        picked = self._mmr(np.array([r for r, _ in found]), score, n)
        return [self._suggestion(me, int(keys[found[i][0]]), found[i][1]) for i in picked]

    def _shortlist(self, me: _Entry, mask: np.ndarray) -> np.ndarray:
        """The best SHORTLIST rows by each one-sided whole-text fit, merged."""
        assert self._offers is not None
        assert self._seeks is not None
        if not mask.any():
            return np.zeros(0, dtype=np.int64)
        out = [
            index.search_rows(query, SHORTLIST, mask)[0]
            for index, query in ((self._offers, me.seeks_whole), (self._seeks, me.company))
        ]
        return np.unique(np.concatenate(out))

    def _fit(self, x: _Entry, y: _Entry) -> tuple[float, tuple[int, int, float] | None] | None:
        """How well y's offers meet x's needs; None when x states no needs. Money asks count
        only against members who invest or offer money."""
        if not len(x.seeks_vecs) or not len(y.offers_vecs):
            return None
        if y.r.pays:
            usable = np.ones(len(x.seeks_vecs), bool)
        else:
            usable = ~x.money | (x.debt if y.r.lends else False)
        whole = float(x.seeks_whole @ y.company)
        if not usable.any():
            return 0.5 * whole, None
        sims = x.seeks_vecs[usable] @ y.offers_vecs.T
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        best = float(sims[i, j])
        need = int(np.flatnonzero(usable)[i])
        return WHOLE_WEIGHT * whole + (1 - WHOLE_WEIGHT) * best, (need, int(j), best)

    def _removed(self, a: _Entry, b: _Entry) -> str | None:
        """Why a text rule forbids the pair (from `a`'s point of view), or None."""
        floors = self.floors()
        side = serving_side(a.profile, b.profile)
        if side is not None:
            server, client = (a, b) if side[0] == 0 else (b, a)
            theirs = "You " if server is a else ""
            for why in (
                place_rule(server.r, client.r),
                stage_rule(server.profile, server.r, client.profile),
                portfolio_rule(server.r, server.portfolio_vecs, client.company, floors["portfolio"])
                if "investor" in server.profile.roles
                else None,
            ):
                if why:
                    return (theirs + why) if theirs else why[0].upper() + why[1:]
        ex = floors["exclusion"]
        why = exclusion_rule(b.r, b.excl_vecs, a.r, a.offers_vecs, ex)
        if why:
            return "They " + why
        why = exclusion_rule(a.r, a.excl_vecs, b.r, b.offers_vecs, ex)
        return "You " + why if why else None

    def _assess(self, a: _Entry, b: _Entry) -> _Assessment:
        removed = self._removed(a, b)
        ab, ba = self._fit(a, b), self._fit(b, a)
        if ab is None and ba is None:
            fit_ab = fit_ba = float(a.company @ b.company)
        else:
            fit_ab = ab[0] if ab is not None else ba[0]  # type: ignore[index]
            fit_ba = ba[0] if ba is not None else fit_ab
        score = float(mutual(np.array([fit_ab]), np.array([fit_ba]), REQUESTER_WEIGHT)[0])
        ra, rb = self._row(a.profile.member), self._row(b.profile.member)
        a_attrs = {name: col[ra] for name, col in self._cols().items()}
        score += float(bonus(a_attrs, self._cols(np.array([rb])))[0])
        side = serving_side(a.profile, b.profile)
        if side is not None:
            server, client = (a, b) if side[0] == 0 else (b, a)
            score += place_term(server.r, client.r)
            if server.r.pays and len(client.money) and not client.money.any():
                score -= NOT_RAISING
        elif a.r.base.city and a.r.base.city == b.r.base.city:
            score += SAME_CITY_BONUS
        return _Assessment(
            removed,
            score,
            fit_ab,
            fit_ba,
            ab[1] if ab is not None else None,
            ba[1] if ba is not None else None,
        )

    def _mmr(self, rows: np.ndarray, score: np.ndarray, n: int) -> list[int]:
        """Maximal marginal relevance over the candidates' offers vectors; indexes into rows."""
        assert self._offers is not None
        pool = top_rows(score, MMR_POOL * n)
        vecs = self._offers.matrix[rows[pool]].astype(np.float32)
        sims = vecs @ vecs.T
        chosen: list[int] = []
        max_sim = np.full(len(pool), -np.inf, dtype=np.float32)
        free = np.ones(len(pool), dtype=bool)
        for _ in range(min(n, len(pool))):
            penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
            value = MMR_LAMBDA * score[pool] - (1 - MMR_LAMBDA) * penalty
            value[~free] = -np.inf
            best = int(np.argmax(value))
            chosen.append(best)
            free[best] = False
            max_sim = np.maximum(max_sim, sims[best])
        return [int(pool[i]) for i in chosen]

    def _suggestion(self, a: _Entry, b: int, got: _Assessment) -> Suggestion:
        eb = self._entries[b]
        floor = self.floors()["why"]
        why: list[str] = []
        if got.best_ab is not None and got.best_ab[2] >= floor:
            i, j, _ = got.best_ab
            why.append(f"Offers {quote(eb.r.offers[j])}, for your need {quote(a.r.seeks[i])}")
        if got.best_ba is not None and got.best_ba[2] >= floor:
            i, _, _ = got.best_ba
            why.append(f"Looking for {quote(eb.r.seeks[i])}, which you offer")
        side = serving_side(a.profile, eb.profile)
        if side is not None:
            server, client = (a, eb) if side[0] == 0 else (eb, a)
            line = place_line(server.profile, server.r, client.r, server is a)
            if line:
                why.append(line)
        why.extend(facts(a.profile, eb.profile))
        if not why:  # never a made-up reason: say there is no single clear one
            why.append("No single clear reason; suggested on the overall fit of your profiles")
        return Suggestion(b, round(got.score, 4), got.fit_ab, got.fit_ba, why)

    def _structured_ok(self, a: int, b: int) -> bool:
        row_b = self._row(b)
        return a != b and bool(self.candidates(a)[row_b])

    def explain(self, a: int, b: int) -> Suggestion | None:
        """`b` as a suggestion for `a` with reasons, or None if a rule forbids the pair."""
        self._row(a)
        if not self._structured_ok(a, b):
            return None
        got = self._assess(self._entries[a], self._entries[b])
        if got.removed is not None:
            return None
        return self._suggestion(self._entries[a], b, got)

    def why_not(self, a: int, b: int) -> str | None:
        """Why `b` is never suggested to `a` (for an admin's dry run), or None if they can be."""
        self._row(a)
        if a == b:
            return "The same member."
        if not self._structured_ok(a, b):
            pb = self._entries[b].profile
            if not pb.matchable:
                return "Their profile has no role or no offer yet."
            if not pb.visible:
                return "Their profile is hidden."
            return "Roles, stage, sector or check size do not fit."
        return self._assess(self._entries[a], self._entries[b]).removed

    def screened(self, member: int, role: str | None = None) -> list[tuple[int, str]]:
        """Candidates the text rules removed for `member`, with the reason (the dry run)."""
        me = self._entries[member]
        rows = np.flatnonzero(self.candidates(member, role))
        keys = self._attrs.keys
        out = []
        for r in rows:
            other = int(keys[r])
            why = self._removed(me, self._entries[other])
            if why:
                out.append((other, why))
        return out

    def score_pair(self, a: int, b: int) -> float:
        """Symmetric mutual fit of two members for round pairing; 0.0 if filtered."""
        return float(self.pair_weights([a, b])[0, 1])

    def pair_weights(
        self, members: Sequence[int], *, exclude_pairs: Iterable[tuple[int, int]] = ()
    ) -> np.ndarray:
        """Symmetric (len, len) float32 mutual-fit matrix; filtered pairs and the diagonal are 0."""
        k = len(members)
        weights = np.zeros((k, k), dtype=np.float32)
        for i in range(k):
            mask = self.candidates(members[i])
            for j in range(i + 1, k):
                if not mask[self._row(members[j])]:
                    continue
                ea, eb = self._entries[members[i]], self._entries[members[j]]
                one, two = self._assess(ea, eb), self._assess(eb, ea)
                if one.removed or two.removed:
                    continue
                weights[i, j] = weights[j, i] = max(0.0, min(one.score, two.score))
        index = {m: i for i, m in enumerate(members)}
        for x, y in exclude_pairs:
            if x in index and y in index:
                weights[index[x], index[y]] = weights[index[y], index[x]] = 0.0
        return weights
