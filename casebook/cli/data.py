"""`casebook init`, `import`, `export`, `rebuild`, `summary` and `demo`: the database and its figures."""

from __future__ import annotations

import getpass
import io
import json
import os
import sys
from typing import IO, Any

import click
from flask import current_app

from casebook.cli.keys import wrap_stored_keys_now
from casebook.cli.params import YEAR_OPTION, quarter_option
from casebook.cli.protection import grant_separate_runtime_role
from casebook.database import engine, load_defaults, migrate, migration_engine
from casebook.services.access_log import log_access
from casebook.services.demo import demo_events
from casebook.services.import_file import ImportFile
from casebook.services.private_files import PrivateFile
from casebook.services.reads import scheme_names
from casebook.services.recording import record_lines
from casebook.settings import time_limits
from events.db import lock_for_append, reading, writing
from events.quarters import FinancialYear
from events.store import AppendReport, read_events
from projections.casework import casework_missing, refresh_all
from projections.catalogue import load_plans
from projections.presentation.render import summary_csv, summary_html
from projections.rebuild import needs_rebuild, rebuild
from projections.summary import build_summary

#: How many refused lines an import prints before summarising the rest.
SHOWN_ERRORS = 200


class _Refused(Exception):
    """Raised inside a transaction to roll it back after a refused import."""

    def __init__(self, report: AppendReport):
        super().__init__("import refused")
        self.report = report


@click.command("init")
def init_command() -> None:
    """Create or upgrade the database, load the default schemes, and adopt the default plans
    on a database with none (spec §8)."""
    # As the schema's owner (CASEBOOK_MIGRATION_DATABASE_URL), which may not be the app's role.
    migrate(migration_engine())
    added, adopted = load_defaults(migration_engine())
    plans = (f"{adopted} default plans adopted (2024/25 and 2025/26)" if adopted
             else "the plans stored are kept as they are")
    click.echo(f"Database ready. {added} default schemes added; {plans}.")
    if (role := grant_separate_runtime_role()) is not None:
        click.echo(f"Runtime role {role} granted its rights on every table.")
    with reading(migration_engine()) as connection:
        stale = needs_rebuild(connection)
    if stale:
        _rebuild_with_progress()
    else:
        _fill_casework()
    if wrapped := wrap_stored_keys_now():
        click.echo(f"{wrapped} keys wrapped with the key file (CASEBOOK_KEY_FILE).")


def _fill_casework() -> None:
    """Fill each case's rows where the database was upgraded to them with cases already logged."""
    with writing(migration_engine()) as connection:
        lock_for_append(connection)
        if filled := casework_missing(connection):
            refresh_all(connection)
    if filled:
        click.echo("Each case's status, owner and what is due worked out from its events.")


@click.command("import")
@click.argument("file", type=ImportFile())
@click.option("--as", "user", default=None, help="Who recorded events without recorded_by.")
def import_command(file: IO[str], user: str | None) -> None:
    """Import events from a JSON Lines FILE: all of it, or nothing if any line is bad."""
    size = _size_of(file)
    limit = current_app.config["MAX_IMPORT_BYTES"]
    if size is not None and size > limit:
        click.echo(f"The file is {size / 2**20:.1f} MB, larger than the {limit / 2**20:.1f} MB "
                   "casebook imports at once (CASEBOOK_MAX_IMPORT_MB). Nothing was imported: "
                   "split the file, or raise the limit.", err=True)
        sys.exit(1)
    try:
        report = _import(file, user, size)
    except UnicodeDecodeError:
        click.echo(f"{file.name} is not UTF-8 text: part of it cannot be read as UTF-8. Nothing "
                   "was imported: save the file as UTF-8 and import it again.", err=True)
        sys.exit(1)
    except _Refused as refused:
        _print_refusal(refused.report)
        sys.exit(1)
    click.echo(f"{report.written} written, {len(report.duplicates)} duplicates skipped, 0 rejected.")


