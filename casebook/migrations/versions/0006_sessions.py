"""Server-side sign-in sessions, so that a session can be revoked.

A signed cookie alone cannot be taken back: a copy of it works until it expires. Each sign-in
now stores a row keyed by the hash of a random session id that the cookie carries; signing out,
changing or resetting a password and disabling an account delete the user's rows.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        # SHA-256 of the session id in the cookie: a copy of the table signs no one in.
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sessions")
