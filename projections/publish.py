"""The published variant of a summary: small numbers hidden so that no one can be identified."""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_THRESHOLD = 5
#: Measures whose year is the sum of its quarters (spec §5).
ADDITIVE = frozenset({"count", "sum", "latest-return"})


def count_text(threshold: int) -> str:
    """What a hidden count reads as."""
    return f"fewer than {threshold}"


def rate_text(threshold: int) -> str:
    """What a hidden rate reads as: its base, not the rate, is what is small."""
    return f"not shown (base fewer than {threshold})"


def is_suppressed(value: Any) -> bool:
    """Whether a published value was hidden."""
    return isinstance(value, str)


def _small(value: Any, threshold: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold


def hidden_cells(counts: dict[str, int], threshold: int) -> set[str]:
    """The cells of a breakdown to hide, so none can be worked out from the total and the rest.

    Hiding a single cell would let anyone subtract the others from the total, and two hidden
    cells that add up to a small number narrow each other down; so more cells are hidden, the
    smallest first, until the hidden cells add up to at least the threshold.
    """
    hidden = {key for key, count in counts.items() if _small(count, threshold)}
    spare = sorted((count, key) for key, count in counts.items()
                   if key not in hidden and count > 0)
    while hidden and spare and (len(hidden) == 1
                                or sum(counts[k] for k in hidden) < threshold):
        hidden.add(spare.pop(0)[1])
    return hidden


def publish(document: dict[str, Any], threshold: int = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """A copy of a summary document with small counts, small-based rates and cells hidden."""
    published = copy.deepcopy(document)
    published["published"] = {"threshold": threshold}
    hidden_count, hidden_rate = count_text(threshold), rate_text(threshold)
    for figure in published["figures"].values():
        if "base" in figure or "previous_base" in figure:
            base, earlier_base = figure.get("base"), figure.get("previous_base")
            if figure["value"] is not None and (base is None or base < threshold):
                figure["value"] = hidden_rate
            if figure["previous"] is not None and (earlier_base is None
                                                   or earlier_base < threshold):
                figure["previous"] = hidden_rate
            for key in ("base", "previous_base"):
                if _small(figure.get(key), threshold):
                    figure[key] = hidden_count
            continue
        for key in ("value", "previous"):
            if _small(figure[key], threshold):
                figure[key] = hidden_count
        for counts in figure.get("breakdown", {}).values():
            for key in hidden_cells(counts, threshold):
                counts[key] = hidden_count
    history = published.get("history")
    if history:
        for figure_id, values in history["figures"].items():
            bases = history["bases"].get(figure_id)
            for i, value in enumerate(values):
                if bases is not None:
                    if value is not None and (bases[i] is None or bases[i] < threshold):
                        values[i] = hidden_rate
                elif _small(value, threshold):
                    values[i] = hidden_count
        for bases in history["bases"].values():
            for i, base in enumerate(bases):
                if _small(base, threshold):
                    bases[i] = hidden_count
        if published["period"] == "year":
            _protect_year_totals(document, published, threshold)
    return published


def _protect_year_totals(
    document: dict[str, Any], published: dict[str, Any], threshold: int
) -> None:
    """In an annual review, hide more quarters where the year total would give one away.

    The history's last four quarters are the year and the four before them the year earlier;
    for figures whose year is the sum of its quarters, the total less three quarters shown
    would otherwise reveal the fourth.
    """
    history = document["history"]
    for figure_id, values in history["figures"].items():
        figure = published["figures"].get(figure_id)
        if figure is None or figure["measure"].split(":")[0] not in ADDITIVE:
            continue
        for total_key, quarters in (("previous", range(0, 4)), ("value", range(4, 8))):
            if is_suppressed(figure[total_key]) or len(values) < 8:
                continue
            cells = {str(i): values[i] for i in quarters}
            for key in hidden_cells(cells, threshold):
                published["history"]["figures"][figure_id][int(key)] = count_text(threshold)
