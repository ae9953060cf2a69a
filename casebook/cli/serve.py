"""`casebook serve`: prepare the database, make sure someone can sign in, and serve the app."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app

from casebook.cli.data import casebook_group, demo_command, init_command
from casebook.database import engine
from casebook.models import User, reading_session
from casebook.services.accounts import create_user
from events.db import reading
from events.tables import events

FIRST_ADMIN = "admin"


def ensure_first_admin() -> str | None:
    """Create the first admin on an empty users table; returns its password, or None."""
    with reading_session() as db:
        if db.execute(sa.select(User.id).limit(1)).first() is not None:
            return None
    _, password = create_user(FIRST_ADMIN, "admin")
    return password


def event_log_is_empty() -> bool:
    """Whether no event has been stored yet."""
    with reading(engine()) as connection:
        return connection.execute(sa.select(events.c.position).limit(1)).first() is None


def prepare(context: click.Context, *, demo: bool, url: str) -> None:
    """Create or upgrade the database, a first admin (printed) and, on an empty log, demo data."""
    context.invoke(init_command)
    password = ensure_first_admin()
    if demo and event_log_is_empty():
        context.invoke(demo_command)
    if password:
        banner = "=" * 64
        click.echo(f"\n{banner}\n  First administrator created. Sign in at {url}/sign-in\n"
                   f"    username: {FIRST_ADMIN}\n    password: {password}\n"
                   f"  Write the password down: it is not shown again.\n{banner}\n")


_DEMO_OPTION = click.option("--demo/--no-demo", default=True, show_default=True,
                            help="Write the demo events when the event log is empty.")


@casebook_group.command("prepare")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where casebook will be served, for the sign-in address printed.")
@_DEMO_OPTION
@click.pass_context
def prepare_command(context: click.Context, url: str, demo: bool) -> None:
    """Everything `serve` does before serving: database, first admin, demo data."""
    prepare(context, demo=demo, url=url)


@casebook_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_DEMO_OPTION
@click.pass_context
def serve_command(context: click.Context, host: str, port: int, demo: bool) -> None:
    """Create or upgrade the database, then serve casebook with waitress."""
    from waitress import serve

    url = f"http://{host}:{port}"
    prepare(context, demo=demo, url=url)
    click.echo(f"Serving casebook at {url} (Ctrl+C to stop).")
    serve(current_app._get_current_object(), host=host, port=port,  # type: ignore[attr-defined]
          ident="casebook")
