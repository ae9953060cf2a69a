"""`casebook serve`: prepare the database, make sure someone can sign in, and serve the app."""

from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask import current_app
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from casebook.cli.data import demo_command, init_command
from casebook.database import engine
from casebook.models import User, reading_session
from casebook.roles import ADMIN
from casebook.services.accounts import create_user
from events.db import reading
from events.tables import events

FIRST_ADMIN = "admin"


def ensure_first_admin() -> str | None:
    """Create the first admin on an empty users table; returns its password, or None."""
    with reading_session() as db:
        if db.execute(sa.select(User.id).limit(1)).first() is not None:
            return None
    _, password = create_user(FIRST_ADMIN, ADMIN,
                              hash_method=current_app.config["PASSWORD_HASH_METHOD"])
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


@click.command("prepare")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where casebook will be served, for the sign-in address printed.")
@_DEMO_OPTION
@click.pass_context
def prepare_command(context: click.Context, url: str, demo: bool) -> None:
    """Everything `serve` does before serving: database, first admin, demo data."""
    prepare(context, demo=demo, url=url)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on; 0 for any free one (the one chosen is printed).")
@_DEMO_OPTION
@click.pass_context
def serve_command(context: click.Context, host: str, port: int, demo: bool) -> None:
    """Create or upgrade the database, then serve casebook with waitress."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Listening first: a port in use fails at once, and port 0 has its real number to print.
    server = create_server(app, host=host, port=port, ident="casebook")
    urls = listening_urls(server)
    try:
        prepare(context, demo=demo, url=urls[0])
    except BaseException:
        server.close()
        raise
    logging.basicConfig()  # as waitress.serve does: its warnings reach the terminal
    click.echo(f"Serving casebook at {' and '.join(urls)} (Ctrl+C to stop).")
    server.run()


def listening_urls(server: MultiSocketServer | BaseWSGIServer) -> list[str]:
    """Where `server` listens, with the ports it was given (port 0 means any free one)."""
    if isinstance(server, MultiSocketServer):
        addresses = [(host, str(port)) for host, port in server.effective_listen]
    else:
        addresses = [server.getsockname()]
    return [f"http://{f'[{host}]' if ':' in host else host}:{port}" for host, port in addresses]
