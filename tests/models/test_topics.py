"""Topic extraction (models/topics/extract.py): unit tests on constructed chat with the deterministic
FakeEmbedder, and (marked `model`) planted-topic recall on the demo community with the real
bundled model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.demo.community import generate, week_of
from models.embedder import Embedder
from models.topics.extract import SMALL_TALK, UNASSIGNED, extract_topics, trend
from models.topics.words import class_tfidf, content_tokens, name_tokens, tokens, top_terms
from tests.fake_embedder import FakeEmbedder

STEADY = (
    "our kubernetes cluster autoscaling keeps failing under load",
    "kubernetes autoscaling config for the staging cluster?",
    "anyone tuned kubernetes cluster autoscaling for spiky traffic",
    "cluster autoscaling on kubernetes costs us too much",
)
RISING = (
    "what valuation cap did you get on your seed safe",
    "seed round safe valuation cap feels low",
    "negotiating the valuation cap on our seed safe notes",
    "is a 10M valuation cap normal for a seed safe",
)
FADING = (
    "who does the watering of the office plants during the holidays",
    "office plants need watering twice a week",
    "the office plants look sad, watering schedule anyone",
    "new watering rota for the office plants",
)
FILLER = ("thanks!", "+1", "same here", "lol", "gm", "congrats!!", "this 👆")
TAILS = ("", " today", " again", " right now", " this sprint", " honestly")


@pytest.fixture(scope="module")
def embedder() -> Iterator[FakeEmbedder]:
    fake = FakeEmbedder(dim=384)
    yield fake
    fake.close()


def _chat(seed: int = 1) -> tuple[list[str], np.ndarray]:
    """Three periods: steady kubernetes talk, SAFE caps rising in period 2, plants fading."""
    rng = random.Random(seed)
    texts: list[str] = []
    periods: list[int] = []
    plan = {0: (40, 3, 30), 1: (40, 3, 30), 2: (40, 40, 2)}  # steady, rising, fading
    for period, (steady, rising, fading) in plan.items():
        batch = (
            [rng.choice(STEADY) for _ in range(steady)]
            + [rng.choice(RISING) for _ in range(rising)]
            + [rng.choice(FADING) for _ in range(fading)]
        )
        batch = [text + rng.choice(TAILS) for text in batch]
        batch += [rng.choice(FILLER) for _ in range(20)]
        texts += batch
        periods += [period] * len(batch)
    return texts, np.array(periods)


def _words(keywords: list[str]) -> set[str]:
    return {word for term in keywords for word in term.split()}


def test_rising_fading_and_steady_on_constructed_chat(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    report = extract_topics(texts, embedder.encode(texts), periods)
    assert report.current_period == 2
    assert len(report.rising) == 1
    assert {"valuation", "cap", "safe"} <= _words(report.rising[0].keywords)
    assert report.rising[0].current >= 38
    assert len(report.fading) == 1
    assert {"plants", "watering"} <= _words(report.fading[0].keywords)
    steady = [t for t in report.topics if t.status == "steady"]
    assert any("kubernetes" in _words(t.keywords) for t in steady)
    rising = report.rising[0]
    assert rising.growth > 2
    assert rising.previous == pytest.approx(3.0, abs=1.0)  # average per previous period


def test_hidden_words_never_name_a_topic(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    plain = extract_topics(texts, embedder.encode(texts), periods)
    assert "valuation" in _words(plain.rising[0].keywords)
    hidden = extract_topics(
        texts, embedder.encode(texts), periods, hide_words=frozenset({"valuation"})
    )
    assert hidden.rising, "hiding a word must not hide the topic"
    assert "valuation" not in _words(hidden.rising[0].keywords)
    assert {"cap", "safe"} <= _words(hidden.rising[0].keywords)


def test_small_talk_is_separated_and_counted(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    report = extract_topics(texts, embedder.encode(texts), periods)
    filler = np.array([t in FILLER for t in texts])
    assert np.all(report.labels[filler] == SMALL_TALK)
    assert np.all(report.labels[~filler] >= 0)  # every topical message lands in a topic
    assert report.small_talk_share == pytest.approx(filler.mean())
    assert report.unassigned_share == 0.0
    for topic in report.topics:
        assert not _words(topic.keywords) & {"thanks", "lol", "gm", "congrats"}


def test_unrelated_noise_is_left_unassigned(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    rng = random.Random(5)
    noise = [
        " ".join("".join(rng.choices("bcdfghjklmnpqrstvwxz", k=7)) for _ in range(4))
        for _ in range(15)
    ]
    all_texts = texts + noise
    all_periods = np.concatenate([periods, np.full(len(noise), 2)])
    report = extract_topics(all_texts, embedder.encode(all_texts), all_periods)
    assert np.mean(report.labels[-len(noise) :] == UNASSIGNED) >= 0.8
    assert report.unassigned_share == pytest.approx(np.mean(report.labels == UNASSIGNED))
    assert report.unassigned_share <= len(noise) / len(all_texts)


def test_examples_are_trimmed_topic_messages_from_the_current_period(
    embedder: FakeEmbedder,
) -> None:
    texts, periods = _chat()
    report = extract_topics(texts, embedder.encode(texts), periods)
    rising = report.rising[0]
    assert 1 <= len(rising.examples) <= 3
    assert len(set(rising.examples)) == len(rising.examples)
    current = {t for t, p in zip(texts, periods, strict=True) if p == 2}
    assert all(example in current and "safe" in example for example in rising.examples)


def test_same_input_and_seed_give_the_same_report(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    vectors = embedder.encode(texts)
    one = extract_topics(texts, vectors, periods, seed=3)
    two = extract_topics(texts, vectors, periods, seed=3)
    assert np.array_equal(one.labels, two.labels)
    assert [t.keywords for t in one.topics] == [t.keywords for t in two.topics]


def test_max_topics_caps_the_list(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    report = extract_topics(texts, embedder.encode(texts), periods, max_topics=2)
    assert 1 <= len(report.topics) <= 2
    assert report.labels.max() < len(report.topics)


def test_first_period_only_has_nothing_rising(embedder: FakeEmbedder) -> None:
    texts, periods = _chat()
    first = periods == 0
    subset = [t for t, keep in zip(texts, first, strict=True) if keep]
    report = extract_topics(subset, embedder.encode(subset), periods[first])
    assert report.topics
    assert not report.rising
    assert not report.fading
    assert all(t.growth == 1.0 and t.status == "steady" for t in report.topics)


def test_empty_and_bad_input() -> None:
    empty = extract_topics([], np.zeros((0, 8), dtype=np.float32), np.zeros(0, dtype=int))
    assert (empty.topics, empty.messages, empty.unassigned_share) == ([], 0, 0.0)
    with pytest.raises(ValueError, match="same length"):
        extract_topics(["a", "b"], np.ones((3, 4)), np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="integers"):
        extract_topics(["a"], np.ones((1, 4)), np.array([0.5]))
    with pytest.raises(ValueError, match="finite"):
        extract_topics(["a"], np.full((1, 4), np.nan), np.zeros(1, dtype=int))


def test_class_tfidf_prefers_words_distinctive_to_a_class() -> None:
    texts = [
        "startup hiring engineers remote",
        "startup hiring designers remote",
        "startup pricing seats usage",
        "startup pricing usage credits",
    ]
    scores, vocabulary = class_tfidf(texts, np.array([0, 0, 1, 1]), 2)
    first = top_terms(scores[0], vocabulary, 3)
    second = top_terms(scores[1], vocabulary, 3)
    assert first[0] in ("hiring", "remote")
    assert second[0] in ("pricing", "usage")
    startup = vocabulary.index("startup")
    assert scores[0, startup] < scores[0, vocabulary.index("hiring")]  # shared word scores lower
    assert "startup" not in first + second  # the word every class uses names none


def test_chat_filler_has_no_content_words() -> None:
    for text in (*FILLER, "thanks, super helpful", "same question here", "following this thread"):
        assert content_tokens(text) == [], text
    assert content_tokens("What valuation cap on a post-money SAFE?") == [
        "valuation",
        "cap",
        "post-money",
        "safe",
    ]


def test_trend_smoothing_keeps_tiny_counts_off_the_rising_list() -> None:
    assert trend(2, 0, 1000, 3000, 3)[2] == "steady"  # 0 -> 2 messages is noise
    previous, growth, status = trend(40, 6, 1000, 3000, 3)
    assert status == "rising"
    assert previous == pytest.approx(2.0)
    assert growth > 2
    assert trend(3, 300, 1000, 3000, 3)[2] == "fading"
    assert trend(95, 300, 1000, 3000, 3)[2] == "steady"
    assert trend(50, 0, 100, 0, 0) == (0.0, 1.0, "steady")


def test_twenty_thousand_messages_take_a_few_seconds() -> None:
    community = generate(7, end=datetime(2026, 11, 30, tzinfo=UTC))
    messages = community.messages[:20_000]
    texts = [m.text for m in messages]
    periods = np.array([week_of(community, m.at) for m in messages])
    rng = np.random.default_rng(0)  # stand-in vectors: the timing is about the clustering
    unique, inverse = np.unique(texts, return_inverse=True)
    base = rng.normal(size=(len(unique), 384)).astype(np.float32)
    vectors = base[inverse.ravel()]
    started = time.perf_counter()
    report = extract_topics(texts, vectors, periods)
    elapsed = time.perf_counter() - started
    print(f"\n20k messages: {elapsed:.2f} s, {len(report.topics)} topics")
    assert len(report.topics) > 0  # timing is bench/topics.py's job; this checks scale works


def _found(report_rising: list, keywords: tuple[str, ...]) -> bool:
    """A planted topic is found if a rising topic names >= 2 of its planted keywords."""
    return any(len(_words(t.keywords) & set(keywords)) >= 2 for t in report_rising)


@pytest.mark.model
def test_planted_rising_topics_are_found_with_the_real_model(bundled: Embedder) -> None:
    community = generate(7, end=datetime(2026, 11, 30, tzinfo=UTC), messages_per_day=120)
    texts = [m.text for m in community.messages]
    weeks = np.array([week_of(community, m.at) for m in community.messages])
    started = time.perf_counter()
    vectors = bundled.encode(texts)
    encoded = time.perf_counter() - started
    found, unassigned, rising_counts = [], [], []
    started = time.perf_counter()
    for topic in community.planted.topics:
        window = weeks <= topic.rises_in_week  # the digest run of the week the topic rises
        subset = [t for t, keep in zip(texts, window, strict=True) if keep]
        report = extract_topics(subset, vectors[window], weeks[window])
        found.append(_found(report.rising, topic.keywords))
        unassigned.append(report.unassigned_share)
        rising_counts.append(len(report.rising))
        assert report.unassigned_share < 0.1
        print(
            f"\n  week {topic.rises_in_week} {topic.name}: found={found[-1]} "
            f"rising={len(report.rising)} unassigned={report.unassigned_share:.1%} "
            f"small talk={report.small_talk_share:.1%}"
        )
    recall = sum(found) / len(found)
    print(
        f"\n{len(texts)} messages, encoded in {encoded:.0f} s ({bundled.precision}); "
        f"topics for {len(found)} weeks in {time.perf_counter() - started:.1f} s; "
        f"recall={recall:.2f}, max unassigned={max(unassigned):.1%}, "
        f"rising per week={rising_counts}"
    )
    assert recall >= 0.8
    assert max(rising_counts) <= 8  # a short list, not every topic
    full = extract_topics(texts, vectors, weeks)
    for topic in community.planted.topics:  # planted talk is not hidden in small talk
        talk = np.array([len(set(topic.keywords) & set(tokens(t))) >= 2 for t in texts])
        assert np.mean(full.labels[talk] < 0) < 0.05, topic.name


@pytest.mark.model
def test_faded_topics_are_reported_fading_with_the_real_model(bundled: Embedder) -> None:
    community = generate(7, end=datetime(2026, 11, 30, tzinfo=UTC), messages_per_day=120)
    texts = [m.text for m in community.messages]
    weeks = np.array([week_of(community, m.at) for m in community.messages])
    vectors = bundled.encode(texts)  # cached from the test above
    faded = [t for t in community.planted.topics if t.fades_in_week is not None]
    hits = 0
    for topic in faded:
        window = weeks <= topic.fades_in_week
        subset = [t for t, keep in zip(texts, window, strict=True) if keep]
        report = extract_topics(subset, vectors[window], weeks[window])
        hits += _found(report.fading, topic.keywords)
        assert not _found(report.rising, topic.keywords)
    print(f"\nfading found: {hits}/{len(faded)}")
    assert hits >= len(faded) - 1


def _grouped(groups: list[list[str]], seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Texts of several groups with vectors clustered per group (unit base + small noise)."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    rows = []
    for group in groups:
        base = rng.normal(size=32)
        for text in group:
            texts.append(text)
            rows.append(base + rng.normal(scale=0.15, size=32))
    vecs = np.asarray(rows, dtype=np.float32)
    return texts, vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


RUSSIAN = [
    [f"Как настроить сборку проекта на сервере {i}? Сборка падает с ошибкой" for i in range(12)],
    [
        f"Кто идёт на митап по инвестициям в пятницу {i}? Инвесторы будут рассказывать"
        for i in range(12)
    ],
]
CHINESE = [
    [f"我们的产品需要融资，投资人问估值{i}" for i in range(12)],
    [f"服务器部署失败了，数据库连接超时{i}" for i in range(12)],
]


@pytest.mark.parametrize(
    ("groups", "expected"),
    [(RUSSIAN, [{"сборку", "сборка", "настроить"}, {"митап", "инвестициям", "инвесторы"}]),
     (CHINESE, [{"融资", "投资人", "估值", "产品"}, {"服务器", "部署", "数据库", "连接"}])],
)  # fmt: skip
def test_russian_and_chinese_chat_gets_topic_words(
    groups: list[list[str]], expected: list[set[str]]
) -> None:
    texts, vecs = _grouped(groups)
    report = extract_topics(texts, vecs, np.zeros(len(texts), dtype=np.int64))
    assert len(report.topics) == 2
    found = [set(w for term in t.keywords for w in term.split()) for t in report.topics]
    for words in expected:
        assert any(words & f for f in found), (words, found)


def test_tokens_read_every_script() -> None:
    assert tokens("très bien") == ["très", "bien"]
    assert "сборку" in tokens("Как настроить сборку?")
    assert {"融资", "投资人"} <= set(tokens("我们需要融资，投资人在问"))
    assert "プラグイン" in tokens("プラグインを入れた")


def test_member_names_are_hidden_as_whole_tokens_only() -> None:
    hide = name_tokens(["komodo_wallet", "Ana Silva", "@zetok"])
    assert {"komodo_wallet", "ana", "silva", "zetok"} <= hide
    assert "komodo" not in hide
    assert "wallet" not in hide
    assert content_tokens("komodo_wallet: the komodo wallet mining pool", hide) == [
        "komodo", "wallet", "mining", "pool",
    ]  # fmt: skip
    assert content_tokens("zetok: ok", hide) == []  # addressed to someone, nothing else: small talk


def _stable_window(extra: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    old = [[f"pricing tiers for the saas plan {i}" for i in range(20)],
           [f"hiring a designer for the landing page {i}" for i in range(20)]]  # fmt: skip
    new = [[f"demo day pitch deck feedback round {i}" for i in range(25)],
           [f"pricing tiers for the saas plan again {i}" for i in range(6)]]  # fmt: skip
    texts, vecs = _grouped(old + new, seed=4)
    periods = np.array([0] * 40 + [1] * 31, dtype=np.int64)
    if extra:
        texts = [*texts, "demo day pitch deck feedback round one more"]
        vecs = np.vstack([vecs, vecs[41] * 0.98 + vecs[42] * 0.02])
        periods = np.append(periods, 1)
    return texts, vecs, periods


def test_one_more_message_keeps_the_same_rising_topics() -> None:
    before = extract_topics(*_stable_window(extra=False))
    after = extract_topics(*_stable_window(extra=True))
    assert before.rising, "the new pitch-deck talk should be rising"
    assert [t.label for t in before.rising] == [t.label for t in after.rising]


def test_no_topic_without_messages_in_the_period_and_quotes_carry_the_label() -> None:
    texts, vecs, periods = _stable_window(extra=False)
    periods = periods.copy()
    periods[20:40] = 0  # the designer talk is only in the past
    report = extract_topics(texts, vecs, periods)
    assert all(t.current > 0 for t in report.topics + report.fading)
    for t in report.topics:
        label = set(t.label.replace(",", " ").split())
        assert any(label & set(tokens(q)) for q in t.examples), (t.label, t.examples)
