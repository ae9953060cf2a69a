"""Which cells of a published table to hide, so that no small count is shown or can be worked out.

A cell from 1 to threshold - 1 is hidden for its own sake (SMALL). Where the total is known, the
hidden cells' sum is known too, so more cells are hidden, the next smallest first (SECONDARY),
until no hidden cell's value follows from the total, the cells shown and what the markers say.
Where even hiding every count cannot do that, the whole group is hidden (WITHHELD).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

SMALL = "small"
SECONDARY = "secondary"
WITHHELD = "withheld"
SECONDARY_TEXT = "[c]"

K = TypeVar("K", bound=Hashable)


def count_text(threshold: int) -> str:
    """What a small count reads as."""
    return f"fewer than {threshold}"


def rate_text(threshold: int) -> str:
    """What a hidden rate reads as: its base, not the rate, is what is small."""
    return f"not shown (base fewer than {threshold})"


def marker(kind: str, threshold: int) -> str:
    """What a hidden cell reads as: a small count says so, any other hidden cell reads [c]."""
    return count_text(threshold) if kind == SMALL else SECONDARY_TEXT


def is_small(value: Any, threshold: int) -> bool:
    """Whether a count is small enough to identify someone (from 1 to threshold - 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold


def protect(cells: Mapping[K, int], threshold: int, *, total_shown: bool = True) -> dict[K, str]:
    """The cells to hide and why (SMALL, SECONDARY or, for every cell, WITHHELD).

    `total_shown` says whether the cells' total is published; otherwise it reads as a small
    count, so the hidden cells add up to something from 1 to threshold - 1.
    """
    small = [key for key, value in cells.items() if is_small(value, threshold)]
    if not small:
        return {}
    spare = sorted((value, str(key), key) for key, value in cells.items()
                   if value > 0 and not is_small(value, threshold))
    secondary: list[K] = []
    while not _safe(cells, small, secondary, threshold, total_shown):
        if not spare:
            return dict.fromkeys(cells, WITHHELD)
        secondary.append(spare.pop(0)[2])
    return {**dict.fromkeys(small, SMALL), **dict.fromkeys(secondary, SECONDARY)}


def _safe(cells: Mapping[K, int], small: list[K], secondary: list[K], threshold: int,
          total_shown: bool) -> bool:
    """Whether no hidden cell can be pinned to one value by someone who knows these rules."""
    hidden = {*small, *secondary}
    shown = [value for key, value in cells.items() if key not in hidden]
    hidden_sum = sum(cells[key] for key in hidden)
    if total_shown and hidden_sum < threshold:
        # The hidden cells together must not be a small number either.
        return False
    # Secondary cells are taken smallest first, so none is above a count still shown.
    ceiling: float = min((value for value in shown if value > 0), default=math.inf)
    ranges = {key: (1.0, float(threshold - 1)) for key in small}
    ranges.update({key: (float(threshold), ceiling) for key in secondary})
    if total_shown:
        low, high = float(hidden_sum), float(hidden_sum)
    else:
        rest = sum(shown)
        low, high = float(1 - rest), float(threshold - 1 - rest)
    for key, (lo, hi) in ranges.items():
        others = [bounds for other, bounds in ranges.items() if other != key]
        others_least = sum(bounds[0] for bounds in others)
        others_most = sum(bounds[1] for bounds in others)
        if min(hi, high - others_least) <= max(lo, low - others_most):
            return False
    return True
