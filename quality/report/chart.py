"""The trend chart: an inline SVG of records pulled, quarantined and golden per run.

Three small panels side by side, each with its own y axis, because quarantined counts
are a small fraction of records pulled and would lie flat on a shared axis. Plain SVG
with ``<title>`` tooltips: no scripts, no external assets, readable with one run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from quality.report.model import TrendPoint

WIDTH = 1140
HEIGHT = 250
PANEL_GAP = 28
MARGIN_LEFT = 52
MARGIN_RIGHT = 26
MARGIN_TOP = 34
MARGIN_BOTTOM = 44
MAX_X_LABELS = 4


@dataclass(frozen=True)
class Series:
    """One panel of the chart: a title, a colour and how to read a point's value."""

    title: str
    colour: str
    value: Callable[[TrendPoint], int]


SERIES = (
    Series("Records pulled", "#2563eb", lambda p: p.pulled),
    Series("Records quarantined (open)", "#d97706", lambda p: p.quarantined),
    Series("Golden records", "#059669", lambda p: p.golden_records),
)


def trend_svg(points: Sequence[TrendPoint]) -> str:
    """Return the chart as an ``<svg>`` element (empty string when there are no runs)."""
    if not points:
        return ""
    panel_width = (WIDTH - PANEL_GAP * (len(SERIES) - 1)) / len(SERIES)
    panels = [
        _panel(series, points, i * (panel_width + PANEL_GAP), panel_width)
        for i, series in enumerate(SERIES)
    ]
    label = f"Trend over the last {len(points)} run(s): records pulled, quarantined and golden"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}"'
        f' font-family="inherit">'
        f"<title>{escape(label)}</title>{''.join(panels)}</svg>"
    )


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Return round tick values from 0 to at least ``maximum`` (steps of 1, 2 or 5 x 10^k)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    top = math.ceil(maximum / step) * step
    return [i * step for i in range(int(round(top / step)) + 1)]


def _panel(series: Series, points: Sequence[TrendPoint], left: float, width: float) -> str:
    values = [series.value(p) for p in points]
    ticks = nice_ticks(max(values))
    plot_left = left + MARGIN_LEFT
    plot_width = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_top = MARGIN_TOP
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = plot_top + plot_height

    def x(i: int) -> float:
        if len(points) == 1:
            return plot_left + plot_width / 2
        return plot_left + plot_width * i / (len(points) - 1)

    def y(v: float) -> float:
        return bottom - plot_height * v / ticks[-1]

    parts = [
        f'<g class="panel"><text x="{left:.1f}" y="16" font-size="13" font-weight="600"'
        f' fill="#1f2937">{escape(series.title)}</text>'
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{plot_left:.1f}" x2="{plot_left + plot_width:.1f}" y1="{ty:.1f}"'
            f' y2="{ty:.1f}" stroke="#e5e7eb" stroke-width="1"/>'
            f'<text x="{plot_left - 8:.1f}" y="{ty + 4:.1f}" font-size="11" fill="#6b7280"'
            f' text-anchor="end">{_number(tick)}</text>'
        )
    parts.append(
        f'<line x1="{plot_left:.1f}" x2="{plot_left + plot_width:.1f}" y1="{bottom:.1f}"'
        f' y2="{bottom:.1f}" stroke="#9ca3af" stroke-width="1"/>'
    )
    for i in _label_indices(len(points)):
        started = points[i].started_at
        parts.append(
            f'<text x="{x(i):.1f}" y="{bottom + 16:.1f}" font-size="11" fill="#6b7280"'
            f' text-anchor="middle">{started:%d %b}'
            f'<tspan x="{x(i):.1f}" dy="13">{started:%H:%M}</tspan></text>'
        )
    if len(points) > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{series.colour}"'
            f' stroke-width="2" stroke-linejoin="round"/>'
        )
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        fill = series.colour if point.status == "success" else "#ffffff"
        tip = f"{point.run_id} ({point.status}): {_number(value)}"
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{fill}"'
            f' stroke="{series.colour}" stroke-width="2"><title>{escape(tip)}</title></circle>'
        )
    last_x, last_y = x(len(points) - 1) - (6 if len(points) > 1 else 0), y(values[-1])
    anchor = "end" if len(points) > 1 else "middle"
    parts.append(
        f'<text x="{last_x:.1f}" y="{last_y - 9:.1f}" font-size="12" font-weight="600"'
        f' fill="{series.colour}" text-anchor="{anchor}" stroke="#ffffff" stroke-width="4"'
        f' paint-order="stroke">{_number(values[-1])}</text></g>'
    )
    return "".join(parts)


def _label_indices(count: int) -> list[int]:
    if count <= MAX_X_LABELS:
        return list(range(count))
    step = (count - 1) / (MAX_X_LABELS - 1)
    return sorted({round(i * step) for i in range(MAX_X_LABELS)})


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
