"""The bits of Markdown the generated reference is written in: tables, code and the header."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

COMMAND = "make docs"


def header(title: str, sources: Sequence[str]) -> str:
    """The title and the note that says the page is generated, from what and by which command."""
    named = ", ".join(f"`{source}`" for source in sources)
    return (f"# {title}\n\n> Generated from {named} by `{COMMAND}` (`python -m casebook.reference`): "
            "edit those and run it again, never this file.\n")


def code(text: str) -> str:
    """Text as inline code, whatever backticks it holds."""
    fence = "``" if "`" in text else "`"
    padding = " " if "`" in text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def cell(text: str) -> str:
    """Text fit for one table cell: one line, its pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def table(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headings) + " |", "|" + " --- |" * len(headings)]
    lines += ["| " + " | ".join(cell(text) for text in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
