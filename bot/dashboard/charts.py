"""Charts drawn on the server as inline SVG: no script, no outside file, escaped labels."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLORS = ("#2563eb", "#16a34a", "#f59e0b", "#db2777", "#7c3aed", "#0891b2")
WIDTH, HEIGHT = 720, 240
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 48, 24, 14, 44


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> Markup:
    """Lines over shared x labels (e.g. days), with a legend and a y axis."""
    top = _nice_max(max((max(v, default=0) for v in series.values()), default=0))
    plot_w, plot_h = WIDTH - _PAD_L - _PAD_R, HEIGHT - _PAD_T - _PAD_B
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return _PAD_L + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return _PAD_T + plot_h - plot_h * v / top

    parts = [_frame(title)]
    for k in range(5):
        value = top * k / 4
        parts.append(
            f'<line x1="{_PAD_L}" x2="{WIDTH - _PAD_R}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'class="grid"/>'
            f'<text x="{_PAD_L - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:,.0f}</text>'
        )
    every = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - _PAD_B + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for s, (name, values) in enumerate(series.items()):
        color = COLORS[s % len(COLORS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        lx = _PAD_L + 150 * s
        parts.append(
            f'<rect x="{lx}" y="{HEIGHT - 14}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{HEIGHT - 5}">{escape(name)}</text>'
        )
    return _close(parts)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, note: str = "") -> Markup:
    """Horizontal bars (e.g. a funnel), each labelled with its value."""
    height = _PAD_T + 28 * max(len(bars), 1) + 20
    top = _nice_max(max((v for _, v in bars), default=0))
    label_w, plot_w = 170, WIDTH - 170 - 80
    parts = [_frame(title, height)]
    for i, (label, value) in enumerate(bars):
        y = _PAD_T + 28 * i
        w = plot_w * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="20" '
            f'fill="{COLORS[i % len(COLORS)]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{value:,.0f}</text>'
        )
    if note:
        parts.append(f'<text x="{label_w}" y="{height - 4}">{escape(note)}</text>')
    return _close(parts)


def _frame(title: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _close(parts: list[str]) -> Markup:
    return Markup("".join([*parts, "</svg>"]))  # every text part above is escaped
