"""A small learned re-ranker on recorded intro outcomes, and its cross-validated check.

Features per introduced pair: [fit_ab, fit_ba, sector overlap, stage fit, activity].
The re-ranker is only worth using when it beats the plain embedding score out of fold
and there are enough outcomes to tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.matching.matcher import REQUESTER_WEIGHT, Suggestion, mutual
from models.matching.profile import STAGES, Profile

MIN_OUTCOMES = 30
MIN_PER_CLASS = 5
MIN_GAIN = 0.02  # AUC points the re-ranker must gain over the plain score
FEATURES = ("fit_ab", "fit_ba", "sector_overlap", "stage_fit", "activity")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One intro that happened and whether the requester found it useful."""

    fit_ab: float
    fit_ba: float
    sector_overlap: float
    stage_fit: float
    activity: float
    useful: bool

    def features(self) -> list[float]:
        return [self.fit_ab, self.fit_ba, self.sector_overlap, self.stage_fit, self.activity]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Out-of-fold ROC AUC of the re-ranker and of the plain embedding score."""

    outcomes: int
    useful: int
    folds: int
    auc_reranker: float | None
    auc_plain: float | None
    should_use: bool
    reason: str


def sector_overlap(a: Profile, b: Profile) -> float:
    """Jaccard overlap of the two sector sets (0 when either is empty)."""
    union = a.sectors | b.sectors
    return len(a.sectors & b.sectors) / len(union) if a.sectors and b.sectors else 0.0


def stage_fit(a: Profile, b: Profile) -> float:
    """1 for the same stage (or a stage tag), 0.5 for adjacent stages, else 0."""
    stages_a = {s for s in (a.stage, *a.tags) if s in STAGES}
    stages_b = {s for s in (b.stage, *b.tags) if s in STAGES}
    if stages_a & stages_b:
        return 1.0
    gaps = [abs(STAGES.index(x) - STAGES.index(y)) for x in stages_a for y in stages_b]
    return 0.5 if gaps and min(gaps) == 1 else 0.0


def outcome_for(s: Suggestion, a: Profile, b: Profile, activity: float, useful: bool) -> Outcome:
    """An Outcome record for a suggestion of `b` to `a` (activity in [0, 1], e.g. b's recent share of messages)."""
    return Outcome(s.fit_ab, s.fit_ba, sector_overlap(a, b), stage_fit(a, b), activity, useful)


def plain_score(x: np.ndarray) -> np.ndarray:
    """The matcher's embedding score from feature rows."""
    return mutual(x[:, 0], x[:, 1], REQUESTER_WEIGHT)


class ReRanker:
    """Logistic regression on standardized features; `score` is P(useful)."""

    def __init__(self, c: float = 1.0) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self._model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))

    def fit(self, outcomes: Sequence[Outcome]) -> ReRanker:
        x, y = _arrays(outcomes)
        if len(set(y.tolist())) < 2:
            raise ValueError("The re-ranker needs both useful and not-useful outcomes to learn.")
        self._model.fit(x, y)
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        """P(useful) for rows of FEATURES."""
        return self._model.predict_proba(np.asarray(features, dtype=np.float64))[:, 1]

    def rerank(self, suggestions: Sequence[Suggestion], features: np.ndarray) -> list[Suggestion]:
        """The suggestions reordered by P(useful), best first."""
        order = np.argsort(-self.score(features), kind="stable")
        return [suggestions[i] for i in order]


def _arrays(outcomes: Sequence[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([o.features() for o in outcomes], dtype=np.float64).reshape(-1, len(FEATURES))
    y = np.array([o.useful for o in outcomes], dtype=np.int64)
    return x, y


def evaluate(outcomes: Sequence[Outcome], k_folds: int = 5, seed: int = 0) -> Evaluation:
    """Stratified k-fold out-of-fold AUC of the re-ranker vs the plain embedding score."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    x, y = _arrays(outcomes)
    n, pos = len(y), int(y.sum())
    smaller = min(pos, n - pos)
    if n < MIN_OUTCOMES or smaller < MIN_PER_CLASS:
        return Evaluation(
            n, pos, 0, None, None, False,
            f"needs at least {MIN_OUTCOMES} outcomes with {MIN_PER_CLASS} of each kind",
        )  # fmt: skip
    folds = max(2, min(k_folds, smaller))
    predicted = np.zeros(n, dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        predicted[test] = ReRanker().fit([outcomes[i] for i in train]).score(x[test])
    auc_model = float(roc_auc_score(y, predicted))
    auc_plain = float(roc_auc_score(y, plain_score(x)))
    use = auc_model >= auc_plain + MIN_GAIN
    reason = (
        f"re-ranker beats the plain score by {auc_model - auc_plain:+.3f} AUC"
        if use
        else f"re-ranker gains {auc_model - auc_plain:+.3f} AUC, under the {MIN_GAIN} needed"
    )
    return Evaluation(n, pos, folds, auc_model, auc_plain, use, reason)


def should_use(outcomes: Sequence[Outcome], k_folds: int = 5) -> bool:
    """True when there are enough outcomes and the re-ranker beats the plain score."""
    return evaluate(outcomes, k_folds).should_use


def eval_report(outcomes: Sequence[Outcome], k_folds: int = 5) -> str:
    """A short human report of `evaluate`, for `convene eval matching`."""
    ev = evaluate(outcomes, k_folds)
    lines = [f"Intro outcomes: {ev.outcomes} ({ev.useful} useful, {ev.outcomes - ev.useful} not)."]
    if ev.auc_reranker is None or ev.auc_plain is None:
        lines.append(f"Not enough outcomes to evaluate the re-ranker: it {ev.reason}.")
        lines.append("Suggestions use the plain embedding score.")
        return "\n".join(lines)
    lines.append(f"Cross-validated ROC AUC ({ev.folds} folds, 0.5 = chance):")
    lines.append(f"  plain embedding score  {ev.auc_plain:.3f}")
    lines.append(f"  learned re-ranker      {ev.auc_reranker:.3f}")
    verdict = "use the re-ranker" if ev.should_use else "keep the plain score"
    lines.append(f"Verdict: {verdict} ({ev.reason}).")
    return "\n".join(lines)
