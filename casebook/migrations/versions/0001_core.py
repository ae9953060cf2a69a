"""The event log, the store's indexes, schemes, figure definitions and projection state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from events.tables import Position, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.SmallInteger, nullable=False),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("case_ref", sa.String(64)),
        sa.Column("stream_version", sa.Integer),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("case_ref", "stream_version", name="uq_events_case_stream_version"),
    )
    op.create_index("ix_events_scheme_period", "events", ["scheme", "period"])
    op.create_index("ix_events_local_date", "events", ["local_date"])
    op.create_table(
        "event_voids",
        sa.Column("target_id", sa.String(36), primary_key=True),
        sa.Column("void_id", sa.String(36), nullable=False, unique=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("case_ref", sa.String(64), primary_key=True),
        sa.Column("scheme", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("last_occurred_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "schemes",
        sa.Column("scheme_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lead", sa.String(200), nullable=False),
        sa.Column("priority", sa.String(200), nullable=False),
        sa.Column("retired_at", UTCDateTime),
    )
    op.create_table(
        "projection_state",
        sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("definitions_hash", sa.String(32), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_table(
        "figure_definitions",
        sa.Column("figure_id", sa.String(64), primary_key=True),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("figure_definitions", "projection_state", "schemes", "cases", "event_voids", "events"):
        op.drop_table(table)
