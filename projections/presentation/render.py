"""Plain renderings of a summary document: CSV rows and a self-contained HTML table."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from projections.publish import edition_notes
from projections.spreadsheet import csv_cell

CSV_COLUMNS = ["figure", "label", "priority", "scheme", "value", "previous", "breakdown", "key"]


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure, then one per breakdown value beneath it."""
    rows: list[dict[str, Any]] = []
    for figure_id, figure in summary["figures"].items():
        common = {k: figure[k] for k in ("label", "priority", "scheme")}
        rows.append({"figure": figure_id, **common, "value": figure["value"],
                     "previous": figure["previous"], "breakdown": "", "key": ""})
        for name, counts in figure.get("breakdown", {}).items():
            for key, count in counts.items():
                rows.append({"figure": figure_id, **common, "value": count, "previous": None,
                             "breakdown": name, "key": key})
    return rows


def summary_csv(summary: dict[str, Any]) -> str:
    """The rows as CSV, no cell a formula; notes on what is hidden follow, figure "note"."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in summary_rows(summary):
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    for note in edition_notes(summary):
        writer.writerow({k: csv_cell(v) for k, v in {"figure": "note", "label": note}.items()})
    return out.getvalue()


def format_value(value: Any) -> str:
    """A value as readers see it; a hidden value is already its text."""
    if isinstance(value, str):
        return value
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0%}" if value <= 1 else f"{value:g}"
    return f"{value:,}"


def summary_html(summary: dict[str, Any]) -> str:
    """A printable page: figures grouped by priority, this period against a year earlier."""
    period = "the year" if summary["period"] == "year" else summary["period"]
    title = f"Community Safety Partnership figures {summary['year']}, {period}"
    by_priority: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for figure_id, figure in summary["figures"].items():
        by_priority.setdefault(figure["priority"], []).append((figure_id, figure))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:Arial,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #b1b4b6;padding:.3em .8em;text-align:left}"
        "td.n{text-align:right}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Figures as of {escape(summary['as_of'] or 'no events yet')}.</p>",
    ]
    for priority, figures in by_priority.items():
        parts.append(f"<h2>{escape(priority)}</h2><table><thead><tr><th>Figure</th>"
                     "<th>This period</th><th>A year earlier</th></tr></thead><tbody>")
        for figure_id, figure in figures:
            parts.append(
                f"<tr id='{escape(figure_id)}'><td>{escape(figure['label'])}</td>"
                f"<td class='n'>{format_value(figure['value'])}</td>"
                f"<td class='n'>{format_value(figure['previous'])}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
