"""Row-per-key numpy storage with swap-delete, and an exact cosine index built on it.

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
    """Exact inner-product search over normalized float32 vectors (cosine similarity)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._store = RowStore({"v": ((dim,), np.float32)})
        self._scores = np.zeros(0, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return key in self._store

    @property
    def keys(self) -> np.ndarray:
        return self._store.keys

    @property
    def matrix(self) -> np.ndarray:
        """The (n, dim) float32 vectors, row-aligned with `keys` (a view)."""
        return self._store.column("v")

    def row_of(self, key: int) -> int | None:
        return self._store.row_of(key)

    def add(self, key: int, vector: np.ndarray) -> None:
        """Insert or replace the vector of `key`."""
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (self.dim,):
            raise ValueError(f"Expected a vector of shape ({self.dim},), got {vector.shape}.")
        self._store.put(key, v=vector)

    def add_many(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace many vectors at once (keys unique)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(keys):
            raise ValueError(f"Expected {len(keys)} vectors of dimension {self.dim}.")
        self._store.put_many(np.asarray(keys), v=vectors)

    def remove(self, key: int) -> bool:
        return self._store.remove(key)

    def scores(self, query: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Similarity of `query` with every row, into a reused output buffer.

        A 2-D query (q, dim) gives the row-wise maximum over its q vectors.
        """
        n = len(self)
        if out is None:
            if len(self._scores) < n:
                self._scores = np.empty(max(n, 2 * len(self._scores)), dtype=np.float32)
            out = self._scores[:n]
        matrix = self.matrix
        query = np.asarray(query, dtype=np.float32)
        if query.ndim == 1:  # one BLAS gemv streams the matrix once, at memory bandwidth
            np.dot(matrix, query, out=out)
            return out
        for start in range(0, n, SCAN_CHUNK):  # chunks bound the (rows, q) temporary
            stop = min(start + SCAN_CHUNK, n)
            np.max(matrix[start:stop] @ query.T, axis=1, out=out[start:stop])
        return out

    def search(
        self, query: np.ndarray, k: int, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k keys and scores (best first); rows where `mask` is False are skipped."""
        scores = self.scores(query)
        if mask is not None:
            scores[~mask] = -np.inf
        rows = top_rows(scores, k)
        rows = rows[np.isfinite(scores[rows])]
        return self.keys[rows].copy(), scores[rows].copy()


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(scores, n - k)[n - k :] if k < n else np.arange(n)
    return part[np.argsort(-scores[part], kind="stable")]
