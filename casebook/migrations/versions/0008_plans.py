"""The partnership's plans (spec §8): each adoption a new version of a year's plan, never changed.

`plans` replaces `figure_definitions`, which held the one set of figures `casebook init` rewrote
on every run; `init` now adopts the default plans on a database with none. The read models are
rebuilt by `init` afterwards (their figures are now keyed by plan), so nothing is copied over.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("digest", sa.String(16), nullable=False),
        sa.Column("adopted_at", UTCDateTime, nullable=False),
        sa.Column("adopted_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    if op.get_context().dialect.name == "postgresql":
        # casebook_refuse_change() is migration 0004's.
        op.execute(
            "CREATE TRIGGER plans_append_only BEFORE UPDATE OR DELETE ON plans "
            "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER plans_no_truncate BEFORE TRUNCATE ON plans "
            "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER plans_no_{action.lower()} BEFORE {action} ON plans "
                f"BEGIN SELECT RAISE(ABORT, 'plans is append-only: {action} refused'); END"
            )
        op.execute(
            "CREATE TRIGGER plans_no_replace BEFORE INSERT ON plans WHEN EXISTS (SELECT 1 FROM "
            "plans WHERE year = NEW.year AND version = NEW.version) BEGIN SELECT RAISE(ABORT, "
            "'plans is append-only: an insert over a stored row refused'); END"
        )
    op.drop_table("figure_definitions")


def downgrade() -> None:
    op.create_table(
        "figure_definitions",
        sa.Column("figure_id", sa.String(64), primary_key=True),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.drop_table("plans")
