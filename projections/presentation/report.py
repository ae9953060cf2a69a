"""The printable review of a stored summary: figures by priority, a year earlier, eight-quarter charts."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from events.quarters import LONDON
from projections.presentation.render import format_value as _format_number
from projections.presentation.render import summary_csv
from projections.publish import edition_notes, is_suppressed
from projections.suppression import SECONDARY_TEXT

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:2em auto;max-width:60em;
 line-height:1.4}
h1{font-size:2em;margin-bottom:.2em}h2{font-size:1.4em;border-top:4px solid #1d70b8;
 padding-top:.4em;margin-top:1.6em}
.meta{color:#505a5f}.highlights{font-size:1.1em}
.banner{border-left:6px solid #1d70b8;padding:.4em .8em;background:#f3f2f1}
table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border-bottom:1px solid #b1b4b6;padding:.3em .6em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}tr.part td{color:#505a5f;font-size:.9em}
tr.part td:first-child{padding-left:2em}.up{color:#00703c}.down{color:#d4351c}
section.priority{break-inside:avoid-page;page-break-inside:avoid}
svg{max-width:100%;height:auto}svg text{font-family:Arial,Helvetica,sans-serif}
@media print{body{margin:0;max-width:none;font-size:10pt}@page{size:A4;margin:15mm}
 h2{break-after:avoid}a{color:inherit;text-decoration:none}}
"""


def format_value(value: Any) -> str:
    """A figure as readers see it; a hidden value is already its text."""
    return value if isinstance(value, str) else _format_number(value)


def local_time(text: str | None) -> str:
    """An ISO timestamp as a Europe/London date and time, for readers."""
    if not text:
        return "no events yet"
    return datetime.fromisoformat(text).astimezone(LONDON).strftime("%-d %B %Y %H:%M")


def change(value: Any, previous: Any) -> tuple[str, str]:
    """The change from a year earlier, as text and a CSS class ("" where it cannot be given)."""
    numeric = (int, float)
    if (not isinstance(value, numeric) or not isinstance(previous, numeric)
            or is_suppressed(value) or is_suppressed(previous)):
        return "–", ""
    if isinstance(value, float) or isinstance(previous, float):
        points = round((value - previous) * 100)
        return (f"{points:+d} points" if points else "no change"), _direction(points)
    difference = value - previous
    if not difference:
        return "no change", ""
    percent = f" ({difference / previous:+.0%})" if previous else ""
    return f"{difference:+,}{percent}", _direction(difference)


def _direction(amount: float) -> str:
    return "up" if amount > 0 else "down" if amount < 0 else ""


def highlights(figures: list[tuple[str, dict[str, Any]]], most: int = 4) -> list[str]:
    """Review-style sentences for the priority's figures that moved most against a year earlier."""
    moved = []
    for _figure_id, figure in figures:
        value, previous = figure["value"], figure["previous"]
        if (not isinstance(value, int) or isinstance(value, bool) or not value
                or not isinstance(previous, int) or value == previous):
            continue
        direction = "up" if value > previous else "down"
        moved.append((abs(value - previous), f"{figure['label']}: {value:,}, {direction} from "
                                             f"{previous:,} in the same period last year."))
    return [line for _size, line in sorted(moved, key=lambda m: -m[0])[:most]]


