"""The digest chart: daily messages, the fitted trend and the forecast band, as PNG bytes.

Uses matplotlib's object API on the Agg canvas (no pyplot global state), so it is safe to
call from a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from models.forecast import fit


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart shows: the daily series and how many days ahead to forecast."""

    title: str
    daily: list[tuple[date, int]]
    ahead: int
    level: float = 0.9


def render_chart(data: ChartData) -> bytes:
    """A PNG of the daily counts with the least-squares trend and its prediction band.

    Raises:
        ValueError: no days to draw.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    if not data.daily:
        raise ValueError("no days to chart")
    days = [d for d, _ in data.daily]
    counts = [c for _, c in data.daily]
    line = fit(list(range(len(counts))), counts)
    future = [days[-1] + timedelta(days=i) for i in range(1, data.ahead + 1)]
    xs_future = range(len(counts), len(counts) + data.ahead)

    fig = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(days, counts, color="#7aa6d6", label="messages per day")
    ax.plot(
        days + future,
        [line.predict(x) for x in range(len(counts) + data.ahead)],
        color="#1f4e79",
        linewidth=2,
        label="trend (least squares)",
    )
    bands = [line.interval(x, data.level) for x in xs_future]
    if future and all(abs(lo) != float("inf") for lo, _ in bands):
        ax.fill_between(
            future,
            [max(0.0, lo) for lo, _ in bands],
            [hi for _, hi in bands],
            color="#f4a259",
            alpha=0.35,
            label=f"forecast, {data.level:.0%} range",
        )
    top = max([*counts, *(hi for _, hi in bands if hi != float("inf")), 1])
    ax.set_title(data.title)
    ax.set_ylabel("messages")
    ax.set_ylim(0, top * 1.3)  # room for the legend above the bars
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=3)
    ax.grid(axis="y", alpha=0.3)
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
