"""The Excel workbook of a summary: a contents sheet, then one sheet per priority."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from projections.presentation.report import by_priority
from projections.presentation.text import change, local_time, period_title
from projections.publish import edition_notes

HEADINGS = ["Figure id", "Figure", "Breakdown", "Value", "This period", "Same period last year",
            "Change"]
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


def summary_workbook(document: dict[str, Any]) -> bytes:
    """The workbook as .xlsx bytes: numbers as numbers, text as text (never a formula)."""
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "Contents"
    append(contents, [f"Community Safety Partnership: {period_title(document['year'], document['period'])}"])
    contents["A1"].font = Font(bold=True, size=14)
    append(contents, [f"Figures as recorded by {local_time(document['as_of']) or 'no events yet'}"])
    notes = edition_notes(document)
    if not document.get("published"):
        append(contents, ["Internal edition: every number shown, not for publication"])
    for note in notes:
        append(contents, [note])
    append(contents, [])
    append(contents, ["Priority", "Sheet", "Figures"])
    taken = {"contents"}
    for priority, figures in by_priority(document).items():
        title = sheet_title(priority, taken)
        append(contents, [priority, title, len(figures)])
        _priority_sheet(book.create_sheet(title), priority, figures, document)
    contents.column_dimensions["A"].width = 45
    contents.column_dimensions["B"].width = 32
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
    document: dict[str, Any],
) -> None:
    append(sheet, [priority, "", "", "", period_title(document["year"], document["period"])])
    sheet["A1"].font = Font(bold=True, size=13)
    append(sheet, HEADINGS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for figure_id, figure in figures:
        append(sheet, [figure_id, figure["label"], "", "", figure["value"], figure["previous"],
                       change(figure["value"], figure["previous"]).text])
        for name, counts in figure.get("breakdown", {}).items():
            for key, count in counts.items():
                append(sheet, [figure_id, figure["label"], name, key, count, None, None])
    for column, width in zip("ABCDEFG", (26, 55, 12, 16, 18, 22, 16), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=3, min_col=5, max_col=7):
        for cell in row:
            cell.alignment = Alignment(horizontal="right")
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"
    sheet.freeze_panes = "A3"
