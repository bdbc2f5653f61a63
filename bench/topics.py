"""Benchmark: our topic extraction vs BERTopic's default pipeline on the same embeddings.

Usage:
    .venv/bin/pip install bertopic      # only for this benchmark (pulls umap-learn, hdbscan)
    .venv/bin/python bench/topics.py [--messages 20000]

Both methods get the same 20,000 demo messages (bot/demo_data.py) and the same precomputed
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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo_data import DemoCommunity, generate, week_of

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    _community, texts, _weeks = demo_sample(args.messages)
    vectors = cached_embeddings(texts)
    print(vectors.shape)


if __name__ == "__main__":
    main()
