"""The Excel workbook of a summary: a contents sheet, then one sheet per priority.

Each row reads from the left as a person reads it (the figure, its breakdown, the value) and
keeps the ids a script needs at the right. A number column holds numbers only: a hidden value
("fewer than 5", "[c]") leaves its cell empty and is said in the row's note. Every sheet prints
to the page's width with its heading rows repeated on each page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from projections.presentation.labels import Vocabulary, field_label, value_label
from projections.presentation.report import by_priority
from projections.presentation.text import (
    change,
    hidden_note,
    local_time,
    number_cell,
    period_title,
    reason_words,
    spreadsheet_format,
)
from projections.publish import edition_notes

HEADINGS = ["Figure", "Breakdown", "Value", "Same period last year", "Change", "Note",
            "Figure id", "Breakdown field", "Breakdown key"]
#: Column widths, in characters, of the headings above: labels and notes wrap within theirs.
WIDTHS = (50, 34, 12, 14, 18, 34, 24, 16, 18)
#: The columns that hold numbers (Value, Same period last year), 1-based.
NUMBER_COLUMNS = (3, 4)
PROVISIONAL = "Provisional: the period had not ended when this was generated"
_BAD_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(priority: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\) for a priority."""
    base = _BAD_SHEET_CHARACTERS.sub("-", priority)[:31] or "Figures"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def summary_workbook(document: dict[str, Any], particulars: dict[str, Any] | None = None, *,
                     types_of: Mapping[str, Sequence[str]] | None = None,
                     vocabulary: Vocabulary | None = None,
                     scheme_names: Mapping[str, str] | None = None) -> bytes:
    """The workbook as .xlsx bytes: numbers as numbers, text as text (never a formula).

    `particulars` are a stored summary's version, date and reason; `types_of` (figure id -> its
    event types) names each breakdown field as its forms do, `vocabulary` each value a plan
    added; `scheme_names` names the schemes of the edition's notes.
    """
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "Contents"
    append(contents, [f"Community Safety Partnership: {period_title(document['year'], document['period'])}"])
    contents["A1"].font = Font(bold=True, size=14)
    if document.get("provisional"):
        append(contents, [PROVISIONAL])
        contents.cell(contents.max_row, 1).font = Font(bold=True)
    append(contents, [f"Figures as recorded by {local_time(document['as_of']) or 'no events yet'}"])
    if particulars:
        why = reason_words(particulars.get("reason", ""), document["period"])
        append(contents, [f"Version {particulars['version']}, generated "
                          f"{local_time(particulars['generated_at'])}{', ' + why if why else ''}"])
    if not document.get("published"):
        append(contents, ["Internal edition: every number shown, not for publication"])
    for note in edition_notes(document, scheme_names):
        append(contents, [note])
    append(contents, [])
    append(contents, ["Priority", "Sheet", "Figures"])
    taken = {"contents"}
    for priority, figures in by_priority(document).items():
        title = sheet_title(priority, taken)
        append(contents, [priority, title, len(figures)])
        _priority_sheet(book.create_sheet(title), priority, figures, document, types_of or {},
                        vocabulary)
    for column, width in zip("ABC", (60, 32, 10), strict=True):
        contents.column_dimensions[column].width = width
    for row in contents.iter_rows(max_col=1):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _print_settings(contents, title_rows=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def append(sheet: Worksheet, values: list[Any]) -> None:
    """Add a row, its text typed as text: openpyxl would store "=…" as a live formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _priority_sheet(
    sheet: Worksheet, priority: str, figures: list[tuple[str, dict[str, Any]]],
    document: dict[str, Any], types_of: Mapping[str, Sequence[str]],
    vocabulary: Vocabulary | None = None,
) -> None:
    period = period_title(document["year"], document["period"])
    append(sheet, [priority, f"{period}{' (provisional)' if document.get('provisional') else ''}"])
    sheet["A1"].font = Font(bold=True, size=13)
    append(sheet, HEADINGS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    for figure_id, figure in figures:
        value, previous = figure["value"], figure["previous"]
        append(sheet, [figure["label"], "", number_cell(value), number_cell(previous),
                       change(value, previous).text, hidden_note(value, previous), figure_id, "",
                       ""])
        types = types_of.get(figure_id, ())
        for name, counts in figure.get("breakdown", {}).items():
            for key, count in counts.items():
                said = f"{field_label(name, types)}: {value_label(name, key, types, vocabulary)}"
                append(sheet, [figure["label"], said, number_cell(count), None, None,
                               hidden_note(count), figure_id, name, key])
    for column, width in zip("ABCDEFGHI", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=cell.column not in NUMBER_COLUMNS,
                                       vertical="top",
                                       horizontal="right" if cell.column in (3, 4, 5) else None)
            if cell.column in NUMBER_COLUMNS and cell.value is not None:
                cell.number_format = spreadsheet_format(cell.value)
    sheet.freeze_panes = "A3"
    _print_settings(sheet, title_rows="1:2")


def _print_settings(sheet: Worksheet, *, title_rows: str | None) -> None:
    """Print as wide as the page, as many pages long as it takes, in landscape; repeat the
    title and heading rows on every page."""
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if title_rows:
        sheet.print_title_rows = title_rows
