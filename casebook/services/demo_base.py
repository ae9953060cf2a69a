"""The demo's building blocks: seeded randomness, yearly volumes and one interchange line at a time."""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
START = date(2024, 4, 1)
_NAMESPACE = uuid.UUID("0b6c2f4e-5d1a-4c39-9e7b-3f8a2d6c1e55")

#: Roughly the yearly volumes of the 2024/25 review (seed 000), per scheme and kind of event.
YEARLY = {
    "asb-complaint": 490, "pspo-fpn": 51, "pspo-warning-letter": 24, "pspo-dispersal": 7,
    "mediation": 22, "davss": 376, "cdap": 6, "channel": 3, "kenward": 24, "youth": 30,
    "schools": 6, "self-defence": 4, "community-event": 5, "outreach": 10, "cctv": 9,
    "case-review": 3, "safer-towns-join": 10, "safer-towns-leave": 3,
}
#: Enforcement patrols (April to September): 456 reports in 2024.
ENFORCEMENT_DAILY = 456 / 183
PLACES = ["Tonbridge", "Snodland", "Kings Hill", "Larkfield", "Aylesford", "West Malling",
          "Wouldham", "Borough Green", "East Malling", "Hildenborough"]
ASB_CATEGORIES = ["neighbour"] * 5 + ["noise", "youths", "vehicles", "drugs"]


@dataclass(order=True)
class _Later:
    """An event to write on a later day (a CPN after its CPW, a decision after its application)."""

    day: date
    order: str
    line: dict[str, Any] = field(compare=False)


class DayBuilder:
    """The seeded generator and what every scheme's simulation builds its lines with."""

    def __init__(self, seed: int, today: date):
        self.seed = seed
        self.today = today
        self.random = random.Random(seed)
        self.count = 0
        self.later: list[_Later] = []
        self.case_numbers: dict[str, int] = {}
        self.davss_subjects: deque[tuple[date, str]] = deque()
        self.subject_number = 0
        self.members: dict[str, list[str]] = {"safer-towns": [], "safer-spaces": []}
        self.member_number = 0
        self.year_factor: dict[int, float] = {}

    # -- building lines ---------------------------------------------------------------------

    def line(self, type_: str, scheme: str, day: date, case: str | None = None,
             by: str = "csu.officer", **data: Any) -> dict[str, Any]:
        self.count += 1
        clock = time(self.random.randrange(8, 18), self.random.randrange(0, 60, 5))
        line: dict[str, Any] = {
            "id": str(uuid.uuid5(_NAMESPACE, f"{self.seed}/{self.count}")),
            "type": type_,
            "scheme": scheme,
            "occurred_at": datetime.combine(day, clock, LONDON).isoformat(),
            "recorded_by": by,
            "data": {k: v for k, v in data.items() if v is not None},
        }
        if case is not None:
            line["case"] = case
        return line

    def schedule(self, day: date, line: dict[str, Any]) -> None:
        heapq.heappush(self.later, _Later(day, line_order(line), line))

    def case_ref(self, prefix: str, day: date) -> str:
        key = f"{prefix}-{day.year}"
        self.case_numbers[key] = self.case_numbers.get(key, 0) + 1
        return f"{key}-{self.case_numbers[key]:04d}"

    def times(self, kind: str, day: date, extra: float = 1.0) -> int:
        """How many events of `kind` happen on `day` (Poisson, scaled by the year's factor)."""
        rate = YEARLY[kind] / 365 * self.factor(day) * extra
        if day.weekday() >= 5:
            rate *= 0.3
        return poisson(self.random, rate * 7 / 5.6)

    def factor(self, day: date) -> float:
        """Each financial year is busier or quieter than the last, so comparisons show change."""
        year = day.year if day.month >= 4 else day.year - 1
        if year not in self.year_factor:
            self.year_factor[year] = 1.0 if year == 2024 else self.random.uniform(0.8, 1.25)
        return self.year_factor[year]

    def pick(self, options: Sequence[Any]) -> Any:
        return self.random.choice(options)

    def maybe(self, chance: float) -> bool:
        return self.random.random() < chance


def line_order(line: dict[str, Any]) -> str:
    return str(datetime.fromisoformat(line["occurred_at"]).astimezone(LONDON).isoformat())


def poisson(rng: random.Random, rate: float) -> int:
    """A Poisson-distributed count with mean `rate` (Knuth's method; rates here are small)."""
    limit, product, count = math.exp(-rate), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
