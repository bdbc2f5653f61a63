"""The intro-outcome re-ranker: when it is worth using and what it reports."""

from __future__ import annotations

import numpy as np
import pytest

from models.matching.matcher import REQUESTER_WEIGHT, Suggestion, mutual
from models.matching.profile import Profile
from models.matching.rerank import (
    Outcome,
    ReRanker,
    eval_report,
    evaluate,
    outcome_for,
    sector_overlap,
    should_use,
    stage_fit,
)


def synthetic(n: int, useful_from: str, seed: int = 0) -> list[Outcome]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        fit_ab, fit_ba = rng.uniform(0.1, 0.7, size=2)
        activity = rng.uniform()
        if useful_from == "activity":
            useful = activity + rng.normal(0, 0.1) > 0.5
        else:
            useful = bool(mutual(fit_ab, fit_ba, REQUESTER_WEIGHT) > 0.35)
        out.append(
            Outcome(fit_ab, fit_ba, rng.uniform(), float(rng.integers(0, 3)) / 2, activity, useful)
        )
    return out


def test_reranker_is_used_when_it_learns_what_embeddings_miss() -> None:
    outcomes = synthetic(120, "activity")
    ev = evaluate(outcomes)
    assert ev.auc_reranker is not None
    assert ev.auc_plain is not None
    assert ev.auc_reranker > 0.85 > ev.auc_plain
    assert ev.should_use
    assert should_use(outcomes)
    assert ev.folds == 5


def test_reranker_is_not_used_when_plain_score_already_explains_outcomes() -> None:
    outcomes = synthetic(120, "plain")
    ev = evaluate(outcomes)
    assert ev.auc_plain == pytest.approx(1.0)
    assert not ev.should_use
    assert "under the" in ev.reason


def _all_useless(n: int) -> list[Outcome]:
    return [Outcome(o.fit_ab, o.fit_ba, 0, 0, o.activity, False) for o in synthetic(n, "plain")]


@pytest.mark.parametrize("outcomes", [synthetic(29, "activity"), _all_useless(60)])
def test_too_few_outcomes_or_one_kind(outcomes: list[Outcome]) -> None:
    ev = evaluate(outcomes)
    assert not ev.should_use
    assert ev.auc_reranker is None
    report = eval_report(outcomes)
    assert "Not enough outcomes" in report
    assert "plain embedding score" in report


def test_eval_report_shows_both_figures() -> None:
    outcomes = synthetic(80, "activity", seed=3)
    ev = evaluate(outcomes)
    report = eval_report(outcomes)
    assert f"{ev.auc_plain:.3f}" in report
    assert f"{ev.auc_reranker:.3f}" in report
    assert "Verdict: use the re-ranker" in report
    assert "80 (" in report


def test_fit_needs_both_kinds() -> None:
    with pytest.raises(ValueError, match="both useful and not-useful"):
        ReRanker().fit([Outcome(0.5, 0.5, 0, 0, 0, True)] * 3)


def test_rerank_orders_by_learned_usefulness() -> None:
    model = ReRanker().fit(synthetic(100, "activity"))
    s = [Suggestion(i, 0.5, 0.4, 0.4, []) for i in range(3)]
    feats = np.array([[0.4, 0.4, 0, 0, 0.1], [0.4, 0.4, 0, 0, 0.9], [0.4, 0.4, 0, 0, 0.5]])
    assert [x.member for x in model.rerank(s, feats)] == [1, 2, 0]


def test_feature_helpers() -> None:
    a = Profile(1, "a", frozenset({"founder"}), sectors=frozenset({"ai", "health"}), stage="seed")
    b = Profile(2, "b", frozenset({"investor"}), sectors=frozenset({"ai"}), stage="series-a")
    c = Profile(3, "c", frozenset({"investor"}), stage="series-b+", tags=frozenset({"seed"}))
    assert sector_overlap(a, b) == 0.5
    assert sector_overlap(a, c) == 0.0
    assert stage_fit(a, b) == 0.5
    assert stage_fit(a, c) == 1.0
    assert stage_fit(b, Profile(4, "d")) == 0.0
    o = outcome_for(Suggestion(2, 0.3, 0.2, 0.4, []), a, b, activity=0.7, useful=True)
    assert o.features() == [0.2, 0.4, 0.5, 0.5, 0.7]
