"""Data protection: append-only triggers, subject keys, retention, audit.

Revision ID: 0004
Revises: 0003
"""

import os

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Tables that hold the log itself: nothing may change or remove a row once written.
APPEND_ONLY = ("events", "event_voids")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION casebook_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.add_column("events", sa.Column("key_id", sa.String(36)))
    op.create_index("ix_events_key_id", "events", ["key_id"])
    op.create_table(
        "subject_keys",
        sa.Column("key_id", sa.String(36), primary_key=True),
        # "subject" for a person's key, "case" for the free text of a case with no subject.
        sa.Column("kind", sa.String(8), nullable=False),
        # A keyed hash of the subject reference, so the reference itself is never stored.
        sa.Column("lookup", sa.String(64), unique=True),
        sa.Column("key", sa.LargeBinary),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("erased_at", UTCDateTime),
    )
    op.create_table(
        "case_subjects",
        sa.Column("case_ref", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("linked_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_case_subjects_key_id", "case_subjects", ["key_id"])
    secret = op.create_table(
        "subject_key_secret",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
    )
    op.bulk_insert(secret, [{"id": 1, "secret": os.urandom(32)}])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("address", sa.String(64)),
    )
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
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
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS casebook_refuse_change()")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    for table in ("access_log", "subject_key_secret", "case_subjects", "subject_keys"):
        op.drop_table(table)
    op.drop_index("ix_events_key_id", "events")
    op.drop_column("events", "key_id")
