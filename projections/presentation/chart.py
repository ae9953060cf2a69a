"""The one chart: a small server-rendered SVG of a figure's last quarters, readable without script
and on paper, on the dashboard and in the printable review alike.

Every value is written above its bar (a tooltip is not there on paper); the scale has a baseline
and a labelled top line; no text is smaller than 14px at the chart's natural size; a quarter
still in progress is hatched and says "so far", so that a part-quarter does not read as a fall.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, NamedTuple

from events.quarters import BadPeriod, Quarter
from projections.presentation.text import format_value

#: The smallest text, in px at the chart's natural size.
FONT = 14
#: Distance between two lines of text.
LINE = 17
#: Width each quarter takes, and its bar's share of it.
SLOT = 56
BAR = 38
#: Height of the bars' area, from the baseline to the top line of the scale.
PLOT = 100
SO_FAR = "so far"
_INK, _SECONDARY, _CURRENT, _EARLIER = "#0b0c0c", "#505a5f", "#1d70b8", "#505a5f"


class Point(NamedTuple):
    """One quarter of the chart: its label, its value (None draws no bar), the value as
    readers see it, and whether the quarter was still in progress (drawn hatched, "so far")."""

    label: str
    value: float | None
    text: str
    provisional: bool = False


def trend_points(trend: Iterable[tuple[object, Any]], *,
                 provisional: Quarter | None = None) -> list[Point]:
    """The chart's points for (quarter, value) pairs, each value as readers see it.

    `provisional` is the quarter in progress: its point is marked so; quarters after it have
    not begun and get no point at all (no bar, and no "0" that would read as none recorded).
    """
    points = []
    for quarter, value in trend:
        when = _quarter(quarter)
        if provisional is not None and when is not None and when > provisional:
            continue
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        points.append(Point(str(quarter), number, format_value(value),
                            provisional is not None and when == provisional))
    return points


def _quarter(quarter: object) -> Quarter | None:
    if isinstance(quarter, Quarter):
        return quarter
    try:
        return Quarter.parse(str(quarter))
    except BadPeriod:
        return None


def _width(text: str) -> float:
    """About how wide a text is at FONT px in Arial: most characters are near 0.55em."""
    return len(text) * FONT * 0.58


def _lines(text: str, room: float) -> list[str]:
    """The words of a text in lines no wider than `room` (a word longer than it stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and _width(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _top(points: Sequence[Point]) -> tuple[float, str, str]:
    """The scale's top: a round number at or above every value; its label and the baseline's."""
    values = [p.value for p in points if p.value is not None]
    highest = max(values, default=0)
    rates = any(isinstance(v, float) for v in values) and highest <= 1
    if highest <= 0:
        return (0.1, format_value(0.1), format_value(0.0)) if rates else (1, "1", "0")
    power = 10 ** math.floor(math.log10(highest))
    # A count's scale stays whole: 2.5 only from 25 up.
    steps = (1, 2, 2.5, 5, 10) if rates or power >= 10 else (1, 2, 5, 10)
    top = next(step * power for step in steps if step * power >= highest)
    if rates:
        top = min(top, 1.0)
        return top, format_value(float(top)), format_value(0.0)
    return top, format_value(int(math.ceil(top))), format_value(0)


def _text(x: float, y: float, text: str, *, anchor: str = "middle", fill: str = _INK) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT}" '
            f'fill="{fill}">{escape(text)}</text>')


def bar_chart(points: Sequence[Point | tuple[str, float | None, str]], *, title: str,
              chart_id: str) -> str:
    """An SVG bar per point, its value written above it; a missing value draws no bar."""
    shown = [p if isinstance(p, Point) else Point(*p) for p in points]
    top, top_text, zero_text = _top(shown)
    axis = math.ceil(max(_width(top_text), _width(zero_text)) + 10)
    above = [_lines(p.text, SLOT - 4) + ([SO_FAR] if p.provisional else []) for p in shown]
    head = LINE * max((len(lines) for lines in above), default=1) + 6
    base = head + PLOT
    width = axis + SLOT * max(len(shown), 1)
    height = base + 2 * LINE + 8
    described = "; ".join(f"{p.label}: {p.text}{' ' + SO_FAR if p.provisional else ''}"
                          for p in shown)
    pattern = f"{chart_id}-so-far"
    parts = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="Arial, Helvetica, sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(described)}</desc>',
    ]
    if any(p.provisional for p in shown):
        parts.append(
            f'<defs><pattern id="{pattern}" patternUnits="userSpaceOnUse" width="8" height="8" '
            f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" '
            f'stroke="{_CURRENT}" stroke-width="4" /></pattern></defs>')
    parts += [
        f'<line x1="{axis:.1f}" y1="{head}" x2="{width:.1f}" y2="{head}" stroke="{_SECONDARY}" '
        f'stroke-dasharray="4 3" />',
        _text(axis - 6, head + 5, top_text, anchor="end", fill=_SECONDARY),
        _text(axis - 6, base + 5, zero_text, anchor="end", fill=_SECONDARY),
    ]
    for i, point in enumerate(shown):
        parts += _bar(point, axis + i * SLOT, base, top, above[i], pattern,
                      last=i == len(shown) - 1)
    parts += _years(shown, axis, base)
    parts.append(f'<line x1="{axis:.1f}" y1="{base}" x2="{width:.1f}" y2="{base}" '
                 f'stroke="{_INK}" stroke-width="2" />')
    parts.append("</svg>")
    return "".join(parts)


def _years(points: Sequence[Point], axis: float, base: float) -> list[str]:
    """Each financial year's name centred under its quarters, a tick between two years."""
    parts: list[str] = []
    runs: list[tuple[str, int, int]] = []
    for i, point in enumerate(points):
        quarter = _quarter(point.label)
        year = str(quarter.year) if quarter is not None else ""
        if runs and runs[-1][0] == year:
            runs[-1] = (year, runs[-1][1], i)
        else:
            runs.append((year, i, i))
    for n, (year, first, last) in enumerate(runs):
        left = axis + first * SLOT
        if n:
            parts.append(f'<line x1="{left:.1f}" y1="{base}" x2="{left:.1f}" '
                         f'y2="{base + 2 * LINE + 6}" stroke="{_SECONDARY}" />')
        if year:
            parts.append(_text(left + (last - first + 1) * SLOT / 2, base + 2 * LINE + 2, year,
                               fill=_SECONDARY))
    return parts


def _bar(point: Point, left: float, base: float, top: float, above: list[str], pattern: str,
         *, last: bool) -> list[str]:
    """One quarter's bar, the value (and "so far") above it, and the quarter beneath it."""
    middle = left + SLOT / 2
    height = 0.0 if point.value is None else max(PLOT * point.value / top, 1.0 if point.value else 0.0)
    if point.provisional:
        fill = f'fill="url(#{pattern})" stroke="{_CURRENT}" stroke-width="2"'
    else:
        fill = f'fill="{_CURRENT if last else _EARLIER}"'
    said = f"{point.label}: {point.text}{' ' + SO_FAR if point.provisional else ''}"
    parts = [f'<rect x="{left + (SLOT - BAR) / 2:.1f}" y="{base - height:.1f}" width="{BAR}" '
             f'height="{height:.1f}" {fill}><title>{escape(said)}</title></rect>']
    for n, line in enumerate(reversed(above)):
        parts.append(_text(middle, base - height - 5 - n * LINE, line))
    quarter = _quarter(point.label)
    parts.append(_text(middle, base + LINE, quarter.label if quarter else point.label,
                       fill=_SECONDARY))
    return parts
