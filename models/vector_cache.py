"""The vector cache protocol and the shared encode plumbing: text hashing, cache lookups,
batching, and one worker thread for model calls."""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Executor, Future
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")


class ModelWorker(Executor):
    """One daemon thread that runs model calls in order.

    Unlike `ThreadPoolExecutor`, whose threads the interpreter joins at exit, a model load
    or batch still running when the bot stops is abandoned, not awaited: `convene chat`
    exits at once instead of waiting seconds for a load a background backfill started.
    """

    def __init__(self, name: str = "embedder") -> None:
        self._name = name
        self._calls: queue.SimpleQueue[
            tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ]
        self._calls = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self.closed:
                raise RuntimeError("the model worker is closed")
            self._calls.put((future, lambda: fn(*args, **kwargs)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        while (item := self._calls.get()) is not None:
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self.closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._calls.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            self._calls.put(None)
            thread = self._thread
        if wait and thread is not None:
            thread.join()


def text_hash(text: str) -> str:
    """Cache key of a text: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@runtime_checkable
class VectorCache(Protocol):
    """Stores normalized float32 vectors keyed by (model id, text hash)."""

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors among `hashes` (missing ones are simply absent)."""
        ...

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors keyed by text hash (1-D float32 arrays)."""
        ...


class MemoryVectorCache:
    """A dict-backed VectorCache, for tests and single-process use."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return {h: v for h in hashes if (v := self._data.get((model_id, h))) is not None}

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for h, v in vectors.items():
                self._data[(model_id, h)] = np.asarray(v, dtype=np.float32)


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0).astype(np.float32)


class CachedEncoder:
    """Shared encode/aencode/cache plumbing; subclasses implement `_encode_raw`."""

    model_id: str
    dim: int

    def __init__(self, *, cache: VectorCache | None, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        self.cache = cache
        self.batch_size = batch_size
        self.encoded_texts = 0  # texts that actually went through the model
        self._model_lock = threading.Lock()  # model calls never overlap, whatever the thread
        self._executor = ModelWorker()

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def load(self) -> None:
        """Load the model (no-op when already loaded)."""

    async def aload(self) -> None:
        """Load the model in the embedder's worker thread."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized float32 vectors, shape (len(texts), dim); only cache misses are encoded."""
        hashes, unique, found = self._lookup(texts)
        missing = [h for h in unique if h not in found]
        if missing:
            found.update(self._store(self._compute(missing, unique)))
        return self._assemble(hashes, found)

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, off the event loop: the model work runs in the embedder's single
        worker thread, cache reads and writes in a helper thread (the cache must be
        thread-safe; the SQLite store opens a connection per call).
        """
        hashes, unique, found = await asyncio.to_thread(self._lookup, texts)
        missing = [h for h in unique if h not in found]
        if missing:
            loop = asyncio.get_running_loop()
            fresh = await loop.run_in_executor(self._executor, self._compute, missing, unique)
            found.update(await asyncio.to_thread(self._store, fresh))
        return self._assemble(hashes, found)

    def _lookup(
        self, texts: Sequence[str]
    ) -> tuple[list[str], dict[str, str], dict[str, np.ndarray]]:
        hashes = [text_hash(t) for t in texts]
        unique: dict[str, str] = dict(zip(hashes, texts, strict=True))
        found = self.cache.get_many(self.model_id, list(unique)) if self.cache and unique else {}
        return hashes, unique, dict(found)

    def _compute(self, missing: list[str], unique: dict[str, str]) -> dict[str, np.ndarray]:
        missing = sorted(missing, key=lambda h: len(unique[h]))  # similar lengths: less padding
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), self.batch_size):
            if self._executor.closed:  # the bot is stopping: drop the rest of the work
                raise CancelledError()
            batch = missing[start : start + self.batch_size]
            with self._model_lock:
                raw = self._encode_raw([unique[h] for h in batch])
            fresh.update(zip(batch, normalize_rows(raw), strict=True))
        self.encoded_texts += len(missing)
        return fresh

    def _store(self, fresh: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.cache is not None:
            self.cache.put_many(self.model_id, fresh)
        return fresh

    def _assemble(self, hashes: list[str], found: dict[str, np.ndarray]) -> np.ndarray:
        if not hashes:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)

    def close(self) -> None:
        """Stop the worker: queued calls are cancelled, a running one is not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)
