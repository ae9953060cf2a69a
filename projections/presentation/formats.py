"""A stored summary in each of its formats, internal or published, from its one stored JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from projections.archive import StoredSummary
from projections.definitions import Figure
from projections.disclosure import DisclosureOf, variant
from projections.presentation.labels import Vocabulary
from projections.presentation.render import summary_csv, summary_html

FORMATS = ("json", "csv", "html", "xlsx")


def render_stored(
    stored: StoredSummary, fmt: str, *, published: bool, threshold: int,
    figures: Sequence[Figure], restated: dict[str, Any] | None = None,
    disclosure_of: DisclosureOf | None = None, vocabulary: Vocabulary | None = None,
    scheme_names: Mapping[str, str] | None = None,
) -> bytes:
    """The summary as JSON, CSV, printable HTML or a workbook; published hides small numbers.

    `figures` are the definitions in force (what each figure counts, which breakdowns are free
    text); `disclosure_of` narrows each scheme's figures to what the reader may see. What a
    person reads says every breakdown value by its label (`vocabulary`: the values the plans
    added, `Plans.vocabulary`) and every scheme by its name (`scheme_names`: id -> name).
    """
    document = variant(stored.document, published=published, threshold=threshold,
                       figures=figures, disclosure_of=disclosure_of)
    if fmt == "json":
        particulars: dict[str, Any] = {"summary": stored.listing()}
        if not published and disclosure_of is None:
            # Restatements name who recorded late events and show old small values.
            particulars["restatement"] = restated
        return json.dumps({**document, **particulars}, indent=2, ensure_ascii=False).encode()
    words: dict[str, Any] = {"types_of": {figure.id: figure.types for figure in figures},
                             "vocabulary": vocabulary, "scheme_names": scheme_names}
    if fmt == "csv":
        return summary_csv(document, **words).encode()
    if fmt == "html":
        return summary_html(document, stored.listing(), **words).encode()
    if fmt == "xlsx":
        # Imported here: openpyxl is a tenth of every command's start-up, and few ask for it.
        from projections.presentation.workbook import summary_workbook

        return summary_workbook(document, stored.listing(), **words)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