def by_priority(document: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The figures grouped by priority, in the document's order."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for figure_id, figure in document["figures"].items():
        groups.setdefault(figure["priority"], []).append((figure_id, figure))
    return groups


def period_title(document: dict[str, Any]) -> str:
    if document["period"] == "year":
        return f"Annual review {document['year']}"
    return f"Quarterly summary {document['year']} {document['period']}"


def report_html(document: dict[str, Any], particulars: dict[str, Any] | None = None) -> str:
    """A self-contained printable HTML review of the document, charts drawn as inline SVG."""
    title = f"Community Safety Partnership: {period_title(document)}"
    published = document.get("published")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    meta = f"Figures as recorded by {local_time(document['as_of'])}"
    if particulars:
        meta += (f"; version {particulars['version']}, generated "
                 f"{local_time(particulars['generated_at'])} ({particulars['reason']})")
    parts.append(f"<p class='meta'>{escape(meta)}.</p>")
    notes = edition_notes(document)
    if notes:
        parts.append("<div class='banner' id='notes'>"
                     + "".join(f"<p>{escape(line)}</p>" for line in notes) + "</div>")
    if not published:
        parts.append("<p class='banner'>Internal edition: every number is shown. "
                     "Do not publish it; use the published edition.</p>")
    history = document.get("history")
    for priority, figures in by_priority(document).items():
        parts.append(f"<section class='priority'><h2>{escape(priority)}</h2>")
        lines = highlights(figures)
        if lines:
            parts.append("<ul class='highlights'>"
                         + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
        parts.append("<table><thead><tr><th>Figure</th><th class='n'>This period</th>"
                     "<th class='n'>Same period last year</th><th class='n'>Change</th>"
                     "</tr></thead><tbody>")
        for figure_id, figure in figures:
            text, direction = change(figure["value"], figure["previous"])
            parts.append(
                f"<tr id='{escape(figure_id)}'><td>{escape(figure['label'])}</td>"
                f"<td class='n'>{escape(format_value(figure['value']))}</td>"
                f"<td class='n'>{escape(format_value(figure['previous']))}</td>"
                f"<td class='n {direction}'>{escape(text)}</td></tr>"
            )
            for name, counts in figure.get("breakdown", {}).items():
                for key, count in counts.items():
                    parts.append(
                        f"<tr class='part'><td>by {escape(name)}: {escape(key)}</td>"
                        f"<td class='n'>{escape(format_value(count))}</td><td></td><td></td></tr>"
                    )
        parts.append("</tbody></table>")
        if history:
            threshold = published["threshold"] if published else None
            parts.append(priority_chart(priority, figures, history, threshold))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def priority_chart(
    priority: str,
    figures: list[tuple[str, dict[str, Any]]],
    history: dict[str, Any],
    threshold: int | None = None,
) -> str:
    """One SVG per priority: a row of eight bars per figure, each row on its own scale."""
    quarters: list[str] = history["quarters"]
    label_width, bar_width, gap, row_height = 250, 46, 8, 46
    width = label_width + len(quarters) * (bar_width + gap) + 10
    height = 30 + row_height * len(figures)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' aria-label='{escape(priority)}: the last "
        f"{len(quarters)} quarters'>"
    ]
    for i, quarter in enumerate(quarters):
        x = label_width + i * (bar_width + gap) + bar_width / 2
        out.append(f"<text x='{x:.0f}' y='14' font-size='10' text-anchor='middle'>"
                   f"{escape(quarter[2:4] + '/' + quarter[5:])}</text>")
    for row, (figure_id, figure) in enumerate(figures):
        values = history["figures"].get(figure_id, [])
        top = 24 + row * row_height
        label = figure["label"] if len(figure["label"]) <= 40 else figure["label"][:39] + "…"
        out.append(f"<text x='0' y='{top + 26}' font-size='11'>{escape(label)}</text>")
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        biggest = max(numbers, default=0) or 1
        for i, value in enumerate(values):
            x = label_width + i * (bar_width + gap)
            if is_suppressed(value):
                out.append(f"<rect x='{x}' y='{top + 8}' width='{bar_width}' height='22' "
                           "fill='none' stroke='#b1b4b6' stroke-dasharray='3 2'/>")
                caption = ("n/s" if figure_id in history["bases"]
                           else value if value == SECONDARY_TEXT else f"<{threshold}")
            else:
                size = 0 if value is None else 28 * value / biggest
                out.append(f"<rect x='{x}' y='{top + 30 - size:.1f}' width='{bar_width}' "
                           f"height='{size:.1f}' fill='#1d70b8'/>")
                caption = format_value(value)
            out.append(f"<text x='{x + bar_width / 2:.0f}' y='{top + 42}' font-size='9' "
                       f"text-anchor='middle'>{escape(caption)}</text>")
    out.append("</svg>")
    return "".join(out)


def report_csv(document: dict[str, Any]) -> str:
    """The document's figures and breakdowns as CSV (hidden values as their text)."""
    return summary_csv(document)
