"""Stored quarterly summaries, partner-return reminders and the scheduler's job store.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_IMMUTABLE = "stored summaries are immutable: generate a new version instead"


def upgrade() -> None:
    op.create_table(
        "stored_summaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("quarter", sa.String(4), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("generated_at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("as_of", UTCDateTime),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("year", "quarter", "version", name="uq_stored_summaries_version"),
    )
    op.create_table(
        "return_reminders",
        sa.Column("quarter", sa.String(10), primary_key=True),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("missing", sa.Text, nullable=False),
    )
    # The job store's own layout (apscheduler.jobstores.sqlalchemy), made here so that the
    # scheduler never needs to create tables itself.
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION stored_summaries_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_IMMUTABLE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER stored_summaries_immutable BEFORE UPDATE OR DELETE ON "
            "stored_summaries FOR EACH ROW EXECUTE FUNCTION stored_summaries_immutable()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER stored_summaries_no_{action.lower()} BEFORE {action} ON "
                f"stored_summaries BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stored_summaries_immutable ON stored_summaries")
        op.execute("DROP FUNCTION stored_summaries_immutable()")
    for table in ("apscheduler_jobs", "return_reminders", "stored_summaries"):
        op.drop_table(table)
