"""Partners' quarterly returns: which ones a scheme's plan expects, and those already submitted.

A return counts for the quarter it names (spec §3), so the returns of a quarter are read through
the event log's scheme-and-period index; of several for the same indicator and quarter, the one
stored last counts, as the `latest-return` measure folds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Connection

from casebook.services.reads import period_events
from events.quarters import FinancialYear, Quarter, local_date
from projections.catalogue import NoPlan, load_plans

RETURN_TYPE = "return.submitted"


@dataclass(frozen=True)
class Expected:
    """A return a scheme's plan expects: the indicator a `latest-return` figure counts."""

    scheme: str
    indicator: str
    #: The label of the figure that counts it, as the dashboard shows it.
    label: str

    @property
    def choice(self) -> str:
        """The form's value for this return: the scheme and the indicator."""
        return f"{self.scheme}:{self.indicator}"


@dataclass(frozen=True)
class Submitted:
    """One return as stored, with the one before it for the same indicator and quarter."""

    event_id: str
    position: int
    value: int
    submitted_on: date
    submitted_by: str
    #: Whether it is the return that counts: the one stored last.
    counts: bool
    #: The return stored just before it, which it replaces.
    replaces: Submitted | None = None


def expected_returns(connection: Connection, schemes: Iterable[str],
                     year: FinancialYear) -> list[Expected]:
    """The returns the plan in force for `year` expects of these schemes, in the plan's order."""
    wanted = set(schemes)
    try:
        plan = load_plans(connection).for_year(year).plan
    except NoPlan:
        return []
    found: dict[tuple[str, str], Expected] = {}
    for figure in plan.figures:
        if figure.measure == "latest-return" and figure.scheme in wanted and figure.argument:
            key = (figure.scheme, figure.argument)
            # Two figures of one indicator (say with different filters) are one return to send.
            found.setdefault(key, Expected(figure.scheme, figure.argument, figure.label))
    return list(found.values())


def expected_in_years(connection: Connection, schemes: Iterable[str],
                      years: Sequence[FinancialYear]) -> list[Expected]:
    """The returns any of these years' plans expect, each once, the first year's label kept."""
    wanted = list(schemes)
    found: dict[tuple[str, str], Expected] = {}
    for year in years:
        for expected in expected_returns(connection, wanted, year):
            found.setdefault((expected.scheme, expected.indicator), expected)
    return list(found.values())


def submitted_returns(connection: Connection, scheme: str,
                      quarters: Sequence[Quarter]) -> dict[tuple[str, Quarter], list[Submitted]]:
    """The scheme's not voided returns for these quarters, by indicator and quarter, each list
    in the order stored (the last one counts)."""
    if not quarters:
        return {}
    grouped: dict[tuple[str, Quarter], list[Submitted]] = {}
    listed = period_events(connection, scheme, [RETURN_TYPE], [q.index for q in quarters])
    for item in listed:  # in the order stored
        event = item.event
        key = (str(event.data.get("indicator", "")), Quarter.from_index(event.period))
        earlier = grouped.setdefault(key, [])
        before = None
        if earlier:
            before = earlier[-1] = _no_longer_counting(earlier[-1])
        earlier.append(Submitted(
            event.event_id, event.position, int(event.data.get("value", 0)),
            local_date(event.occurred_at), event.recorded_by, counts=True, replaces=before))
    return grouped


def _no_longer_counting(submitted: Submitted) -> Submitted:
    return Submitted(submitted.event_id, submitted.position, submitted.value,
                     submitted.submitted_on, submitted.submitted_by, counts=False,
                     replaces=submitted.replaces)
