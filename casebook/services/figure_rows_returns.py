"""A latest-return figure's rows from its read model (`fig_returns`): each quarter's returns
for the indicator, not voided, with their positions, so a page reads only its own quarters'
returns and never the scheme's other events."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.services import reads
from casebook.services.figure_rows_python import Row, Rows
from events.quarters import Quarter
from events.tables import events
from projections.definitions import Figure
from projections.tables import current_generation

#: Quarter index -> the position and value of each of its returns, the last stored first.
Kept = dict[int, list[tuple[int, int]]]


def kept_returns(connection: Connection, figure: Figure, periods: Sequence[int]) -> Kept | None:
    """Each of these quarters that has returns, with their positions; None without read models."""
    current = current_generation(connection)
    if current is None:
        return None
    table = current[0].returns
    found = connection.execute(
        sa.select(table.c.period, table.c.position, table.c.value).where(
            table.c.figure_id == figure.read_key, table.c.period.in_(list(periods)))
        .order_by(table.c.period, table.c.position.desc()))
    kept: Kept = {}
    for period, position, value in found:
        kept.setdefault(int(period), []).append((int(position), int(value)))
    return kept


def tally(figure: Figure, kept: Kept) -> Rows:
    """How many quarters have a return, and what their counted returns add up to."""
    return Rows(figure, len(kept), len(kept), total=sum(found[0][1] for found in kept.values()),
                replaced_count=sum(len(positions) - 1 for positions in kept.values()))


#: On a page, the most earlier returns listed under a quarter's (the CSV lists every one).
REPLACED_SHOWN = 10


def rows(connection: Connection, kept: Kept, first: int, size: int | None) -> list[Row]:
    """The quarters' rows from the `first` on (at most `size`), oldest quarter first: the return
    stored last is counted, the earlier ones listed as replaced, the latest of them first; on a
    page (a `size`), the latest `REPLACED_SHOWN` of them, and how many more."""
    chosen = sorted(kept)[first:None if size is None else first + size]
    shown = None if size is None else REPLACED_SHOWN + 1
    wanted = [p for period in chosen for p, _ in kept[period][:shown]]
    if not wanted:
        return []
    listed = {e.event.position: e for e in reads.events_where(
        connection, events.c.position.in_(wanted))}
    found = []
    for period in chosen:
        counted, *replaced = (listed[p] for p, _ in kept[period][:shown])
        found.append(Row(str(Quarter.from_index(period)), (counted,),
                         amount=int(counted.event.data["value"]), replaced=tuple(replaced),
                         replaced_more=len(kept[period]) - 1 - len(replaced)))
    return found
