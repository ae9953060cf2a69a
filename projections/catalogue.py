"""The figure definitions in force, kept in the database and loaded from `figures.toml` by init."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from projections.definitions import Figure, FigureIndex, figures_from_dicts
from projections.tables import figure_definitions

_cache: dict[str, FigureIndex] = {}
#: Indexes by definitions hash: the append path knows the hash its generation was built from.
_by_hash: dict[str, FigureIndex] = {}


def install_figures(connection: Connection, figures: Sequence[Figure]) -> bool:
    """Store these definitions (replacing any of the same id); True if anything changed."""
    before = {
        row.figure_id: (row.ordinal, row.body)
        for row in connection.execute(sa.select(figure_definitions))
    }
    changed = False
    for ordinal, figure in enumerate(figures):
        body = json.dumps(figure.as_dict(), sort_keys=True)
        if before.get(figure.id) == (ordinal, body):
            continue
        changed = True
        if figure.id in before:
            connection.execute(
                sa.update(figure_definitions)
                .where(figure_definitions.c.figure_id == figure.id)
                .values(ordinal=ordinal, body=body)
            )
        else:
            connection.execute(
                sa.insert(figure_definitions).values(figure_id=figure.id, ordinal=ordinal, body=body)
            )
    return changed


def load_figures(connection: Connection) -> FigureIndex:
    """The definitions in force, in their published order."""
    rows = connection.execute(
        sa.select(figure_definitions.c.body).order_by(
            figure_definitions.c.ordinal, figure_definitions.c.figure_id
        )
    ).scalars().all()
    key = "\n".join(rows)
    if key not in _cache:
        _cache.clear()
        index = FigureIndex(figures_from_dicts(json.loads(body) for body in rows))
        _cache[key] = index
        _by_hash[index.hash] = index
    return _cache[key]


def figures_by_hash(connection: Connection, definitions_hash: str) -> FigureIndex:
    """The definitions with this hash: from memory when seen before, else from the database."""
    index = _by_hash.get(definitions_hash)
    return index if index is not None else load_figures(connection)
