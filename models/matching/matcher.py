"""Member matching: hard filters, then mutual seeks/offers similarity, then diversity (MMR).

The matcher keeps everything in memory and knows nothing of the store or the chat
platforms: feed it profiles with `sync`/`upsert`/`remove`, ask it with `suggest`,
`score_pair`, `explain` and `pair_weights`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.matching.profile import ROLES, Profile
from models.matching.rules import ATTR_COLUMNS, allowed, attributes, bonus, norm_region
from models.matching.types import MatchError, Suggestion, TextEncoder, mutual
from models.matching.why import clauses, closest_clause, facts, matched_phrases, quote
from models.vector_cache import normalize_rows
from models.vector_index import RowStore, VectorIndex, top_rows

__all__ = ["MatchError", "Matcher", "Suggestion", "TextEncoder", "mutual"]

REQUESTER_WEIGHT = 0.65  # weight of "they offer what I seek" in a suggestion's score
HEADLINE_WEIGHT = 0.35  # share of the headline mixed into the offers vector
SHORTLIST = 256  # candidates re-scored on both sides after the one-sided scan
MMR_LAMBDA = 0.75  # 1.0 = pure score, lower = more diverse
MMR_POOL = 4  # MMR picks n out of MMR_POOL * n best candidates
WHY_FLOOR = 0.45  # their wish is quoted only when it really matches what you offer (cosine)
ENCODE_CHUNK = 1024  # texts per worker-thread job while syncing


@dataclass(slots=True)
class _Entry:
    profile: Profile
    offers: list[str]  # clauses
    offers_vecs: np.ndarray
    seeks: list[str]
    seeks_vecs: np.ndarray


def _texts(p: Profile) -> tuple[str, str, list[str], list[str]]:
    offers = p.offers.strip() or p.headline.strip()
    return offers, p.seeks.strip(), clauses(offers), clauses(p.seeks)


class Matcher:
    """Suggests members to meet. Not thread-safe: call it from the event loop only."""

    def __init__(self, embedder: TextEncoder) -> None:
        self.embedder = embedder
        self._entries: dict[int, _Entry] = {}
        self._regions: dict[str, int] = {}
        cols = {**ATTR_COLUMNS, "has_offers": ((), np.bool_), "has_seeks": ((), np.bool_)}
        self._attrs = RowStore(cols)
        self._offers: VectorIndex | None = None
        self._seeks: VectorIndex | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, member: object) -> bool:
        return member in self._entries

    def profile(self, member: int) -> Profile | None:
        entry = self._entries.get(member)
        return entry.profile if entry else None

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
        return True

    async def _upsert_many(self, profiles: Sequence[Profile]) -> None:
        changed = [
            p for p in profiles if (e := self._entries.get(p.member)) is None or e.profile != p
        ]
        if not changed:
            return
        if not getattr(self.embedder, "dim", 0):
            await self.embedder.aload()  # learn the dimension
        texts: list[str] = []
        for p in changed:
            offers, seeks, oc, sc = _texts(p)
            texts.extend([offers, p.headline.strip(), seeks, *oc, *sc])
        unique = list(dict.fromkeys(t for t in texts if t))
        lookup: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), ENCODE_CHUNK):  # let other model work interleave
            chunk = unique[start : start + ENCODE_CHUNK]
            lookup.update(zip(chunk, await self.embedder.aencode(chunk), strict=True))
        dim = self.embedder.dim
        if self._offers is None:
            self._offers, self._seeks = VectorIndex(dim), VectorIndex(dim)
        assert self._seeks is not None
        zero = np.zeros(dim, dtype=np.float32)
        for p in changed:
            offers, seeks, oc, sc = _texts(p)
            head = p.headline.strip()
            o_vec = lookup.get(offers, zero)
            if head and offers != head:
                o_vec = normalize_rows((o_vec + HEADLINE_WEIGHT * lookup[head])[None])[0]
            s_vec = lookup[seeks] if seeks else lookup.get(head, zero)
            self._entries[p.member] = _Entry(
                p,
                oc,
                np.stack([lookup[c] for c in oc]) if oc else np.zeros((0, dim), np.float32),
                sc,
                np.stack([lookup[c] for c in sc]) if sc else np.zeros((0, dim), np.float32),
            )
            region = norm_region(p.region)
            code = self._regions.setdefault(region, len(self._regions) + 1) if region else 0
            self._attrs.put(
                p.member, **attributes(p, code), has_offers=bool(offers), has_seeks=bool(seeks)
            )
            self._offers.add(p.member, o_vec)
            self._seeks.add(p.member, s_vec)

    # --- queries -------------------------------------------------------------------

    def _row(self, member: int) -> int:
        row = self._attrs.row_of(member)
        if row is None:
            raise MatchError(f"Member {member} has no matching profile yet; set one first.")
        return row

    def _cols(self, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        return {name: self._attrs.column(name)[rows] for name in (*ATTR_COLUMNS, "has_seeks")}

    def _fit_ba(self, row: int, rows: np.ndarray, fit_ab: np.ndarray) -> np.ndarray:
        """Their seeks vs the requester's offers; the other fit stands in where one side is silent."""
        assert self._seeks is not None
        assert self._offers is not None
        a_offers = self._offers.matrix[row]
        fit_ba = self._seeks.matrix[rows] @ a_offers
        known = self._attrs.column("has_seeks")[rows] & self._attrs.column("has_offers")[row]
        return np.where(known, fit_ba, fit_ab)

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
        row = self._row(member)
        if n <= 0:
            return []
        assert self._offers is not None
        assert self._seeks is not None
        a = {name: col[row] for name, col in self._cols().items()}
        mask = allowed(a, self._cols(), role)
        mask[row] = False
        mask[self._attrs.rows_of([*exclude, *blocked])] = False
        query = self._seeks.matrix[row]
        fit_all = self._offers.scores(query)
        fit_all[~mask] = -np.inf
        rows = top_rows(fit_all, max(SHORTLIST, MMR_POOL * n))
        rows = rows[np.isfinite(fit_all[rows])]
        if len(rows) == 0:
            return []
        fit_ab = fit_all[rows].copy()
        fit_ba = self._fit_ba(row, rows, fit_ab)
        score = mutual(fit_ab, fit_ba, REQUESTER_WEIGHT) + bonus(a, self._cols(rows))
        picked = self._mmr(rows, score, n)
        keys = self._attrs.keys
        return [
            self._suggestion(member, int(keys[rows[i]]), score[i], fit_ab[i], fit_ba[i])
            for i in picked
        ]

    def _mmr(self, rows: np.ndarray, score: np.ndarray, n: int) -> list[int]:
        """Maximal marginal relevance over the candidates' offers vectors."""
        assert self._offers is not None
        pool = top_rows(score, MMR_POOL * n)
        vecs = self._offers.matrix[rows[pool]]
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

    def _suggestion(self, a: int, b: int, score: float, fit_ab: float, fit_ba: float) -> Suggestion:
        ea, eb = self._entries[a], self._entries[b]
        why: list[str] = []
        assert self._offers is not None
        offers = self._offers.matrix
        row_a, row_b = self._row(a), self._row(b)
        investor = "investor" in eb.profile.roles
        pair = matched_phrases(
            ea.seeks, ea.seeks_vecs, eb.offers, eb.offers_vecs, offers[row_b], investor
        )
        if pair:  # the best evidence for the requester's side, always shown
            why.append(f"Offers {quote(pair[0])}, for your need {quote(pair[1], 60)}")
        wish = closest_clause(eb.seeks, eb.seeks_vecs, offers[row_a])
        if wish and float(eb.seeks_vecs[eb.seeks.index(wish)] @ offers[row_a]) >= WHY_FLOOR:
            why.append(f"Looking for {quote(wish)}, which you offer")
        why.extend(facts(ea.profile, eb.profile))
        return Suggestion(b, round(float(score), 4), float(fit_ab), float(fit_ba), why)

    def explain(self, a: int, b: int) -> Suggestion | None:
        """`b` as a suggestion for `a` with reasons, or None if a hard filter forbids the pair."""
        row_a, row_b = self._row(a), self._row(b)
        assert self._offers is not None
        assert self._seeks is not None
        cols_b = self._cols(np.array([row_b]))
        a_attrs = {name: col[row_a] for name, col in self._cols().items()}
        if a == b or not allowed(a_attrs, cols_b, None)[0]:
            return None
        fit_ab = np.array([self._seeks.matrix[row_a] @ self._offers.matrix[row_b]])
        fit_ba = self._fit_ba(row_a, np.array([row_b]), fit_ab)
        score = mutual(fit_ab, fit_ba, REQUESTER_WEIGHT) + bonus(a_attrs, cols_b)
        return self._suggestion(a, b, float(score[0]), float(fit_ab[0]), float(fit_ba[0]))

    def score_pair(self, a: int, b: int) -> float:
        """Symmetric mutual fit of two members for round pairing; 0.0 if filtered."""
        return float(self.pair_weights([a, b])[0, 1])

    def pair_weights(
        self, members: Sequence[int], *, exclude_pairs: Iterable[tuple[int, int]] = ()
    ) -> np.ndarray:
        """Symmetric (len, len) float32 mutual-fit matrix; filtered pairs and the diagonal are 0."""
        rows = np.array([self._row(m) for m in members], dtype=np.int64)
        k = len(rows)
        if k == 0:
            return np.zeros((0, 0), dtype=np.float32)
        assert self._offers is not None
        assert self._seeks is not None
        offers, seeks = self._offers.matrix[rows], self._seeks.matrix[rows]
        fits = seeks @ offers.T  # fits[i, j]: j's offers vs i's seeks
        has_seeks = self._attrs.column("has_seeks")[rows]
        has_offers = self._attrs.column("has_offers")[rows]
        known = has_seeks[:, None] & has_offers[None, :]
        fits = np.where(known, fits, fits.T)
        weights = mutual(fits, fits.T, 0.5)
        cols = self._cols(rows)
        for i in range(k):
            a = {name: col[i] for name, col in cols.items()}
            ok = allowed(a, cols, None)
            weights[i] = np.where(ok, weights[i] + bonus(a, cols), 0.0)
        weights = np.minimum(weights, weights.T)  # a pair is allowed only if both ways are
        np.fill_diagonal(weights, 0.0)
        index = {m: i for i, m in enumerate(members)}
        for x, y in exclude_pairs:
            if x in index and y in index:
                weights[index[x], index[y]] = weights[index[y], index[x]] = 0.0
        return weights.astype(np.float32)
