"""The store's table definitions in code match the tables the migrations create."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.tables import metadata
from projections.tables import state_metadata


def test_every_table_the_code_declares_has_the_same_columns_in_the_migrated_database(
    engine: Engine,
) -> None:
    inspector = sa.inspect(engine)
    for table in [*metadata.sorted_tables, *state_metadata.sorted_tables]:
        migrated = {column["name"]: column for column in inspector.get_columns(table.name)}
        assert set(migrated) == {column.name for column in table.columns}, table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)
