"""PostgreSQL roles: the owner migrates and rebuilds; the runtime role serves with what that needs.

The owner of a table can disable or drop its triggers, so the role casebook serves with must
not own the schema. It gets: reading every table; adding rows to the log, the voids, the stored
summaries, the access log and the messages sent, and nothing more on them; reading, adding, changing and removing
rows of the other tables (cases, subject keys, users, sessions, the read models' upserts); the
sequences. Never TRUNCATE, REFERENCES or TRIGGER, and no ownership: no ALTER, DROP or CREATE
TRIGGER. The owner's default privileges give the runtime role the same on tables the owner
creates later (a rebuild's new read models, a migration's new table).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: Rows nobody changes once written: the runtime role reads and adds them.
APPEND_ONLY = ("events", "event_voids", "stored_summaries", "access_log", "plans", "messages",
               "message_attempts")
#: Written only by `casebook init`, as the owner: the runtime role reads them.
READ_ONLY = ("alembic_version",)


class RoleRefused(Exception):
    """The role named cannot be made the runtime role: the message says why and what to do."""


def grant_runtime(connection: Connection, role: str) -> list[str]:
    """Give `role` the runtime rights on the current schema (run as its owner); the statements."""
    if connection.dialect.name != "postgresql":
        raise RoleRefused("Roles are a PostgreSQL matter: a SQLite database is protected by "
                          "its file's permissions. Nothing was granted.")
    exists = connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if exists.first() is None:
        raise RoleRefused(f"There is no role {role!r}: create it first, as a superuser "
                          f"(CREATE ROLE {role} LOGIN PASSWORD '...'), then grant again.")
    owner, schema = connection.execute(sa.text("SELECT current_user, current_schema()")).one()
    if role == owner:
        raise RoleRefused(f"{role!r} is the role this command runs as, the schema's owner: the "
                          "runtime role must be another one. Nothing was granted.")
    statements = runtime_grants(connection, role, schema)
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements


def runtime_grants(connection: Connection, role: str, schema: str) -> list[str]:
    """The GRANT and REVOKE statements that make `role` the runtime role of `schema`."""
    quote = connection.dialect.identifier_preparer.quote
    who, where = quote(role), quote(schema)
    tables = set(sa.inspect(connection).get_table_names(schema=schema))
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
    ]
    statements += [f"REVOKE UPDATE, DELETE ON {where}.{quote(t)} FROM {who}"
                   for t in APPEND_ONLY if t in tables]
    statements += [f"REVOKE INSERT, UPDATE, DELETE ON {where}.{quote(t)} FROM {who}"
                   for t in READ_ONLY if t in tables]
    return statements


def separate_runtime_role(runtime_url: str, migration_url: str | None) -> str | None:
    """The runtime role where the app and its migrations connect as different PostgreSQL roles."""
    if not migration_url:
        return None
    runtime, owner = sa.make_url(runtime_url), sa.make_url(migration_url)
    if runtime.get_backend_name() != "postgresql" or not runtime.username:
        return None
    return runtime.username if runtime.username != owner.username else None
