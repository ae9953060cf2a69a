"""What a figure's values would be, before it is adopted: for `plan check` and the Plan pages.

A definition already kept by the read models is read from them. Any other is computed by the
projection engine itself, from the events of its scheme, into a private in-memory database
that is thrown away afterwards: nothing is written to casebook's database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

from events.model import StoredEvent, stored_from_row
from events.subjects import readable_events
from events.tables import events
from events.types import VOIDED
from projections.catalogue import load_figures
from projections.definitions import Figure, FigureIndex
from projections.figures import FigureReader, FigureValue, Period
from projections.fold import gather
from projections.projector import Projector
from projections.stored_rows import load_targets
from projections.tables import current_generation, generation

_PAGE = 5000


def preview_values(connection: Connection, figures: Sequence[Figure],
                   periods: Sequence[Period]) -> dict[tuple[str, Period], FigureValue]:
    """Each figure's value for each period, by figure id, as adopting it would make them."""
    kept = {f.id for f in load_figures(connection).figures}
    known = [f for f in figures if f.read_key in kept]
    values: dict[tuple[str, Period], FigureValue] = {}
    if known and (current := current_generation(connection)) is not None:
        values.update(FigureReader.over(connection, current[0], known).values(periods))
    others = [f for f in figures if f.read_key not in kept]
    if others:
        values.update(_computed(connection, others, periods))
    return values


def _computed(connection: Connection, figures: Sequence[Figure],
              periods: Sequence[Period]) -> dict[tuple[str, Period], FigureValue]:
    computing = [replace(f, id=f.read_key, key="") for f in figures]
    index = FigureIndex(computing)
    scratch = sa.create_engine("sqlite://", poolclass=StaticPool)
    try:
        tables = generation(1)
        with scratch.begin() as private:
            tables.create(private)
            projector = Projector(index, tables, advance=False)
            for batch in _scheme_events(connection, sorted({f.scheme for f in figures})):
                targets = load_targets(connection,
                                       [e.data["target"] for e in batch if e.type == VOIDED])
                projector.write(private, gather(index, batch, targets), None)
            found = FigureReader.over(private, tables, computing).values(periods)
    finally:
        scratch.dispose()
    return {(figure.id, period): found[(figure.read_key, period)]
            for figure in figures for period in periods}


def _scheme_events(connection: Connection, schemes: list[str]) -> Iterator[list[StoredEvent]]:
    after = 0
    while rows := connection.execute(
        readable_events().where(events.c.scheme.in_(schemes), events.c.position > after)
        .order_by(events.c.position).limit(_PAGE)
    ).all():
        yield [stored_from_row(row) for row in rows]
        after = rows[-1].position
