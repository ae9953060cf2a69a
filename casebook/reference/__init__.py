"""The generated part of the reference in docs/: event types, measures and the command line.

`make docs` (`python -m casebook.reference`) writes it; `stale` says which pages no longer match.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click

from casebook import create_app
from casebook.reference import commands, events, measures

#: Where the reference lives, beside the package.
DOCS = Path(__file__).resolve().parents[2] / "docs"


def casebook_group() -> click.Command:
    """The `casebook` command group of an app that touches no database file."""
    # A throwaway key, so no key file is made in the instance folder: nothing is signed here.
    app = create_app({"SECRET_KEY": secrets.token_hex(16), "DATABASE_URL": "sqlite://"})
    group: click.Command = app.cli.commands["casebook"]
    return group


def pages() -> dict[str, str]:
    """Every generated page by file name, as it should read now."""
    return {
        "events.md": events.page(),
        "measures.md": measures.page(),
        "cli.md": commands.page(casebook_group()),
    }


def stale(folder: Path = DOCS, texts: dict[str, str] | None = None) -> list[str]:
    """The generated pages in `folder` that are missing or differ from `texts` (by default, what the code gives)."""
    texts = pages() if texts is None else texts
    return [name for name, text in texts.items()
            if not (folder / name).is_file() or (folder / name).read_text("utf-8") != text]


def write(folder: Path = DOCS) -> list[str]:
    """Write every generated page into `folder`; the names of those that changed."""
    texts = pages()
    changed = stale(folder, texts)
    folder.mkdir(exist_ok=True)
    for name in changed:
        (folder / name).write_text(texts[name], "utf-8")
    return changed
