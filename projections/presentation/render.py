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
from projections.presentation.labels import Vocabulary, field_label, tables_of, value_label
from projections.presentation.report import by_priority, highlights, in_progress
from projections.presentation.text import (
    FILTERS,
    change,
    format_value,
    hidden_note,
    number_cell,
    period_title,
    reason_words,
)
from projections.publish import edition_notes
from projections.spreadsheet import csv_cell

#: Each row read from the left as a person reads it, the ids a script needs at the right (as the
#: workbook): `value` and `previous` hold numbers only, a hidden one ("fewer than 5", "[c]") left
#: empty and said in `note`; `value_text` and `change` are the words every page says them with.
CSV_COLUMNS = ["label", "breakdown_label", "value", "previous", "change", "note", "value_text",
               "priority", "scheme_name", "figure", "scheme", "breakdown", "key"]
#: The `figure` of the rows after the figures that say what of the edition is hidden.
NOTE_ROW = "note"


def summary_rows(summary: dict[str, Any], *, types_of: Mapping[str, Sequence[str]] | None = None,
                 vocabulary: Vocabulary | None = None,
                 scheme_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per figure, then one per breakdown value beneath it, labelled as forms label
    them (`types_of`: figure id -> its event types; `vocabulary`: the values plans added)."""
    rows: list[dict[str, Any]] = []
    for figure_id, figure in summary["figures"].items():
        value, previous = figure["value"], figure["previous"]
        common = {"label": figure["label"], "priority": figure["priority"],
                  "scheme_name": (scheme_names or {}).get(figure["scheme"]) or figure["scheme"],
                  "figure": figure_id, "scheme": figure["scheme"]}
        rows.append({**common, "breakdown_label": "", "value": number_cell(value),
                     "previous": number_cell(previous), "change": change(value, previous).text,
                     "note": hidden_note(value, previous), "value_text": format_value(value),
                     "breakdown": "", "key": ""})
        types = (types_of or {}).get(figure_id, ())
        for name, counts in figure.get("breakdown", {}).items():
            for key, count in counts.items():
                said = f"{field_label(name, types)}: {value_label(name, key, types, vocabulary)}"
                rows.append({**common, "breakdown_label": said, "value": number_cell(count),
                             "previous": None, "change": "", "note": hidden_note(count),
                             "value_text": format_value(count), "breakdown": name, "key": key})
    return rows


def summary_csv(summary: dict[str, Any], *, types_of: Mapping[str, Sequence[str]] | None = None,
                vocabulary: Vocabulary | None = None,
                scheme_names: Mapping[str, str] | None = None) -> str:
    """The rows as CSV, no cell a formula; what of the edition is hidden follows, each sentence
    in `note` of a row whose `figure` is "note"."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in summary_rows(summary, types_of=types_of, vocabulary=vocabulary,
                            scheme_names=scheme_names):
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    notes = edition_notes(summary, scheme_names)
    if summary.get("provisional"):
        notes.insert(0, PROVISIONAL_NOTE)
    for note in notes:
        writer.writerow({k: csv_cell(v) for k, v in
                         {"label": "About this edition", "note": note, "figure": NOTE_ROW}.items()})
    return out.getvalue()


#: What a summary of a period not ended says about itself, in a file that has no banner.
PROVISIONAL_NOTE = ("Provisional: the period had not ended when this was generated. Its figures "
                    "are those recorded so far; a final version is generated after it ends.")


@cache
def environment() -> Environment:
    """The templates of projections/presentation/templates, escaped, with the shared filters."""
    env = Environment(loader=PackageLoader("projections.presentation"),
                      autoescape=select_autoescape(default=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(FILTERS)
    return env


def summary_html(summary: dict[str, Any], particulars: dict[str, Any] | None = None, *,
                 types_of: Mapping[str, Sequence[str]] | None = None,
                 vocabulary: Vocabulary | None = None,
                 scheme_names: Mapping[str, str] | None = None) -> str:
    """A printable page: figures by priority against a year earlier, each one's last quarters
    charted where the summary keeps them; `particulars` are a stored summary's version and date.

    Every figure, breakdown, scheme and reason is said in words (labels, never ids or stored
    keys: `vocabulary` labels the values plans added, `scheme_names` names the schemes); a
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
        summary=summary, particulars=particulars, notes=edition_notes(summary, scheme_names),
        groups=groups,
        highlights={priority: highlights(figures) for priority, figures in groups.items()},
        # `types_of` (figure id -> its event types) names each breakdown field as its forms do.
        charts=charts, flat=flat,
        breakdowns=tables_of(summary["figures"].items(), types_of or {}, vocabulary),
        reason=reason_words((particulars or {}).get("reason", ""), summary["period"]),
    )
