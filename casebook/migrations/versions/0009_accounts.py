"""People's own passwords and two-step sign-in.

`users` gains whether the password must be changed at the next sign-in (one an administrator
gave), the sealed TOTP secret, when it was confirmed, and the last time step used (so a code is
accepted once). `recovery_codes` holds the hashes of each user's single-use recovery codes, and
`two_step_roles` the roles an administrator requires two-step sign-in of.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The roles the users table allows (0002), frozen here as that migration wrote them.
ROLE_CHECK = "role IN ('admin', 'officer', 'partner', 'viewer')"
USER_COLUMNS = ("must_change_password", "totp_secret", "totp_confirmed_at", "totp_last_step")


def upgrade() -> None:
    op.add_column("users", sa.Column("must_change_password", sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", sa.Column("totp_secret", sa.LargeBinary))
    op.add_column("users", sa.Column("totp_confirmed_at", UTCDateTime))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        # SHA-256 of the code: each is random enough that a copy of the table opens nothing.
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_table(
        "two_step_roles",
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("required_at", UTCDateTime, nullable=False),
        sa.Column("required_by", sa.String(128), nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name="ck_two_step_roles_role"),
    )


def downgrade() -> None:
    op.drop_table("two_step_roles")
    op.drop_table("recovery_codes")
    # SQLite (3.35 and later) drops a column in place, as PostgreSQL does.
    for column in reversed(USER_COLUMNS):
        op.drop_column("users", column)
