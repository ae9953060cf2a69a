"""`casebook verify` and `casebook grant-runtime ROLE`: the log's integrity and its runtime role."""

from __future__ import annotations

import sys

import click
from flask import current_app

from casebook.database import engine, migration_engine
from casebook.services.grants import RoleRefused, grant_runtime, separate_runtime_role
from events.chain import verify
from events.db import writing


@click.command("verify")
def verify_command() -> None:
    """Check every event's link in the log's hash chain, in order; exit 1 at the first broken."""
    with click.progressbar(length=1, label="Checking the log", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        found = verify(engine(), on_progress=progress)
    if found.broken is not None:
        click.echo(f"{found} Restore the log from a backup taken before it was changed, or "
                   "compare it with an export to see what changed.", err=True)
        sys.exit(1)
    click.echo(str(found))


@click.command("grant-runtime")
@click.argument("role")
def grant_runtime_command(role: str) -> None:
    """Give ROLE what serving casebook needs on PostgreSQL, and no more (run as the owner)."""
    try:
        with writing(migration_engine()) as connection:
            statements = grant_runtime(connection, role)
    except RoleRefused as refused:
        click.echo(str(refused), err=True)
        sys.exit(1)
    click.echo(f"{role} may now serve casebook: read every table, add to the log, the voids, "
               f"the stored summaries and the access log, and change nothing in them "
               f"({len(statements)} statements).")


def grant_separate_runtime_role() -> str | None:
    """Re-grant the runtime role where the app connects as another role than its migrations
    (after an upgrade, so that any new table has the runtime role's rights); the role, if any."""
    role = separate_runtime_role(current_app.config["DATABASE_URL"],
                                 current_app.config.get("MIGRATION_DATABASE_URL"))
    if role is not None:
        with writing(migration_engine()) as connection:
            grant_runtime(connection, role)
    return role
