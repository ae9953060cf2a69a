"""Migration 0009 (accounts) adds the two-step tables and user columns, keeps users, and undoes."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command

from casebook.database import migrate, migrations_config
from events.db import make_engine, reading, writing

NEW_COLUMNS = {"must_change_password", "totp_secret", "totp_confirmed_at", "totp_last_step"}


def _user_columns(engine: sa.Engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("users")}


def test_0009_up_and_down_keeps_users_on_both_databases(
        new_database_url: Callable[..., str], backend: str) -> None:
    engine = make_engine(new_database_url(empty=True))
    try:
        with writing(engine) as connection:
            command.upgrade(migrations_config(connection), "0008")
            connection.execute(sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at, "
                "failed_logins) VALUES ('kept', 'x', 'officer', :yes, :at, 0)"),
                {"yes": True, "at": "2026-01-05 10:00:00"})
        migrate(engine)
        assert NEW_COLUMNS <= _user_columns(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert {"recovery_codes", "two_step_roles"} <= tables
        with reading(engine) as connection:
            # A user from before was never given a password to change.
            assert connection.execute(sa.text(
                "SELECT username, must_change_password FROM users")).one() == ("kept", False)
        with writing(engine) as connection:
            connection.execute(sa.text(
                "INSERT INTO two_step_roles (role, required_at, required_by) "
                "VALUES ('officer', :at, 'admin')"), {"at": "2026-01-05 10:00:00"})
        refused = False
        try:
            with writing(engine) as connection:
                connection.execute(sa.text(
                    "INSERT INTO two_step_roles (role, required_at, required_by) "
                    "VALUES ('wizard', :at, 'admin')"), {"at": "2026-01-05 10:00:00"})
        except sa.exc.IntegrityError:
            refused = True
        assert refused, "only the known roles can be required"

        with writing(engine) as connection:
            command.downgrade(migrations_config(connection), "0008")
        assert not NEW_COLUMNS & _user_columns(engine)
        assert not {"recovery_codes", "two_step_roles"} & set(sa.inspect(engine).get_table_names())
        with reading(engine) as connection:
            assert connection.execute(sa.text("SELECT username FROM users")).scalars().all() == [
                "kept"]
        migrate(engine)
        assert NEW_COLUMNS <= _user_columns(engine)
    finally:
        engine.dispose()
