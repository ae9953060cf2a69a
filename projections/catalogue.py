"""The plans adopted, kept in the database (spec §8), and what they put in force.

Each adoption is a new row of `plans`, never changed. The plan in force for a year is the
latest version of the plan whose year is the latest at or before it (`events.acceptance.
year_in_force`). The read models keep every figure definition of every plan in force
(`load_figures`), so that each year reads its own plan's definitions, for itself and for the
year before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.acceptance import Acceptance, year_in_force
from events.quarters import FinancialYear
from projections.definitions import Figure, FigureIndex
from projections.plan import Plan, computations, plan_from_file
from projections.tables import plans

#: Indexes by definitions hash: the append path knows the hash its generation was built from.
_by_hash: dict[str, FigureIndex] = {}
_cache: dict[tuple[tuple[Any, ...], ...], Plans] = {}


class NoPlan(LookupError):
    """The database has no plan yet: `casebook init` adopts the default ones."""


@dataclass(frozen=True)
class Adopted:
    """One adopted version of a year's plan: who adopted it, when and why."""

    plan: Plan
    version: int
    adopted_at: datetime
    adopted_by: str
    reason: str


@dataclass(frozen=True)
class Plans:
    """What the adopted plans put in force, read once per set of versions."""

    #: Plan year (its start) -> the newest version of that year's plan.
    latest: Mapping[int, Adopted]
    #: Field -> value -> label: every value any version added (values are never removed).
    vocabulary: Mapping[str, Mapping[str, str]]
    index: FigureIndex

    def for_year(self, year: FinancialYear) -> Adopted:
        """The plan in force for `year`."""
        chosen = year_in_force(sorted(self.latest), year.start_year)
        if chosen is None:
            raise NoPlan("There is no plan: run `casebook init`.")
        return self.latest[chosen]

    @cached_property
    def acceptance(self) -> Acceptance:
        """What the plans let be logged: their vocabulary and each year's schemes' types."""
        return Acceptance(
            added=self.vocabulary,
            scheme_types={year: adopted.plan.logged_types()
                          for year, adopted in self.latest.items()},
        )


def load_plans(connection: Connection) -> Plans:
    """The plans in force, from memory while the stored versions are the ones read before."""
    # Who adopted a version, when and why are part of the key: two databases may hold the
    # same plan, adopted by different people at different times.
    versions = tuple(
        tuple(row)
        for row in connection.execute(
            sa.select(plans.c.year, plans.c.version, plans.c.digest, plans.c.adopted_at,
                      plans.c.adopted_by, plans.c.reason)
            .order_by(plans.c.year, plans.c.version)
        )
    )
    found = _cache.get(versions)
    if found is None:
        found = _read(connection)
        if len(_cache) > 32:
            _cache.clear()
        _cache[versions] = found
        _by_hash[found.index.hash] = found.index
    return found


def _read(connection: Connection) -> Plans:
    latest: dict[int, Adopted] = {}
    vocabulary: dict[str, dict[str, str]] = {}
    for row in connection.execute(sa.select(plans).order_by(plans.c.year, plans.c.version)):
        plan = plan_from_file(json.loads(row.body))
        latest[row.year] = Adopted(plan, row.version, row.adopted_at, row.adopted_by, row.reason)
        for word in plan.vocabulary:
            vocabulary.setdefault(word.field, {})[word.value] = word.label
    index = FigureIndex(computations(a.plan for a in latest.values()))
    return Plans(latest, vocabulary, index)


def figures_of_year(connection: Connection, year: FinancialYear | str) -> list[Figure]:
    """The figures of the plan in force for `year` (or its label, "2025/26"), in their order."""
    chosen = FinancialYear.parse(year) if isinstance(year, str) else year
    return list(load_plans(connection).for_year(chosen).plan.figures)


def history(connection: Connection) -> list[Adopted]:
    """Every adoption, oldest first."""
    return [
        Adopted(plan_from_file(json.loads(row.body)), row.version, row.adopted_at,
                row.adopted_by, row.reason)
        for row in connection.execute(sa.select(plans).order_by(plans.c.adopted_at,
                                                                plans.c.year, plans.c.version))
    ]


def plan_version(connection: Connection, year: FinancialYear, version: int) -> Adopted | None:
    """A stored version of the plan whose year is `year` (not the one in force: that one)."""
    row = connection.execute(
        sa.select(plans).where(plans.c.year == year.start_year, plans.c.version == version)
    ).first()
    if row is None:
        return None
    return Adopted(plan_from_file(json.loads(row.body)), row.version, row.adopted_at,
                   row.adopted_by, row.reason)


def store_plan(connection: Connection, plan: Plan, *, by: str, reason: str,
               now: datetime) -> int:
    """Store `plan` as the next version of its year's plan; its version number."""
    body = json.dumps(plan.as_file(), sort_keys=True)
    version = (connection.execute(
        sa.select(sa.func.max(plans.c.version)).where(plans.c.year == plan.year.start_year)
    ).scalar() or 0) + 1
    connection.execute(sa.insert(plans).values(
        year=plan.year.start_year, version=version, body=body,
        digest=hashlib.sha256(body.encode()).hexdigest()[:16],
        adopted_at=now, adopted_by=by, reason=reason,
    ))
    return version


def has_plans(connection: Connection) -> bool:
    return connection.execute(sa.select(plans.c.year).limit(1)).first() is not None


def load_figures(connection: Connection) -> FigureIndex:
    """Every figure definition the read models keep: one per key, over all plans in force."""
    return load_plans(connection).index


def figures_by_hash(connection: Connection, definitions_hash: str) -> FigureIndex:
    """The definitions with this hash: from memory when seen before, else from the database."""
    index = _by_hash.get(definitions_hash)
    return index if index is not None else load_figures(connection)
