"""The published variant of a summary: small numbers hidden so that no one can be identified."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from projections.definitions import NOT_RECORDED, Figure
from projections.suppression import (
    SECONDARY_TEXT,
    WITHHELD,
    count_text,
    is_small,
    marker,
    protect,
    rate_text,
)

DEFAULT_THRESHOLD = 5
#: Measures whose year is the sum of its quarters (spec §5).
ADDITIVE = frozenset({"count", "sum", "latest-return"})
UNNAMED_NOTE = ("[not named …]: a breakdown value typed in as free text, whose name is not "
                "shown here.")

__all__ = ["count_text", "rate_text", "is_suppressed", "publish", "hide_breakdowns", "unname",
           "edition_notes"]


def is_suppressed(value: Any) -> bool:
    """Whether a published value was hidden."""
    return isinstance(value, str)


def marker_notes(threshold: int) -> dict[str, str]:
    """What each marker of the published variant means, for the reader."""
    return {
        count_text(threshold): f"a count from 1 to {threshold - 1}, hidden so that no one "
                               "can be identified.",
        SECONDARY_TEXT: "hidden to protect a small count, which the total and the other cells "
                        "would otherwise give away (where every cell of a breakdown reads [c], "
                        "the breakdown is hidden whole).",
        rate_text(threshold): f"a rate worked out over fewer than {threshold} cases.",
        "counts of things": "figures that count things rather than people (cameras, places, "
                            "meetings, courses, member businesses, sites) are shown in full.",
    }


def publish(document: dict[str, Any], threshold: int = DEFAULT_THRESHOLD,
            figures: Sequence[Figure] = ()) -> dict[str, Any]:
    """A copy of a summary with small counts, small-based rates and the cells beside them hidden.

    `figures` are the definitions: a figure of things is shown whole, and only free-text
    breakdown labels are withheld; a figure without a definition is treated as counting people
    with every breakdown label free text.
    """
    published = copy.deepcopy(document)
    definitions = {figure.id: figure for figure in figures}
    things = {figure.id for figure in figures if not figure.counts_people}
    for figure_id, figure in published["figures"].items():
        if figure_id in things:
            continue
        if "base" in figure or "previous_base" in figure:
            _hide_rate(figure, threshold)
            continue
        for key in ("value", "previous"):
            if is_small(figure[key], threshold):
                figure[key] = count_text(threshold)
        definition = definitions.get(figure_id)
        free_text = (definition.free_text_breakdowns() if definition is not None
                     else frozenset(figure.get("breakdown", {})))
        hide_breakdowns(figure, threshold, free_text)
    if published.get("history"):
        _hide_history(document, published, threshold, things)
    published["published"] = {"threshold": threshold, "notes": marker_notes(threshold)}
    return published


def _hide_rate(figure: dict[str, Any], threshold: int) -> None:
    base, earlier_base = figure.get("base"), figure.get("previous_base")
    if figure["value"] is not None and (base is None or base < threshold):
        figure["value"] = rate_text(threshold)
    if figure["previous"] is not None and (earlier_base is None or earlier_base < threshold):
        figure["previous"] = rate_text(threshold)
    for key in ("base", "previous_base"):
        if is_small(figure.get(key), threshold):
            figure[key] = count_text(threshold)


def hide_breakdowns(figure: dict[str, Any], threshold: int, free_text: Collection[str]) -> None:
    """Hide the breakdown cells that are small or would give one away, and their free-text names.

    Where the figure itself is hidden, its breakdowns would add up to it: they are hidden whole.
    """
    for name, counts in figure.get("breakdown", {}).items():
        if is_suppressed(figure["value"]):
            hidden = dict.fromkeys(counts, WITHHELD)
        else:
            hidden = protect(counts, threshold)
        for key, kind in hidden.items():
            counts[key] = marker(kind, threshold)
        if name in free_text:
            figure["breakdown"][name] = unname(counts, [k for k in hidden if k != NOT_RECORDED])


def unname(counts: Mapping[str, Any], keys: Collection[str]) -> dict[str, Any]:
    """The breakdown with these keys renamed "[not named 1]", … after the others, by value."""
    kept = {key: value for key, value in counts.items() if key not in keys}
    renamed = sorted((counts[key] for key in keys),
                     key=lambda v: (isinstance(v, str), -v if isinstance(v, int | float) else 0,
                                    str(v)))
    number = 0
    for value in renamed:
        number += 1
        while f"[not named {number}]" in kept:
            number += 1
        kept[f"[not named {number}]"] = value
    return kept


def _hide_history(document: dict[str, Any], published: dict[str, Any], threshold: int,
                  things: Collection[str]) -> None:
    history = published["history"]
    for figure_id, values in history["figures"].items():
        if figure_id in things:
            continue
        bases = document["history"]["bases"].get(figure_id)
        for i, value in enumerate(values):
            if bases is not None:
                if value is not None and (bases[i] is None or bases[i] < threshold):
                    values[i] = rate_text(threshold)
            elif is_small(value, threshold):
                values[i] = count_text(threshold)
    for figure_id, bases in history["bases"].items():
        if figure_id in things:
            continue
        for i, base in enumerate(bases):
            if is_small(base, threshold):
                bases[i] = count_text(threshold)
    if published["period"] == "year":
        _protect_year_totals(document, published, threshold, things)


def _protect_year_totals(document: dict[str, Any], published: dict[str, Any], threshold: int,
                         things: Collection[str]) -> None:
    """In an annual review, hide more quarters where the year total would give one away.

    The history's last four quarters are the year and the four before them the year earlier;
    for figures whose year is the sum of its quarters, the total less the quarters shown would
    otherwise reveal the ones hidden.
    """
    history = document["history"]
    for figure_id, values in history["figures"].items():
        figure = published["figures"].get(figure_id)
        if (figure is None or figure_id in things or len(values) < 8
                or figure["measure"].split(":")[0] not in ADDITIVE):
            continue
        for total_key, quarters in (("previous", range(0, 4)), ("value", range(4, 8))):
            cells = {i: values[i] for i in quarters}
            if figure[total_key] is None or any(v is None for v in cells.values()):
                continue
            hidden = protect(cells, threshold, total_shown=not is_suppressed(figure[total_key]))
            for i, kind in hidden.items():
                published["history"]["figures"][figure_id][i] = marker(kind, threshold)


def edition_notes(document: dict[str, Any],
                  scheme_names: Mapping[str, str] | None = None) -> list[str]:
    """Sentences saying what of this document is hidden and what each marker means.

    Schemes are named by `scheme_names` (scheme id -> name): a reader knows "Domestic Abuse
    Victim Support Service", not "davss"; a scheme without a name keeps its id.
    """
    def named(schemes: list[str]) -> str:
        return ", ".join((scheme_names or {}).get(scheme) or scheme for scheme in schemes)

    lines: list[str] = []
    published = document.get("published")
    if published:
        schemes = published.get("schemes")
        lines.append("Published edition: small numbers hidden." if schemes is None else
                     "Figures of these schemes are shown as published, small numbers hidden: "
                     + named(schemes) + ".")
        lines.extend(f"{mark}: {text}" for mark, text in published["notes"].items())
    unnamed = document.get("unnamed")
    if unnamed:
        lines.append(f"{UNNAMED_NOTE} Schemes: {named(unnamed['schemes'])}.")
    elif published:
        lines.append(UNNAMED_NOTE)
    return lines
