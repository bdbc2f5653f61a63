"""Benchmark: our topic extraction vs BERTopic's default pipeline on the same embeddings.

Usage:
    .venv/bin/pip install bertopic      # only for this benchmark (pulls umap-learn, hdbscan)
    .venv/bin/python bench/topics.py [--messages 20000]
    .venv/bin/python bench/topics.py --real DIR    # the real chats of bench/realchat.py

Both methods get the same 20,000 demo messages (bot/demo/community.py) and the same precomputed
all-MiniLM-L6-v2 embeddings (cached as .npy under the temp dir, so reruns skip the ~1-2 min of
encoding). Printed per method: wall time, number of topics, share of unassigned messages and
planted-topic recall (a planted topic is found when, in the week it rises, a topic marked
rising by the same trend rule has >= 2 of its planted keywords among its top words).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo.community import DemoCommunity, PlantedTopic, generate, week_of
from models.topics.extract import extract_topics, trend

END = datetime(2026, 11, 30, tzinfo=UTC)
CACHE = Path(tempfile.gettempdir()) / "convene-bench"


def demo_sample(size: int, seed: int = 7) -> tuple[DemoCommunity, list[str], np.ndarray]:
    """`size` messages of the default demo community (time order): community, texts, weeks."""
    community = generate(seed, end=END)
    picked = sorted(random.Random(seed).sample(range(len(community.messages)), size))
    messages = [community.messages[i] for i in picked]
    weeks = np.array([week_of(community, m.at) for m in messages])
    return community, [m.text for m in messages], weeks


def cached_embeddings(texts: list[str]) -> np.ndarray:
    """Bundled-model embeddings of `texts`, cached in a .npy keyed by the texts' hash."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"minilm-{len(texts)}-{key}.npy"
    if path.exists():
        return np.load(path)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from models.embedder import Embedder

    embedder = Embedder(batch_size=128)
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    embedder.close()
    print(f"encoded {embedder.encoded_texts} unique texts in {time.perf_counter() - started:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def planted_recall(
    labels: np.ndarray, words: dict[int, set[str]], weeks: np.ndarray, planted: list[PlantedTopic]
) -> float:
    """Share of planted topics some topic finds: >= 2 planted keywords among its top words and
    rising (models.topics.extract.trend) in the week the planted topic rises, from `labels` per message."""
    found = 0
    for topic in planted:
        week = topic.rises_in_week
        window = weeks <= week
        current, previous = window & (weeks == week), window & (weeks < week)
        for label, top in words.items():
            if len(top & set(topic.keywords)) < 2:
                continue
            mine = labels == label
            status = trend(
                int((mine & current).sum()),
                int((mine & previous).sum()),
                int(current.sum()),
                int(previous.sum()),
                len(np.unique(weeks[previous])),
            )[2]
            if status == "rising":
                found += 1
                break
    return found / len(planted)


def run_ours(texts: list[str], vectors: np.ndarray, weeks: np.ndarray) -> dict[str, float]:
    """models.topics.extract.extract_topics once over all weeks."""
    started = time.perf_counter()
    report = extract_topics(texts, vectors, weeks)
    elapsed = time.perf_counter() - started
    words = {
        i: {w for term in t.keywords for w in term.split()} for i, t in enumerate(report.topics)
    }
    return {
        "time": elapsed,
        "topics": len(report.topics),
        "unassigned": report.unassigned_share,
        "small_talk": report.small_talk_share,
        "labels": report.labels,
        "words": words,
    }


def run_bertopic(texts: list[str], vectors: np.ndarray) -> dict[str, float]:
    """BERTopic's default pipeline (UMAP + HDBSCAN + c-TF-IDF) on our precomputed embeddings."""
    from bertopic import BERTopic

    BERTopic().fit_transform(texts[:600], vectors[:600])  # warm-up: numba JIT not timed
    model = BERTopic()
    started = time.perf_counter()
    labels, _ = model.fit_transform(texts, vectors)
    elapsed = time.perf_counter() - started
    labels = np.asarray(labels)
    words = {t: {w for w, _ in model.get_topic(t)} for t in set(labels.tolist()) if t != -1}
    return {
        "time": elapsed,
        "topics": len(words),
        "unassigned": float(np.mean(labels == -1)),
        "small_talk": 0.0,
        "labels": labels,
        "words": words,
    }


def per_week_recall(
    texts: list[str], vectors: np.ndarray, weeks: np.ndarray, planted: list[PlantedTopic]
) -> tuple[float, float]:
    """Our recall used as the digest uses it: one run per rise week on the weeks so far."""
    found, started = 0, time.perf_counter()
    for topic in planted:
        window = weeks <= topic.rises_in_week
        subset = [t for t, keep in zip(texts, window, strict=True) if keep]
        report = extract_topics(subset, vectors[window], weeks[window])
        found += any(
            len({w for term in t.keywords for w in term.split()} & set(topic.keywords)) >= 2
            for t in report.rising
        )
    return found / len(planted), time.perf_counter() - started


