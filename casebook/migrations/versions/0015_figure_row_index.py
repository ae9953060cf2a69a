"""Indexes a figure's drill-down pages by: the scheme, quarter and type, followed by the position,
so a page of a figure's events is a merge of one ordered walk per quarter and type that stops
after the page, never a sort of the whole year. It replaces the (scheme, period) index of 0001,
which it serves as well: every append writes no more indexes than before.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = "ix_events_scheme_period_type_position"
#: As `events.tables` declares it.
COLUMNS = ["scheme", "period", "type", "position"]
REPLACED = ("ix_events_scheme_period", ["scheme", "period"])


def upgrade() -> None:
    op.create_index(NAME, "events", COLUMNS)
    op.drop_index(REPLACED[0], table_name="events")


def downgrade() -> None:
    op.create_index(REPLACED[0], "events", REPLACED[1])
    op.drop_index(NAME, table_name="events")
