"""After an import: embed what was imported and keep weekly topic summaries of it.

`convene import` calls `warm_history`, so the first `/trends` afterwards finds every vector
cached, and the history keeps its insight (bot/features/digests/summaries.py) even after text
retention deletes the text at the next start.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from bot.features.digests import summaries
from bot.features.digests.data import collect, window_for
from bot.features.digests.topic_worker import BATCH, DAY, bottom_k, daily_sample

RECENT_DAYS = 28  # the newest days get the digest's full daily sample (what /trends reads)
SUMMARY_SAMPLE = 30  # older days: the first texts of the same sample, enough for a summary

if TYPE_CHECKING:
    from bot.core import Core


def _bar(total: int, what: str, out: TextIO) -> object:
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit=" texts", file=out, dynamic_ncols=True)


async def warm_history(
    core: Core, community: int, start: int, end: int, *, out: TextIO = sys.stderr
) -> tuple[int, int]:
    """Embed the sampled texts of [start, end) and store a topic summary per week.

    The last `RECENT_DAYS` get the digest's full daily sample; older days the first
    `SUMMARY_SAMPLE` texts of it (the same hash rule), which bounds the model time of a long
    history while each week's summary still sees a couple of hundred messages.

    Returns (texts encoded, weeks summarized). Progress goes to `out` as bars.
    """
    from bot.features.digests.build import _topics

    embedder = core.embedder
    if embedder is None or embedder.cache is None or end <= start:
        return 0, 0
    sample = await asyncio.to_thread(
        daily_sample, core.store.reader(), community, start, end + 1, close=True
    )
    recent = end // DAY - RECENT_DAYS
    texts = [
        t
        for day in sorted(sample.by_day)
        for t in (
            sample.by_day[day] if day >= recent else bottom_k(sample.by_day[day], SUMMARY_SAMPLE)
        )
    ]
    from models.embedder import text_hash

    hashes = [text_hash(t) for t in texts]
    cached = await asyncio.to_thread(embedder.cache.get_many, embedder.model_id, hashes)
    missing = list({h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}.values())
    if missing:
        await embedder.aload()
        bar = _bar(len(missing), "Embedding imported messages", out)
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            await embedder.aencode(chunk)
            bar.update(len(chunk))  # type: ignore[attr-defined]
        bar.close()  # type: ignore[attr-defined]
    weeks = []
    last = (end // DAY + 1) * DAY
    while last - 7 * DAY >= start - 7 * DAY and last > start:
        weeks.append(last)
        last -= 7 * DAY
    done = 0
    bar = _bar(len(weeks), "Summarizing weekly topics", out)
    for week_end in reversed(weeks):
        window = window_for(datetime.fromtimestamp(week_end, UTC), 7)
        data = await asyncio.to_thread(collect, core.store.reader(), community, window)
        report = await _topics(core, community, data, [], budget=0)  # what is embedded
        if report is not None and report.topics:
            summaries.save(core.store, community, window, report)
            done += 1
        bar.update(1)  # type: ignore[attr-defined]
    bar.close()  # type: ignore[attr-defined]
    return len(missing), done
