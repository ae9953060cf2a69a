"""Keep the read models in step with the log: the live projector, and rebuild-and-swap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.db import lock_for_append, writing
from events.model import StoredEvent, stored_from_row
from events.quarters import utc_now
from events.store import last_position, read_events
from events.tables import events
from events.types import EVENT_TYPES
from projections.catalogue import figures_by_hash, load_figures
from projections.definitions import FigureIndex
from projections.projector import Projector
from projections.tables import current_generation, generation, projection_state

#: Larger batches mean fewer, fuller statements per event; 20,000 events hold about 40 MB.
REBUILD_BATCH = 20_000


class ProjectionsMissing(RuntimeError):
    """The database has no read models yet: `casebook init` builds them."""


def project(connection: Connection, batch: Sequence[StoredEvent]) -> None:
    """Fold newly appended events into the current read models, in the append's transaction.

    A rebuild in progress catches up with these events itself before it swaps.
    """
    current = current_generation(connection)
    if current is None:
        raise ProjectionsMissing("The read models are missing: run `casebook init`.")
    tables, _, definitions_hash = current
    Projector(figures_by_hash(connection, definitions_hash), tables).apply(connection, batch)


def rebuild(
    engine: Engine,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = REBUILD_BATCH,
) -> int:
    """Build a fresh generation of read models from every event, then swap it in.

    Figures stay readable from the old generation throughout. Each batch commits with its
    position, so a rebuild that is killed resumes where it stopped when run again.
    """
    with writing(engine) as connection:
        number = _start_or_resume(connection)
        target = last_position(connection)
    tables = generation(number)
    while True:
        with writing(engine) as connection:
            index = load_figures(connection)
            done = _position(connection, number)
            batch = _next_batch(connection, index, done, batch_size)
            Projector(index, tables).apply(connection, batch)
        if on_progress is not None:
            on_progress(batch[-1].position if batch else target, target)
        if len(batch) < batch_size:
            break
    with writing(engine) as connection:
        lock_for_append(connection)
        # Appends made while we were building went to the old generation: fold them in too.
        index = load_figures(connection)
        projector = Projector(index, tables)
        while late := _next_batch(connection, index, _position(connection, number), batch_size):
            projector.apply(connection, late)
        old = current_generation(connection)
        if old is not None:
            old[0].drop(connection)
            connection.execute(
                sa.update(projection_state)
                .where(projection_state.c.generation == old[0].number)
                .values(status="retired")
            )
        connection.execute(
            sa.update(projection_state)
            .where(projection_state.c.generation == number)
            .values(status="current", finished_at=utc_now())
        )
    return number


def _next_batch(
    connection: Connection, index: FigureIndex, after: int, size: int
) -> list[StoredEvent]:
    """The next events to fold, left sealed where no figure reads a personal field."""
    if _reads_personal_fields(index):
        return list(islice(read_events(connection, after=after, batch_size=size), size))
    # Decrypting every referral's subject was a third of a rebuild's time, and figures only ask
    # whether there is a subject (the repeat rate goes by its key id), which sealed data answers.
    rows = connection.execute(
        sa.select(events).where(events.c.position > after).order_by(events.c.position).limit(size)
    ).all()
    return [stored_from_row(row) for row in rows]


def _reads_personal_fields(index: FigureIndex) -> bool:
    """Whether any figure filters, breaks down, sums or counts distinct a personal field."""
    used: set[str] = set()
    for figure in index.figures:
        used.update(figure.where, figure.breakdown)
        if figure.measure in ("sum", "distinct") and figure.argument:
            used.add(figure.argument)
    return bool(used & _personal_fields())


@cache
def _personal_fields() -> frozenset[str]:
    return frozenset(
        name
        for event_type in EVENT_TYPES.values()
        for name, field in event_type.schema().fields.items()
        if field.metadata.get("personal")
    )


def needs_rebuild(connection: Connection) -> bool:
    """True where there are no read models or they were built from other figure definitions."""
    current = current_generation(connection)
    return current is None or current[2] != load_figures(connection).hash


def _start_or_resume(connection: Connection) -> int:
    definitions = load_figures(connection).hash
    building = connection.execute(
        sa.select(projection_state.c.generation, projection_state.c.definitions_hash).where(
            projection_state.c.status == "building"
        )
    ).first()
    if building is not None and building.definitions_hash == definitions:
        return int(building.generation)
    if building is not None:
        generation(building.generation).drop(connection)
        connection.execute(
            sa.update(projection_state)
            .where(projection_state.c.generation == building.generation)
            .values(status="retired")
        )
    number = (
        connection.execute(sa.select(sa.func.max(projection_state.c.generation))).scalar() or 0
    ) + 1
    generation(number).create(connection)
    connection.execute(
        sa.insert(projection_state).values(
            generation=number,
            status="building",
            position=0,
            definitions_hash=definitions,
            started_at=utc_now(),
        )
    )
    return number


def _position(connection: Connection, number: int) -> int:
    return int(
        connection.execute(
            sa.select(projection_state.c.position).where(projection_state.c.generation == number)
        ).scalar_one()
    )
