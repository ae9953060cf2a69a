"""The one chart: a small server-rendered SVG of a figure's last quarters, readable without script,
on the dashboard and in the printable review alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from projections.presentation.text import format_value

WIDTH = 240
HEIGHT = 72
_LABEL_SPACE = 14
_GAP = 4


def trend_points(trend: Iterable[tuple[object, Any]]) -> list[tuple[str, float | None, str]]:
    """The chart's points for (quarter, value) pairs, each value as readers see it."""
    return [
        (str(quarter), float(value) if isinstance(value, int | float) else None, format_value(value))
        for quarter, value in trend
    ]


def bar_chart(points: Sequence[tuple[str, float | None, str]], *, title: str, chart_id: str) -> str:
    """An SVG bar per (quarter label, value, value as text); a missing value draws no bar."""
    count = max(len(points), 1)
    bar_width = (WIDTH - _GAP * (count - 1)) / count
    top = max((value for _, value, _ in points if value is not None), default=0) or 1
    plot = HEIGHT - _LABEL_SPACE
    described = "; ".join(f"{label}: {text}" for label, _, text in points)
    parts = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(described)}</desc>',
    ]
    for i, (label, value, text) in enumerate(points):
        x = i * (bar_width + _GAP)
        height = 0.0 if value is None else max(plot * value / top, 1.0 if value else 0.0)
        last = i == len(points) - 1
        parts.append(
            f'<rect x="{x:.1f}" y="{plot - height:.1f}" width="{bar_width:.1f}" '
            f'height="{height:.1f}" fill="{"#1d70b8" if last else "#b1b4b6"}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
        )
        if i == 0 or last:
            # The last label ends at the right edge, so it is never cut off.
            anchor = ('text-anchor="end" ', x + bar_width) if last and i else ("", x)
            parts.append(
                f'<text {anchor[0]}x="{anchor[1]:.1f}" y="{HEIGHT - 2}" font-size="10" '
                f'fill="#505a5f">{escape(label)}</text>'
            )
    parts.append(f'<line x1="0" y1="{plot}" x2="{WIDTH}" y2="{plot}" stroke="#0b0c0c" />')
    parts.append("</svg>")
    return "".join(parts)
