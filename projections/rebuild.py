"""Keep the read models in step with the log: the live projector, and rebuild-and-swap
(which recomputes every case's rows too)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.clock import utc_now
from events.db import lock_for_append, writing
from events.driver import DriverSQL
from events.model import StoredEvent
from events.store import last_position, read_events
from projections.adopt import fold_new_definitions
from projections.casework import refresh_all, refresh_cases, touched_cases
from projections.catalogue import figures_by_hash, load_figures
from projections.definitions import FigureIndex
from projections.parallel import Folders
from projections.projector import Projector
from projections.tables import current_generation, generation, projection_state

#: Positions each worker folds at least, where a rebuild has several: below it, forking costs
#: more than it saves.
PARALLEL_MIN = 10_000
#: Positions per committed batch: each commit syncs the disk, and a killed rebuild resumes from
#: the last one. The grouped fold keeps little per event, so a batch costs a few MB.
REBUILD_BATCH = 50_000


class ProjectionsMissing(RuntimeError):
    """The database has no read models yet: `casebook init` builds them."""


def project(connection: Connection, batch: Sequence[StoredEvent]) -> None:
    """Fold newly appended events into the current read models, and recompute the cases they
    touch (`projections.casework`), in the append's transaction.

    A rebuild in progress catches up with these events itself before it swaps.
    """
    if not batch:
        return
    # One statement both finds the current generation and records how far it has folded.
    current = DriverSQL.of(connection).rows(_ADVANCE_CURRENT, (batch[-1].position,))
    if not current:
        raise ProjectionsMissing("The read models are missing: run `casebook init`.")
    number, definitions_hash = current[0]
    index = figures_by_hash(connection, definitions_hash)
    Projector(index, generation(number), advance=False).apply(connection, batch)
    refresh_cases(connection, touched_cases(connection, batch))


_ADVANCE_CURRENT = (
    "UPDATE projection_state SET position = ? WHERE status = 'current'"
    " RETURNING generation, definitions_hash"
)


def rebuild(
    engine: Engine,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = REBUILD_BATCH,
    workers: int = 1,
) -> int:
    """Build a fresh generation of read models from every event, then swap it in.

    Figures stay readable from the old generation throughout. Each batch of positions commits
    with the position it reached, so a rebuild that is killed resumes where it stopped.
    With `workers` above 1 a large log is read and folded by that many processes at once
    (forked: for a command-line process, never from inside a threaded server).
    """
    with writing(engine) as connection:
        number = _start_or_resume(connection)
        target = last_position(connection)
        index = load_figures(connection)
        done = _position(connection, number)
    # The only writer of its generation: it remembers its rows instead of reading them back.
    projector = Projector(index, generation(number), remember=True)
    parallel = workers > 1 and target - done >= workers * PARALLEL_MIN
    ranges = [(start, min(start + batch_size, target)) for start in range(done, target, batch_size)]
    with _collector_paused(), Folders(engine, index, workers if parallel else 1) as folders:
        ahead = folders.start(*ranges[0]) if ranges else None
        for number_in_order, (_, upto) in enumerate(ranges):
            assert ahead is not None
            changes = ahead.result()
            if number_in_order + 1 < len(ranges):
                # Workers fold the next batch while this process writes this one.
                ahead = folders.start(*ranges[number_in_order + 1])
            with writing(engine) as connection:
                projector.write(connection, changes, upto)
            if on_progress is not None:
                on_progress(upto, target)
        if on_progress is not None and not ranges:
            on_progress(done, target)
    with writing(engine) as connection:
        _swap_in(connection, projector, index, number, batch_size)
    return number


def _swap_in(connection: Connection, projector: Projector, index: FigureIndex, number: int,
             batch_size: int) -> None:
    """Under the append lock: fold what came in meanwhile, then make generation `number` current."""
    lock_for_append(connection)
    # Appends made while we were building went to the old generation: fold them in too.
    while late := _next_batch(connection, _position(connection, number), batch_size):
        projector.apply(connection, late)
    latest = load_figures(connection)
    if latest.hash != index.hash:
        # A plan adopted meanwhile brought definitions this build has not computed.
        fold_new_definitions(connection, index, latest, generation(number),
                             _position(connection, number))
        connection.execute(
            sa.update(projection_state)
            .where(projection_state.c.generation == number)
            .values(definitions_hash=latest.hash)
        )
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
    # Each case's rows are a function of its events alone: recomputed whole, under the lock.
    refresh_all(connection)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: the fold makes no cycles, yet the collector kept walking
    the growing state of the rebuild (about a sixth of its time). Reference counting still frees
    everything; the collector is back on, as it was, when the loop ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _next_batch(connection: Connection, after: int, size: int) -> list[StoredEvent]:
    """The next events to fold, decrypted, after position `after`."""
    return list(islice(read_events(connection, after=after, batch_size=size), size))


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