def real_chats(root: Path) -> None:
    """Ours vs BERTopic on the real chats (bench/realchat.py), in the digest's own setting:
    the last four weeks, each UTC day sampled to 400 distinct texts."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bertopic import BERTopic
    from realchat import SOURCES, digest_sample, load

    from models.topics.words import name_tokens

    for name, (repo, commit, lang) in SOURCES.items():
        messages = load(name, root)
        sample, periods = digest_sample(messages)
        texts = [m.text for m in sample]
        vectors = cached_embeddings(texts)
        hide = name_tokens({m.author for m in messages})
        started = time.perf_counter()
        ours = extract_topics(texts, vectors, np.array(periods), hide_words=hide)
        ours_time = time.perf_counter() - started
        BERTopic().fit_transform(texts[:600], vectors[:600])  # warm-up: numba JIT not timed
        model = BERTopic()
        started = time.perf_counter()
        labels, _ = model.fit_transform(texts, vectors)
        bt_time = time.perf_counter() - started
        labels = np.asarray(labels)
        info = model.get_topic_info()
        bt_labels = [
            ", ".join(w for w, _ in model.get_topic(t)[:4])
            for t in info["Topic"].tolist() if t != -1
        ][:10]  # fmt: skip
        small = ours.small_talk_share
        outside = ours.unassigned_share / max(1e-9, 1.0 - small)
        print(f"\n{name} ({repo} @ {commit[:10]}, {lang}): {len(messages):,} messages; "
              f"digest sample {len(texts):,} texts over 4 weeks")  # fmt: skip
        print(f"  {'':<14}{'ours':>12}{'BERTopic':>12}")
        print(f"  {'seconds':<14}{ours_time:>12.2f}{bt_time:>12.2f}   ours is "
              f"{bt_time / max(ours_time, 1e-9):.1f}x faster")  # fmt: skip
        print(f"  {'topics':<14}{len(ours.topics):>12}{len(set(labels.tolist()) - {-1}):>12}")
        print(f"  {'unassigned':<14}{ours.unassigned_share:>12.1%}{np.mean(labels == -1):>12.1%}")
        print(f"  {'small talk':<14}{small:>12.1%}{'-':>12}   "
              f"unassigned outside small talk: {outside:.1%}")  # fmt: skip
        print("  top ten labels (ours | BERTopic):")
        for i in range(10):
            mine = ours.topics[i].label if i < len(ours.topics) else ""
            theirs = bt_labels[i] if i < len(bt_labels) else ""
            print(f"    {i + 1:>2}. {mine[:38]:<38} | {theirs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", metavar="DIR", help="run on the real chats in DIR instead")
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    try:
        import bertopic  # noqa: F401
    except ImportError:
        sys.exit("BERTopic is not installed; install it with `.venv/bin/pip install bertopic`.")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    if args.real:
        real_chats(Path(args.real))
        return
    community, texts, weeks = demo_sample(args.messages)
    vectors = cached_embeddings(texts)
    planted = community.planted.topics
    print(f"{len(texts)} demo messages over {weeks.max() + 1} weeks, {len(planted)} planted topics")
    results = {"ours": run_ours(texts, vectors, weeks), "BERTopic": run_bertopic(texts, vectors)}
    print(
        f"{'method':10} {'time s':>8} {'topics':>7} {'unassigned':>11} {'small talk':>11} {'recall':>7}"
    )
    for name, r in results.items():
        recall = planted_recall(r["labels"], r["words"], weeks, planted)
        print(
            f"{name:10} {r['time']:8.2f} {r['topics']:7d} {r['unassigned']:11.1%} "
            f"{r['small_talk']:11.1%} {recall:7.2f}"
        )
    for name, r in results.items():  # how many topics share each planted topic's keywords
        split = [
            sum(len(top & set(t.keywords)) >= 2 for top in r["words"].values()) for t in planted
        ]
        print(f"{name}: topics matching each planted topic's keywords: {split}")
    ratio = results["BERTopic"]["time"] / results["ours"]["time"]
    print(f"speed ratio: ours is {ratio:.1f}x faster than BERTopic's default pipeline")
    recall, elapsed = per_week_recall(texts, vectors, weeks, planted)
    print(
        f"ours run per rise week (as the digest does): recall {recall:.2f}, {elapsed:.1f} s total"
    )


if __name__ == "__main__":
    main()
