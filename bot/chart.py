"""The digest chart: daily messages and the chosen forecast for the next period, as PNG bytes.

Uses matplotlib's object API on the Agg canvas (no pyplot global state), so it is safe to
call from a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from models.forecast import Forecast


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart shows: the daily series and the forecast of the period after it."""

    title: str
    daily: list[tuple[date, int]]
    forecast: Forecast | None = None


def render_chart(data: ChartData) -> bytes:
    """A PNG of the daily counts and, per day, the digest's own forecast and its likely range.

    The band is the same forecast the digest's text states (the method chosen on the
    community's past), spread evenly over the next period's days.

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
    f = data.forecast
    fig = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(days, counts, color="#7aa6d6", label="messages per day")
    top = max([*counts, 1])
    if f is not None and f.period_days > 0:
        future = [days[-1] + timedelta(days=i) for i in range(1, f.period_days + 1)]
        per_day = f.expected / f.period_days
        ax.plot(future, [per_day] * len(future), color="#1f4e79", linewidth=2,
                label=f"forecast ({f.method})")  # fmt: skip
        if f.low is not None and f.high is not None:
            low, high = max(0.0, f.low / f.period_days), f.high / f.period_days
            ax.fill_between(future, [low] * len(future), [high] * len(future),
                            color="#f4a259", alpha=0.35, label=f"likely, {f.level:.0%} range")  # fmt: skip
            top = max(top, high)
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
