"""Charts as SVG text, drawn on the server by pure functions (no chart library, nothing
run in the browser): grouped bars per category and lines over time. Each chart is an
``<svg role="img">`` with a ``<title>`` and a ``<desc>`` listing its numbers, so a
screen reader reads the data and a test can too. Every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

#: series colours, distinguishable and at least 3:1 against white
PALETTE = ("#0b5fad", "#c2410c", "#1d6b34", "#7e22ce", "#a3222b", "#4d5560", "#0e7490")

Series = tuple[str, Sequence[float]]


def _nice_max(value: float) -> float:
    """A round top for the value axis (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _frame(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]
           ) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" id="{chart_id}">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def _describe(labels: Sequence[str], series: Sequence[Series]) -> str:
    parts = []
    for name, values in series:
        pairs = ", ".join(f"{label} {_number(v)}" for label, v in zip(labels, values,
                                                                       strict=False))
        parts.append(f"{name}: {pairs or 'no data'}")
    return "; ".join(parts)


def _axis(width: int, height: int, left: int, top: int, bottom: int, top_value: float
          ) -> list[str]:
    out = []
    plot_h = height - top - bottom
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" '
                   f'stroke="#d4d9df" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                   f'fill="#4d5560">{_number(value)}</text>')
    return out


def bar_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series],
              *, width: int = 640, height: int = 260) -> str:
    """Grouped bars: one group per category, one bar per series."""
    left, top, bottom = 44, 12, 58
    top_value = _nice_max(max((v for _, vs in series for v in vs), default=0))
    body = _axis(width, height, left, top, bottom, top_value)
    plot_w, plot_h = width - left - 8, height - top - bottom
    groups = max(len(categories), 1)
    group_w = plot_w / groups
    bar_w = max(2.0, (group_w * 0.8) / max(len(series), 1))
    for g, category in enumerate(categories):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g] if g < len(values) else 0
            h = plot_h * value / top_value
            x = x0 + s * bar_w
            body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                        f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                        f'<title>{escape(category)}: {escape(name)} {_number(value)}</title>'
                        f'</rect>')
        label = category if len(category) <= 18 else category[:17] + "…"
        cx = left + g * group_w + group_w / 2
        body.append(f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="end" '
                    f'font-size="11" fill="#1b1f24" transform="rotate(-30 {cx:.1f} '
                    f'{height - bottom + 16})">{escape(label)}</text>')
    return _frame(chart_id, title, _describe(categories, series), width, height, body)


def line_chart(chart_id: str, title: str, points: Sequence[str], series: Sequence[Series],
               *, width: int = 640, height: int = 260) -> str:
    """Lines over ``points`` (days, in order), one per series."""
    left, top, bottom = 44, 12, 40
    top_value = _nice_max(max((v for _, vs in series for v in vs), default=0))
    body = _axis(width, height, left, top, bottom, top_value)
    plot_w, plot_h = width - left - 8, height - top - bottom
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        coords = [(x(i), top + plot_h - plot_h * v / top_value) for i, v in enumerate(values)]
        if len(coords) > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"/>')
        for (cx, cy), point, v in zip(coords, points, values, strict=False):
            body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{colour}">'
                        f'<title>{escape(point)}: {escape(name)} {_number(v)}</title></circle>')
    if n:
        shown = sorted({0, n - 1, *range(0, n, max(1, n // 6))})
        for i in shown:
            # ISO days lose their year ("12-01"): the title and description keep it
            tick = points[i][5:] if len(points[i]) == 10 else points[i]
            body.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                        f'font-size="11" fill="#1b1f24">{escape(tick)}</text>')
    return _frame(chart_id, title, _describe(points, series), width, height, body)
