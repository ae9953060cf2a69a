"""Text a spreadsheet shows as text: never a formula, whoever typed it."""

from __future__ import annotations

from typing import Any

#: What makes Excel, LibreOffice or Google Sheets read a cell as a formula (or run it via DDE).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The text, with a leading quote where its first character would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> Any:
    """A value for a CSV row: text made safe, numbers as they are, None as empty."""
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value
