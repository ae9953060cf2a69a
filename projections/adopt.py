"""Adopt a plan (spec §8): store it as a new version and compute its new figures at once.

Adoption runs in one write transaction under the append lock: the new version, and the rows of
every definition it brings (folded from the whole log into the current read models), become
visible together when it commits. Until then every page reads the plans and figures as they
were, so figures stay readable throughout; appends wait for it to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.db import lock_for_append
from events.store import read_events
from events.types import VOIDED
from projections.catalogue import has_plans, load_plans, store_plan
from projections.definitions import Figure, FigureIndex
from projections.fold import gather
from projections.plan import Plan, default_plan_files, plan_from_file
from projections.projector import Projector
from projections.stored_rows import load_targets
from projections.tables import Generation, current_generation, projection_state

#: Events folded at a time while computing a new definition over the log.
FOLD_BATCH = 20_000
#: Told how far the fold has come: (events folded, events in the log).
Progress = Callable[[int, int], None]


def adopt(connection: Connection, plan: Plan, *, by: str, reason: str, now: datetime,
          on_progress: Progress | None = None) -> int:
    """Store `plan` (already checked) as its year's next version, in the caller's write
    transaction, and fold the whole log into the definitions it adds; its version."""
    lock_for_append(connection)
    before = load_plans(connection).index
    version = store_plan(connection, plan, by=by, reason=reason, now=now)
    after = load_plans(connection).index
    current = current_generation(connection)
    if current is not None:
        tables, position, _ = current
        fold_new_definitions(connection, before, after, tables, position, on_progress)
        connection.execute(
            sa.update(projection_state)
            .where(projection_state.c.generation == tables.number)
            .values(definitions_hash=after.hash)
        )
    return version


def adopt_default_plans(connection: Connection, *, now: datetime) -> int:
    """`casebook init`: adopt the default plans on a database with none; how many were."""
    if has_plans(connection):
        return 0
    for document in default_plan_files():
        plan = plan_from_file(document)
        store_plan(connection, plan, by="casebook init", reason=plan.reason or "", now=now)
    return len(default_plan_files())


def fold_new_definitions(connection: Connection, before: FigureIndex, after: FigureIndex,
                         tables: Generation, position: int,
                         on_progress: Progress | None = None) -> int:
    """Compute the definitions of `after` that `before` lacks, over the log up to `position`,
    into `tables`; how many there were. A definition that comes back after being dropped
    starts again from nothing."""
    known = {f.id for f in before.figures}
    new = [f for f in after.figures if f.id not in known]
    if not new:
        return 0
    _forget(connection, tables, new)
    index = FigureIndex(new)
    projector = Projector(index, tables, advance=False)
    events_ = read_events(connection, batch_size=FOLD_BATCH)
    done = 0
    while batch := [e for e in islice(events_, FOLD_BATCH) if e.position <= position]:
        targets = load_targets(connection, [e.data["target"] for e in batch if e.type == VOIDED])
        changes = gather(index, batch, targets)
        # The schemes' activity counts events, not definitions: it is already counted.
        changes.activity.clear()
        projector.write(connection, changes, None)
        done += len(batch)
        if on_progress is not None:
            on_progress(done, position)
        if batch[-1].position >= position:
            break
    if on_progress is not None:
        on_progress(position, position)
    return len(new)


def _forget(connection: Connection, tables: Generation, figures: Sequence[Figure]) -> None:
    keys = [f.id for f in figures]
    for table in (tables.totals, tables.members, tables.referrals, tables.returns):
        connection.execute(sa.delete(table).where(table.c.figure_id.in_(keys)))
