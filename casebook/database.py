"""The application's database: the engine, migrations and the default data `init` loads."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from casebook.services.private_files import private_folder
from events.clock import utc_now
from events.db import SQLiteTuning, make_engine, writing
from events.tables import schemes
from projections.adopt import adopt_default_plans

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"


def init_engine(app: Flask) -> None:
    """Create the app's engine from its DATABASE_URL (a SQLite file in the instance folder)."""
    url = app.config.get("DATABASE_URL") or (
        f"sqlite:///{Path(app.instance_path) / 'casebook.sqlite3'}"
    )
    app.config["DATABASE_URL"] = url
    if url.startswith("sqlite:///"):
        private_folder(Path(app.instance_path))
    app.extensions["casebook.engine"] = make_engine(url, sqlite=sqlite_tuning(app))


def sqlite_tuning(app: Flask) -> SQLiteTuning:
    """How the app's SQLite connections run (SQLITE_SYNCHRONOUS, SQLITE_CACHE_KIB)."""
    return SQLiteTuning(synchronous=str(app.config["SQLITE_SYNCHRONOUS"]).upper(),
                        cache_kib=int(app.config["SQLITE_CACHE_KIB"]))


def engine() -> Engine:
    """The current app's engine."""
    engine_: Engine = current_app.extensions["casebook.engine"]
    return engine_


def migration_engine() -> Engine:
    """The engine of the schema's owner (MIGRATION_DATABASE_URL), for migrations and rebuilds;
    the app's own engine where no other URL is set."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    if not url or url == current_app.config["DATABASE_URL"]:
        return engine()
    owner: Engine | None = current_app.extensions.get("casebook.migration_engine")
    if owner is None:
        # No pool: it serves a command or two, and leaves no connection open behind it.
        owner = make_engine(url, sqlite=sqlite_tuning(current_app), poolclass=NullPool)
        current_app.extensions["casebook.migration_engine"] = owner
    return owner


def migrate(engine_: Engine, revision: str = "head") -> None:
    """Bring the schema up to the newest migration (or up to `revision`)."""
    # Imported here, as in `migrations_config`: alembic is a tenth of every command's start-up.
    from alembic import command

    with writing(engine_) as connection:
        command.upgrade(migrations_config(connection), revision)


def migrations_config(connection: Connection) -> Config:
    """Alembic's configuration for casebook's migrations, run on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def default_schemes() -> list[dict[str, str]]:
    """The schemes `casebook init` adds (id, name, lead, priority, case prefix), from
    `events/schemes.toml`."""
    text = resources.files("events").joinpath("schemes.toml").read_text("utf-8")
    found: list[dict[str, str]] = tomllib.loads(text)["scheme"]
    return found


def load_default_schemes(connection: Connection) -> int:
    """Add the default schemes that are missing; returns how many were added."""
    existing = set(connection.execute(sa.select(schemes.c.scheme_id)).scalars())
    added = [
        {"scheme_id": s["id"], "name": s["name"], "lead": s["lead"], "priority": s["priority"],
         "case_prefix": s.get("case_prefix")}
        for s in default_schemes()
        if s["id"] not in existing
    ]
    if added:
        connection.execute(sa.insert(schemes), added)
    return len(added)


def load_defaults(engine_: Engine) -> tuple[int, int]:
    """Load the default schemes, and the default plans on a database with none (a stored plan
    is never touched again); (schemes added, plans adopted)."""
    with writing(engine_) as connection:
        added = load_default_schemes(connection)
        adopted = adopt_default_plans(connection, now=utc_now())
    return added, adopted