def _import(file: IO[str], user: str | None, size: int | None) -> AppendReport:
    """Import every line of `file` in one transaction; `_Refused` (rolled back) if any is bad."""
    with writing(engine()) as connection, click.progressbar(
        length=size or 0, label="Checking and importing", file=sys.stderr, hidden=not size,
    ) as bar:
        report = record_lines(
            connection,
            file,
            default_recorded_by=user or getpass.getuser(),
            on_progress=bar.update,
            limits=time_limits(),
        )
        if report.errors:
            raise _Refused(report)
    return report


def _print_refusal(report: AppendReport) -> None:
    for error in report.errors[:SHOWN_ERRORS]:
        click.echo(str(error), err=True)
    lines = len({e.line for e in report.errors})
    if len(report.errors) > SHOWN_ERRORS:
        click.echo(f"... and {len(report.errors) - SHOWN_ERRORS} more.", err=True)
    click.echo(
        f"0 written, {len(report.duplicates)} duplicates, {lines} rejected: nothing was "
        "imported. Correct the lines above and import the file again.",
        err=True,
    )


@click.command("export")
@click.argument("file", type=PrivateFile())
def export_command(file: IO[str]) -> None:
    """Write every stored event, in the order stored, to a JSON Lines FILE (- for stdout)."""
    count = 0
    with reading(engine()) as connection:
        for event in read_events(connection):
            file.write(json.dumps(event.to_interchange(), ensure_ascii=False) + "\n")
            count += 1
    with writing(engine()) as connection:
        log_access(connection, getpass.getuser(), "export", f"{count} events to {file.name}")
    click.echo(f"{count} events exported.", err=True)


@click.command("rebuild")
def rebuild_command() -> None:
    """Rebuild every figure from the events (fresh tables, swapped in when complete)."""
    _rebuild_with_progress()


def _rebuild_with_progress() -> None:
    with click.progressbar(length=1, label="Rebuilding figures", file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        # A command-line process has no threads: it may fork workers to fold the log.
        # As the owner: a rebuild creates the new read models' tables and drops the old ones.
        number = rebuild(migration_engine(), on_progress=progress, workers=os.cpu_count() or 1)
    click.echo(f"Figures rebuilt (generation {number}).")


@click.command("summary")
@YEAR_OPTION
@quarter_option("the whole year if left out.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="json",
              show_default=True)
def summary_command(year: FinancialYear, quarter: int | None, fmt: str) -> None:
    """Print the figures for a financial year or quarter."""
    with reading(engine()) as connection:
        summary = build_summary(connection, year, quarter)
        # Schemes by name and plan-added values by label, as the stored summaries' files say them.
        words: dict[str, Any] = {"scheme_names": scheme_names(connection),
                                 "vocabulary": load_plans(connection).vocabulary}
    click.echo(render_summary(summary, fmt, **words), nl=fmt == "json")


def render_summary(summary: dict[str, Any], fmt: str, **words: Any) -> str:
    if fmt == "csv":
        return summary_csv(summary, **words)
    if fmt == "html":
        return summary_html(summary, **words)
    return json.dumps(summary, indent=2, ensure_ascii=False)


@click.command("demo")
@click.option("--seed", default=2024, show_default=True, help="Random seed: same seed, same events.")
def demo_command(seed: int) -> None:
    """Write a plausible synthetic two and a half years of events, for a first look."""
    lines = [json.dumps(line) for line in demo_events(seed)]
    with writing(engine()) as connection:
        report = record_lines(connection, lines, default_recorded_by="demo", limits=time_limits())
        if report.errors:
            raise click.ClickException(f"demo data refused: {report.errors[:3]}")
    click.echo(f"{report.written} demo events written, {len(report.duplicates)} already there.")


def _size_of(file: IO[str]) -> int | None:
    try:
        return os.fstat(file.fileno()).st_size
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None

