"""Where matching searches profile vectors: each process's in-memory index, or pgvector.

Issue 15 asks to measure before choosing. For N normalized 384-dimension vectors (clustered,
like profile texts of one community, seeded) this prints, in one run:

- the baseline: an exact numpy top-10 (one matrix product) per query;
- the in-memory index (`models.vector_index.VectorIndex`, what the matcher uses): the cost
  of rebuilding it at process start from the vectors stored in PostgreSQL, and per query;
- pgvector, when the extension is installed on the server: exact search (no index), and an
  HNSW index (build time, per query, recall@10 against the exact answer).

Each figure is given with its ratio to the numpy baseline. Run:
    .venv/bin/python bench/vectors.py [--n 20000] [--queries 200] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import psycopg

from models.vector_index import VectorIndex, top_rows

DIM = 384
K = 10


def make_vectors(n: int, seed: int = 7) -> np.ndarray:
    """Clustered unit vectors: 200 topics, each profile near one of them."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((200, DIM)).astype(np.float32)
    points = centers[rng.integers(0, 200, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(
        np.float32
    )
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def per_query(run, queries: np.ndarray) -> tuple[float, list[np.ndarray]]:
    found = []
    t0 = time.perf_counter()
    for q in queries:
        found.append(run(q))
    return (time.perf_counter() - t0) / len(queries), found


def literal(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"


def recall(found: list[np.ndarray], exact: list[np.ndarray]) -> float:
    hits = sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact, strict=True))
    return hits / (K * len(exact))


def in_postgres(url: str, vecs: np.ndarray, queries: np.ndarray, exact: list[np.ndarray],
                base_q: float) -> None:  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_vectors")
        conn.execute("CREATE TABLE bench_vectors (id BIGINT PRIMARY KEY, data BYTEA NOT NULL)")
        with conn.cursor() as cur, cur.copy("COPY bench_vectors (id, data) FROM STDIN") as cp:
            for i, v in enumerate(vecs):
                cp.write_row((i, v.tobytes()))
        t0 = time.perf_counter()
        rows = conn.execute("SELECT id, data FROM bench_vectors").fetchall()
        keys = np.array([r[0] for r in rows], dtype=np.int64)
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(-1, DIM)
        index = VectorIndex(DIM)
        index.add_many(keys, mat)
        rebuild = time.perf_counter() - t0
        print(f"in-memory index rebuilt from PostgreSQL at start: {rebuild:.2f} s")
        t_idx, found = per_query(lambda q: index.search(q, K)[0], queries)
        print(
            f"in-memory index (fp16, exact), per query: {t_idx * 1e3:.2f} ms "
            f"(ratio to numpy: {t_idx / base_q:.2f}), recall@10 {recall(found, exact):.3f}"
        )

        has = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if has.fetchone() is None:
            print("pgvector: not installed on this server; nothing to compare")
            return
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("DROP TABLE IF EXISTS bench_pgvector")
        conn.execute(f"CREATE TABLE bench_pgvector (id BIGINT PRIMARY KEY, v vector({DIM}))")
        with conn.cursor() as cur, cur.copy("COPY bench_pgvector (id, v) FROM STDIN") as cp:
            for i, v in enumerate(vecs):
                cp.write_row((i, literal(v)))
        conn.execute("ANALYZE bench_pgvector")
        sql = "SELECT id FROM bench_pgvector ORDER BY v <=> %s::vector LIMIT 10"

        def search(q: np.ndarray) -> np.ndarray:
            return np.array([r[0] for r in conn.execute(sql, (literal(q),))], dtype=np.int64)

        t_exact, found = per_query(search, queries)
        print(
            f"pgvector exact (no index), per query: {t_exact * 1e3:.2f} ms "
            f"(ratio to numpy: {t_exact / base_q:.2f}), recall@10 {recall(found, exact):.3f}"
        )
        t0 = time.perf_counter()
        conn.execute("CREATE INDEX ON bench_pgvector USING hnsw (v vector_cosine_ops)")
        print(f"pgvector HNSW index built in {time.perf_counter() - t0:.1f} s")
        conn.execute("SET hnsw.ef_search = 100")
        t_hnsw, found = per_query(search, queries)
        print(
            f"pgvector HNSW (ef_search 100), per query: {t_hnsw * 1e3:.2f} ms "
            f"(ratio to numpy: {t_hnsw / base_q:.2f}), recall@10 {recall(found, exact):.3f}"
        )
        conn.execute("DROP TABLE bench_pgvector")
        conn.execute("DROP TABLE bench_vectors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgresql", metavar="URL", help="a PostgreSQL database to use")
    args = parser.parse_args()
    vecs = make_vectors(args.n)
    queries = make_vectors(args.queries, seed=8)
    print(f"{args.n:,} vectors of {DIM} dimensions, {args.queries} queries, top-{K}")
    base_q, exact = per_query(lambda q: top_rows(vecs @ q, K).astype(np.int64), queries)
    print(f"baseline numpy exact (float32 matrix product), per query: {base_q * 1e3:.2f} ms")

    from tests.pg import SKIPPED, databases

    with databases(args.postgresql) as database:
        if database is None:
            print(SKIPPED)
            return
        in_postgres(database(), vecs, queries, exact, base_q)


if __name__ == "__main__":
    main()
