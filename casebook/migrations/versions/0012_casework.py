"""Casework read models: `case_index` (each case's status and owner) and `case_due` (what is due).

Both are derived from the log and recomputed by `casebook rebuild`; `casebook init` fills them
for a database that has events (`projections.casework`).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_index",
        sa.Column("case_ref", sa.String(64), primary_key=True),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(128)),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("last_occurred_at", UTCDateTime, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_case_index_scheme_status_last", "case_index",
                    ["scheme", "status", "last_occurred_at"])
    op.create_index("ix_case_index_owner_status_last", "case_index",
                    ["owner", "status", "last_occurred_at"])
    op.create_index("ix_case_index_last", "case_index", ["last_occurred_at"])
    op.create_table(
        "case_due",
        sa.Column("case_ref", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("because", sa.String(36), primary_key=True),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_case_due_scheme_due", "case_due", ["scheme", "due_on"])
    op.create_index("ix_case_due_due", "case_due", ["due_on"])


def downgrade() -> None:
    op.drop_table("case_due")
    op.drop_table("case_index")
