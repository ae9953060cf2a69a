"""Messages casebook sends: each one recorded with its result.

`messages` holds what was queued (for whom, subject, kind, body, when) and `message_attempts`
each try at sending it (when, to which address, the result in words). Both are append-only: a
retry is a new attempt, never an update, so the record of what was sent cannot be rewritten.
`users.email` is where a user's messages go.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: The tables whose rows nobody changes or removes once written, with what would make an
#: insert land on a stored row.
APPEND_ONLY = {
    "messages": "id = NEW.id OR key = NEW.key",
    "message_attempts": "id = NEW.id OR (message_id = NEW.message_id AND number = NEW.number)",
}


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(254)))
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("recipient", sa.String(128), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("queued_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "message_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False,
                  index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("address", sa.String(254)),
        sa.Column("result", sa.String(500), nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.UniqueConstraint("message_id", "number", name="uq_message_attempts"),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        # casebook_refuse_change() is migration 0004's.
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_change()"
            )
        return
    for table, clash in APPEND_ONLY.items():
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )
        # INSERT OR REPLACE would remove a stored row without a DELETE trigger firing.
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN EXISTS (SELECT 1 "
            f"FROM {table} WHERE {clash}) BEGIN SELECT RAISE(ABORT, '{table} is "
            "append-only: an insert over a stored row refused'); END"
        )


def downgrade() -> None:
    # Dropping a table drops its triggers on both databases.
    op.drop_table("message_attempts")
    op.drop_table("messages")
    op.drop_column("users", "email")
