"""Keep the read models in step with the log: the live projector, and rebuild-and-swap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.db import lock_for_append, writing
from events.model import StoredEvent
from events.quarters import utc_now
from events.store import last_position, read_events
from projections.catalogue import figures_by_hash, load_figures
from projections.projector import Projector
from projections.tables import current_generation, generation, projection_state

REBUILD_BATCH = 5000


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
            batch = list(islice(read_events(connection, after=done, batch_size=batch_size), batch_size))
            Projector(index, tables).apply(connection, batch)
        if on_progress is not None:
            on_progress(batch[-1].position if batch else target, target)
        if len(batch) < batch_size:
            break
    with writing(engine) as connection:
        lock_for_append(connection)
        # Appends made while we were building went to the old generation: fold them in too.
        projector = Projector(load_figures(connection), tables)
        while late := list(islice(read_events(connection, after=_position(connection, number)), batch_size)):
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
