"""Row-per-key numpy storage with swap-delete, and an exact float16 cosine index beside it.

`VectorIndex` is the seam for an approximate index later: anything with add/remove/
search/scores/row_of/keys can replace it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# Rows per matrix product when a query has several vectors.
SCAN_CHUNK = 65_536


class RowStore:
    """Named numpy columns, one row per key; removal moves the last row into the hole.

    Two RowStores that receive the same sequence of add/remove calls keep the same row
    order, which is how the matcher keeps its offers, seeks and attribute rows aligned.
    """

    def __init__(self, columns: dict[str, tuple[tuple[int, ...], np.dtype | type]]) -> None:
        self._specs = {name: (shape, np.dtype(dtype)) for name, (shape, dtype) in columns.items()}
        self._rows: dict[int, int] = {}
        self._size = 0
        self._keys = np.zeros(16, dtype=np.int64)
        self._cols = {n: np.zeros((16, *s), dtype=d) for n, (s, d) in self._specs.items()}

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    @property
    def keys(self) -> np.ndarray:
        """Key of each row (a view; do not keep it across updates)."""
        return self._keys[: self._size]

    def column(self, name: str) -> np.ndarray:
        """The live rows of a column (a view; do not keep it across updates)."""
        return self._cols[name][: self._size]

    def row_of(self, key: int) -> int | None:
        return self._rows.get(key)

    def rows_of(self, keys: Iterable[int]) -> np.ndarray:
        """Rows of the keys present in the store."""
        return np.fromiter((r for k in keys if (r := self._rows.get(k)) is not None), np.int64)

    def put(self, key: int, **values: object) -> int:
        """Insert or overwrite the row of `key`; returns its row."""
        row = self._rows.get(key)
        if row is None:
            if self._size == len(self._keys):
                self._grow()
            row = self._size
            self._size += 1
            self._rows[key] = row
            self._keys[row] = key
        for name, value in values.items():
            self._cols[name][row] = value
        return row

    def put_many(self, keys: np.ndarray, **columns: np.ndarray) -> None:
        """Insert or overwrite many rows at once (keys unique); columns are row-aligned."""
        keys = np.asarray(keys, dtype=np.int64)
        rows = np.array([self._rows.get(int(k), -1) for k in keys], dtype=np.int64)
        fresh = rows < 0
        n_new = int(fresh.sum())
        if self._size + n_new > len(self._keys):
            self._grow(self._size + n_new)
        rows[fresh] = np.arange(self._size, self._size + n_new)
        self._keys[rows[fresh]] = keys[fresh]
        self._rows.update(zip(keys[fresh].tolist(), rows[fresh].tolist(), strict=True))
        self._size += n_new
        for name, values in columns.items():
            self._cols[name][rows] = values

    def remove(self, key: int) -> bool:
        """Delete `key`'s row by moving the last row into it. Returns False if absent."""
        row = self._rows.pop(key, None)
        if row is None:
            return False
        last = self._size - 1
        if row != last:
            moved = int(self._keys[last])
            self._keys[row] = moved
            for col in self._cols.values():
                col[row] = col[last]
            self._rows[moved] = row
        self._size = last
        return True

    def _grow(self, at_least: int = 0) -> None:
        cap = max(len(self._keys) * 2, at_least)
        self._keys = np.resize(self._keys, cap)
        for name, col in self._cols.items():
            grown = np.zeros((cap, *col.shape[1:]), dtype=col.dtype)
            grown[: len(col)] = col
            self._cols[name] = grown


class VectorIndex:
    """Exact inner-product search over normalized vectors (cosine similarity), stored as
    float16 and scanned by faiss's fp16 scalar-quantizer kernel.

    Half the bytes of float32 and a kernel that converts while it streams, so an exact
    top-10 over 1M x 384 runs at or below the float32 memory-bandwidth floor (bench/match.py);
    numpy cannot do this (it upcasts float16 in a separate pass, ten times slower). The
    codes are faiss's own buffer, seen here as an (n, dim) float16 array, so rows are
    replaced and swap-deleted in place and stay aligned with a `RowStore`.
    """

    def __init__(self, dim: int) -> None:
        import faiss

        self.dim = dim
        self._faiss = faiss
        self._index = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        self._rows = RowStore({})
        self._view = np.zeros((0, dim), dtype=np.float16)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    @property
    def keys(self) -> np.ndarray:
        return self._rows.keys

    @property
    def matrix(self) -> np.ndarray:
        """The (n, dim) float16 vectors, row-aligned with `keys` (a view; index rows with
        it and compute in float32: `matrix[rows].astype(np.float32)`)."""
        return self._view

    def row_of(self, key: int) -> int | None:
        return self._rows.row_of(key)

    def _refresh(self) -> None:
        n = int(self._index.ntotal)
        if n == 0:
            self._view = np.zeros((0, self.dim), dtype=np.float16)
            return
        raw = self._faiss.rev_swig_ptr(self._index.codes.data(), n * self._index.code_size)
        self._view = raw.view(np.float16).reshape(n, self.dim)

    def add(self, key: int, vector: np.ndarray) -> None:
        """Insert or replace the vector of `key`."""
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (self.dim,):
            raise ValueError(f"Expected a vector of shape ({self.dim},), got {vector.shape}.")
        self.add_many(np.array([key]), vector[None])

    def add_many(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace many vectors at once (keys unique)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        keys = np.asarray(keys, dtype=np.int64)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(keys):
            raise ValueError(f"Expected {len(keys)} vectors of dimension {self.dim}.")
        known = np.array([k in self._rows for k in keys.tolist()], dtype=bool)
        if known.any():
            rows = self._rows.rows_of(keys[known].tolist())
            self._view[rows] = vectors[known].astype(np.float16)
        fresh = ~known
        if fresh.any():
            self._rows.put_many(keys[fresh])
            self._index.add(np.ascontiguousarray(vectors[fresh]))
            self._refresh()

    def remove(self, key: int) -> bool:
        """Delete `key`'s row by moving the last row into it. Returns False if absent."""
        row = self._rows.row_of(key)
        if row is None:
            return False
        last = len(self._rows) - 1
        self._view[row] = self._view[last]
        self._rows.remove(key)  # the same swap in the key column
        self._index.codes.resize(last * self._index.code_size)
        self._index.ntotal = last
        self._refresh()
        return True

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Similarity of a 1-D `query` with every row as float32 (a slower full pass: for
        small indexes and tests; `search` is the fast path)."""
        query = np.asarray(query, dtype=np.float32)
        out = np.empty(len(self), dtype=np.float32)
        for start in range(0, len(self), SCAN_CHUNK):
            stop = min(start + SCAN_CHUNK, len(self))
            out[start:stop] = self._view[start:stop].astype(np.float32) @ query
        return out

    def search_rows(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows and scores (best first), exact; rows where `mask` is False are skipped."""
        n = len(self)
        k = min(k, n)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, self.dim))
        params = None
        if mask is not None:
            bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
            params = self._faiss.SearchParameters(
                sel=self._faiss.IDSelectorBitmap(n, self._faiss.swig_ptr(bits))
            )
        dist, rows = self._index.search(q, k, params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), dist[0][keep]

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k keys and scores (best first); rows where `mask` is False are skipped."""
        rows, scores = self.search_rows(query, k, mask)
        return self.keys[rows].copy(), scores


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(scores, n - k)[n - k :] if k < n else np.arange(n)
    return part[np.argsort(-scores[part], kind="stable")]
