"""Tamper evidence: the log's hash chain; no insert may rewrite a stored row of a protected table.

Every event row gets `chain` (see events.chain), filled here for the rows already stored. The
four tables whose rows never change (events, event_voids, stored_summaries, access_log) refuse
UPDATE and DELETE on both databases and TRUNCATE on PostgreSQL. On SQLite, `INSERT OR REPLACE`
removes a conflicting row without firing its DELETE trigger unless the connection turned on
`recursive_triggers` (casebook's connections do, events.db). For other connections (the sqlite3
shell) a BEFORE INSERT trigger refuses a row that meets a stored row's key, on every protected
table but events: on these machines any BEFORE INSERT trigger on events, even one that checks
nothing, doubled SQLite's cost of inserting a row, a large part of an import. A row of events
replaced that way breaks the chain, and `casebook verify` names it. On PostgreSQL every insert
into events takes the append lock (events.db.APPEND_LOCK_KEY), so positions become visible in
order even for a writer that does not go through casebook's store.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from events.chain import link
from events.db import APPEND_LOCK_KEY
from events.tables import events

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Each guarded table's keys: a row that meets a stored row on any of them is refused.
GUARDED = {
    "event_voids": (("target_id",), ("void_id",)),
    "stored_summaries": (("id",), ("year", "quarter", "version")),
    "access_log": (("id",),),
}
#: Rows filled at a time.
_PAGE = 5000

_PG_IN_ORDER = f"""
CREATE OR REPLACE FUNCTION casebook_append_in_order() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({APPEND_LOCK_KEY});
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
#: As migration 0004 made it: put back after the chain is filled in.
_SQLITE_NO_UPDATE = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE refused'); END"
)


def upgrade() -> None:
    op.add_column("events", sa.Column("chain", sa.String(64)))
    _fill_chain()
    if op.get_context().dialect.name == "postgresql":
        _protect_on_postgresql()
    else:
        _protect_on_sqlite()


def _fill_chain() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    # The chain is written once per row here, the only UPDATE the log ever sees.
    if postgresql:
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    else:
        op.execute("DROP TRIGGER events_no_update")
    columns = [events.c[name] for name in (
        "position", "event_id", "type", "version", "scheme", "case_ref", "stream_version",
        "occurred_at", "local_date", "period", "recorded_at", "recorded_by", "data", "key_id")]
    update = sa.text("UPDATE events SET chain = :chain WHERE position = :position")
    after, previous = 0, None
    while rows := connection.execute(
        sa.select(*columns).where(events.c.position > after).order_by(events.c.position)
        .limit(_PAGE)
    ).all():
        chains = []
        for row in rows:
            previous = link(previous, row.position, row._mapping)
            chains.append({"chain": previous, "position": row.position})
        connection.execute(update, chains)
        after = rows[-1].position
    if postgresql:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    else:
        op.execute(_SQLITE_NO_UPDATE)


def _protect_on_postgresql() -> None:
    # casebook_refuse_change() is migration 0004's; stored_summaries_immutable() is 0003's.
    op.execute(
        "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER stored_summaries_no_truncate BEFORE TRUNCATE ON stored_summaries "
        "FOR EACH STATEMENT EXECUTE FUNCTION stored_summaries_immutable()"
    )
    op.execute(_PG_IN_ORDER)
    op.execute(
        "CREATE TRIGGER events_in_order BEFORE INSERT ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION casebook_append_in_order()"
    )


def _protect_on_sqlite() -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER access_log_no_{action.lower()} BEFORE {action} ON access_log "
            f"BEGIN SELECT RAISE(ABORT, 'access_log is append-only: {action} refused'); END"
        )
    for table, keys in GUARDED.items():
        meets = " OR ".join(
            f"EXISTS (SELECT 1 FROM {table} WHERE "
            + " AND ".join(f"{column} = NEW.{column}" for column in key) + ")"
            for key in keys
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {meets} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: an insert over a stored row "
            "refused'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_in_order ON events")
        op.execute("DROP FUNCTION casebook_append_in_order()")
        op.execute("DROP TRIGGER stored_summaries_no_truncate ON stored_summaries")
        op.execute("DROP TRIGGER access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER access_log_append_only ON access_log")
    else:
        for table in GUARDED:
            op.execute(f"DROP TRIGGER {table}_no_replace")
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER access_log_no_{action}")
    # Plain SQL: SQLite has dropped columns itself since 3.35, no table copy needed.
    op.execute("ALTER TABLE events DROP COLUMN chain")
