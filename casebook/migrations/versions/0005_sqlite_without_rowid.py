"""SQLite: the store's keyed tables are stored in their primary key's order (WITHOUT ROWID).

An ordinary SQLite table is a b-tree on a hidden row id, and its primary key is a second b-tree
beside it: a new case, subject key or case link wrote one page for the row and one more for its
key, on top of any other index. Every page an append changes is a page its commit writes and
syncs, and the commit is most of an append's time. Stored WITHOUT ROWID, the row lives in its
key's b-tree. PostgreSQL has no row ids of this kind: nothing changes there.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Tables whose primary key is text (no integer row id to share) and whose rows are small.
TABLES = ("cases", "case_subjects", "subject_keys")


def upgrade() -> None:
    _recreate(with_rowid=False)


def downgrade() -> None:
    _recreate(with_rowid=True)


def _recreate(*, with_rowid: bool) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in TABLES:
        # Batch mode copies the rows into a new table made with these options, indexes and all.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
        ):
            pass
