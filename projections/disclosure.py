"""A summary as one reader may see it: each scheme's figures in full or published, named or not."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from events.quarters import FinancialYear
from projections.definitions import NOT_RECORDED, Figure
from projections.figures import FigureReader
from projections.publish import UNNAMED_NOTE, hide_breakdowns, marker_notes, publish, unname
from projections.published_periods import published_year
from projections.summary import build_summary, period_of, year_earlier
from projections.suppression import count_text, is_small


@dataclass(frozen=True)
class Disclosure:
    """How much of one scheme's figures a reader sees."""

    #: Every number; otherwise the published variant, small numbers hidden.
    full: bool = True
    #: The names of free-text breakdown values (a category may name someone).
    labels: bool = True


EVERYTHING = Disclosure()
DisclosureOf = Callable[[str], Disclosure]


def variant(document: dict[str, Any], *, published: bool, threshold: int,
            figures: Sequence[Figure], disclosure_of: DisclosureOf | None = None
            ) -> dict[str, Any]:
    """The internal or published document, narrowed scheme by scheme to what the reader sees."""
    if published:
        document = publish(document, threshold, figures)
    chosen = _chosen(document, disclosure_of)
    if all(d == EVERYTHING for d in chosen.values()):
        return document
    hidden = (document if published or all(d.full for d in chosen.values())
              else publish(document, threshold, figures))
    shown = copy.deepcopy(document)
    for figure_id, figure in shown["figures"].items():
        if not chosen[figure["scheme"]].full:
            shown["figures"][figure_id] = copy.deepcopy(hidden["figures"][figure_id])
            for part in ("figures", "bases"):
                if figure_id in shown.get("history", {}).get(part, {}):
                    shown["history"][part][figure_id] = list(hidden["history"][part][figure_id])
    return _finish(shown, chosen, threshold, figures, published=published)


def live_summary(connection: Connection, year: FinancialYear, quarter: int | None, *,
                 threshold: int, disclosure_of: DisclosureOf,
                 now: datetime | None = None) -> dict[str, Any]:
    """The summary of spec §7, each scheme's figures as the reader may see them.

    Published figures are taken from their year's protected quarters, so that a quarter and
    its year asked for one after the other give no small count away.
    """
    document = build_summary(connection, year, quarter, now=now)
    chosen = _chosen(document, disclosure_of)
    if all(d == EVERYTHING for d in chosen.values()):
        return document
    reader = FigureReader(connection, year)
    period = period_of(year, quarter)
    earlier = year_earlier(period)
    earlier_year = earlier if isinstance(earlier, FinancialYear) else earlier.year
    values = reader.values([year, *year.quarters, earlier_year, *earlier_year.quarters])
    for figure in reader.figures:
        entry = document["figures"].get(figure.id)
        if entry is None or chosen[figure.scheme].full or not figure.counts_people:
            continue
        entry["value"] = published_year(values, figure, year, threshold)[period]
        if entry["previous"] is not None:
            entry["previous"] = published_year(values, figure, earlier_year, threshold)[earlier]
        if is_small(entry.get("base"), threshold):
            entry["base"] = count_text(threshold)
        hide_breakdowns(entry, threshold, figure.free_text_breakdowns())
    return _finish(document, chosen, threshold, reader.figures, published=False)


def _chosen(document: dict[str, Any], disclosure_of: DisclosureOf | None
            ) -> dict[str, Disclosure]:
    schemes = {figure["scheme"] for figure in document["figures"].values()}
    return {scheme: disclosure_of(scheme) if disclosure_of else EVERYTHING for scheme in schemes}


def _finish(document: dict[str, Any], chosen: dict[str, Disclosure], threshold: int,
            figures: Sequence[Figure], *, published: bool) -> dict[str, Any]:
    """Withhold free-text names the reader may not see, and say what was done."""
    free_text = {figure.id: figure.free_text_breakdowns() for figure in figures}
    unnamed: set[str] = set()
    for figure_id, figure in document["figures"].items():
        if chosen[figure["scheme"]].labels:
            continue
        names = free_text.get(figure_id, frozenset(figure.get("breakdown", {})))
        for name, counts in figure.get("breakdown", {}).items():
            keys = [key for key in counts if key != NOT_RECORDED and name in names]
            if keys:
                figure["breakdown"][name] = unname(counts, keys)
                unnamed.add(figure["scheme"])
    partly = sorted(scheme for scheme, d in chosen.items() if not d.full)
    if partly and not published:
        document["published"] = {"threshold": threshold, "notes": marker_notes(threshold),
                                 "schemes": partly}
    if unnamed:
        document["unnamed"] = {"schemes": sorted(unnamed), "note": UNNAMED_NOTE}
    return document
