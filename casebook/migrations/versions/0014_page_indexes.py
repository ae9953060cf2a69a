"""Indexes the event log, the API's event list and its exports page by: each filter's column
followed by the position, so a filtered page is a seek and a short walk, never the whole log.
The type and date indexes replace the single-column ones of 0001, which they serve as well:
every append writes no more indexes than before but one.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: Name and columns, as `events.tables` declares them.
INDEXES = {
    "ix_events_scheme_position": ["scheme", "position"],
    "ix_events_type_position": ["type", "position"],
    "ix_events_recorded_by_position": ["recorded_by", "position"],
    "ix_events_local_date_position": ["local_date", "position"],
}


#: The indexes of 0001 that a composite above begins with, and so replaces.
REPLACED = {"ix_events_type": ["type"], "ix_events_local_date": ["local_date"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "events", columns)
    for name in REPLACED:
        op.drop_index(name, table_name="events")


def downgrade() -> None:
    for name, columns in REPLACED.items():
        op.create_index(name, "events", columns)
    for name in INDEXES:
        op.drop_index(name, table_name="events")
