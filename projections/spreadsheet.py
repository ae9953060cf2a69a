"""Text a spreadsheet shows as text: never a formula, whoever typed it.

Kept where the event log's CSV and older callers import it from; the functions live with the
other ways of writing a value, in `projections.presentation.text`.
"""

from __future__ import annotations

from projections.presentation.text import FORMULA_STARTS, csv_cell, spreadsheet_safe

__all__ = ["FORMULA_STARTS", "csv_cell", "spreadsheet_safe"]
