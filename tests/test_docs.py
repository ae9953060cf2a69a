"""The generated reference in docs/ says what the code does: regenerated in memory, it matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook import reference
from casebook.reference import measures


def test_the_generated_reference_in_docs_is_up_to_date() -> None:
    stale = reference.stale(reference.DOCS)
    assert stale == [], f"docs/{', docs/'.join(stale)} out of date with the code: run `make docs`"


def test_a_page_that_differs_from_the_code_is_stale(tmp_path: Path) -> None:
    reference.write(tmp_path)
    (tmp_path / "events.md").write_text("# Event types\n", "utf-8")
    (tmp_path / "cli.md").unlink()
    assert reference.stale(tmp_path) == ["events.md", "cli.md"]


def test_the_command_line_page_walks_every_command_of_the_app() -> None:
    page = reference.pages()["cli.md"]
    for heading in ("## `casebook prepare`", "## `casebook summaries show`", "## `casebook keys new-file`"):
        assert heading in page


def test_a_measure_with_no_description_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(measures._MEASURES, "median", measures._MEASURES["count"])
    with pytest.raises(LookupError, match="median"):
        measures.page()
