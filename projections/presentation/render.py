"""A summary document as CSV rows, and as the one self-contained printable HTML page (Jinja)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from projections.presentation.chart import bar_chart, trend_points
from projections.presentation.labels import tables_of
from projections.presentation.report import by_priority, highlights, in_progress, reason_words
from projections.presentation.text import FILTERS, change, format_value, period_title
from projections.publish import edition_notes
from projections.spreadsheet import csv_cell

#: The numbers as numbers, then as every page says them (`value_text`, `change`: text.py's words).
CSV_COLUMNS = ["figure", "label", "priority", "scheme", "value", "previous", "breakdown", "key",
               "value_text", "change"]


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure, then one per breakdown value beneath it."""
    rows: list[dict[str, Any]] = []
    for figure_id, figure in summary["figures"].items():
        common = {k: figure[k] for k in ("label", "priority", "scheme")}
        rows.append({"figure": figure_id, **common, "value": figure["value"],
                     "previous": figure["previous"], "breakdown": "", "key": "",
                     "value_text": format_value(figure["value"]),
                     "change": change(figure["value"], figure["previous"]).text})
        for name, counts in figure.get("breakdown", {}).items():
            for key, count in counts.items():
                rows.append({"figure": figure_id, **common, "value": count, "previous": None,
                             "breakdown": name, "key": key, "value_text": format_value(count),
                             "change": ""})
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


@cache
def environment() -> Environment:
    """The templates of projections/presentation/templates, escaped, with the shared filters."""
    env = Environment(loader=PackageLoader("projections.presentation"),
                      autoescape=select_autoescape(default=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(FILTERS)
    return env


def summary_html(summary: dict[str, Any], particulars: dict[str, Any] | None = None, *,
                 types_of: Mapping[str, Sequence[str]] | None = None) -> str:
    """A printable page: figures by priority against a year earlier, each one's last quarters
    charted where the summary keeps them; `particulars` are a stored summary's version and date.

    Every figure, breakdown and reason is said in words (labels, never ids or stored keys); a
    provisional document says so at the top, and its quarter in progress is charted as "so far".
    """
    history = summary.get("history")
    so_far = in_progress(summary, (particulars or {}).get("generated_at"))
    charts: dict[str, Markup] = {}
    flat: set[str] = set()
    if history:
        for figure_id, figure in summary["figures"].items():
            values = history["figures"].get(figure_id, [])
            if not any(values):
                # Eight empty charts say less than one line naming them, and take pages.
                flat.add(figure_id)
                continue
            # bar_chart escapes every text it is given.
            charts[figure_id] = Markup(bar_chart(
                trend_points(zip(history["quarters"], values, strict=False), provisional=so_far),
                title=f"{figure['label']}, last {'eight' if len(values) == 8 else len(values)} quarters",
                chart_id="chart-" + figure_id.replace(".", "-"),
            ))
    groups = by_priority(summary)
    return environment().get_template("summary.html").render(
        title=f"Community Safety Partnership: {period_title(summary['year'], summary['period'])}",
        summary=summary, particulars=particulars, notes=edition_notes(summary), groups=groups,
        highlights={priority: highlights(figures) for priority, figures in groups.items()},
        # `types_of` (figure id -> its event types) names each breakdown field as its forms do.
        charts=charts, flat=flat, breakdowns=tables_of(summary["figures"].items(), types_of or {}),
        reason=reason_words((particulars or {}).get("reason", ""), summary["period"]),
    )
