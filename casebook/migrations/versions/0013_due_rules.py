"""Each scheme's rules for what falls due on its cases: `schemes.due_rules`.

JSON of the settings a scheme changed from the defaults (`projections.due_items.DueRules`);
NULL, as every scheme starts, follows the defaults.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schemes", sa.Column("due_rules", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("schemes") as batch:
        batch.drop_column("due_rules")
