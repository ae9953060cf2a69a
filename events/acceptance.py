"""What the partnership's plan lets be logged (spec §8): added vocabulary values, and the event
types each scheme logs in each year.

The plan lives with the figures (`projections.plans`); the store only needs this much of it, and
checks it with the other rules, under the append lock, for the web form, the API and the import
alike. The default accepts the values of the schemas and any type in any scheme.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from events import schemas
from events.quarters import FinancialYear, local_date
from events.types import SUBJECT_ERASED, VOIDED

#: The enumerated fields a plan may add values to, and the values the schemas give each.
VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    "notice": schemas.NOTICES,
    "panel": schemas.PANELS,
    "kind": schemas.ENGAGEMENTS,
    "source": schemas.SOURCES,
}
#: Logged in every scheme whatever its plan says: a correction, and the duty to erase.
ALWAYS_ALLOWED = frozenset({VOIDED, SUBJECT_ERASED})


def year_in_force(years: Sequence[int], year: int) -> int | None:
    """Of the (sorted) plan years, the one in force for `year`: the latest at or before it, else
    the earliest; None where there is no plan."""
    if not years:
        return None
    at = bisect_right(years, year)
    return years[at - 1] if at else years[0]


@dataclass(frozen=True)
class Acceptance:
    """The plan's part in deciding whether an event may be logged."""

    #: Field -> value -> label: values adopted on top of the schemas' own (never removed).
    added: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Plan year (its start) -> scheme -> the types it logs. A scheme a plan does not name at
    #: all (no figure, no `[[scheme]]` entry) is not limited by it.
    scheme_types: Mapping[int, Mapping[str, AbstractSet[str]]] = field(default_factory=dict)

    #: The user names a `case.assigned` may make a case's owner: the active users (the store
    #: knows nothing of users; casebook gives it their names). None: any name.
    officers: AbstractSet[str] | None = None

    @cached_property
    def _years(self) -> list[int]:
        return sorted(self.scheme_types)

    def choices(self, field_name: str) -> dict[str, str]:
        """Every value the field accepts, with its label: the schema's, then those adopted."""
        return {**VOCABULARIES.get(field_name, {}), **self.added.get(field_name, {})}

    def value_problem(self, field_name: str, value: object) -> str | None:
        """What is wrong with an enumerated field's value, or None."""
        if field_name not in VOCABULARIES or value is None:
            return None
        allowed = self.choices(field_name)
        if value in allowed:
            return None
        return f"Must be one of: {', '.join(allowed)}."

    def officer_problem(self, officer: object) -> str | None:
        """What is wrong with the officer a case is assigned to, or None."""
        if self.officers is None or officer in self.officers:
            return None
        return (f"Officer must be the user name of someone who can sign in to casebook: there is "
                f"no active user {officer!r}.")

    def type_problem(self, scheme: str, type_name: str, occurred_at: datetime) -> str | None:
        """What is wrong with logging a `type_name` event in `scheme` at `occurred_at`, or None."""
        allowed = self.types_for(scheme, occurred_at)
        if allowed is None or type_name in allowed:
            return None
        return (f"The scheme {scheme!r} does not log {type_name} events in its plan "
                f"(it logs {', '.join(sorted(allowed))}).")

    def types_for(self, scheme: str, occurred_at: datetime) -> AbstractSet[str] | None:
        """The types `scheme` logs for an event at `occurred_at`; None: any type."""
        if not self.scheme_types:
            return None
        chosen = year_in_force(self._years, FinancialYear.of(local_date(occurred_at)).start_year)
        if chosen is None:
            return None
        types = self.scheme_types[chosen].get(scheme)
        return None if types is None else types | ALWAYS_ALLOWED


#: Only the schemas' values, and no limit on types: what a store without a plan accepts.
SCHEMAS_ONLY = Acceptance()
