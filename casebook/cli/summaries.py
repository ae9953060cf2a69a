"""`casebook summaries …` and `casebook scheduler`: stored summaries from the command line."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from casebook.database import engine
from casebook.services.private_files import PrivateOutput
from casebook.web.figure_access import small_number_threshold
from events.db import reading
from events.quarters import BadPeriod, FinancialYear, Quarter, parse_occurred_at, utc_now
from projections.archive import by_hand, generate, get_summary, list_summaries
from projections.archive import previous_version as find_previous_version
from projections.catalogue import load_figures
from projections.due import last_ended_quarter, run_due
from projections.figures import Period
from projections.presentation.formats import FORMATS, render_stored
from projections.restatement import restatement
from projections.returns_due import missing_returns

summaries_group = AppGroup("summaries", help="Stored quarterly summaries and the annual review.")

def _parse_now(text: str | None) -> datetime:
    if text is None:
        return utc_now()
    try:
        return parse_occurred_at(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not an ISO timestamp: {error}") from error


def _period(year: str, quarter: str | None) -> Period:
    try:
        financial_year = FinancialYear.parse(year)
        if quarter is None:
            return financial_year
        return financial_year.quarter(int(quarter.strip().upper().removeprefix("Q")))
    except (BadPeriod, ValueError) as error:
        raise click.BadParameter(str(error)) from error


@summaries_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def list_command(fmt: str) -> None:
    """List every stored summary, newest period first."""
    with reading(engine()) as connection:
        stored = list_summaries(connection)
    if fmt == "json":
        click.echo(json.dumps([s.listing() for s in stored], indent=2))
        return
    if not stored:
        click.echo("No summaries stored yet.")
    for s in stored:
        click.echo(f"{s.id:>5}  {s.title:<22} v{s.version:<3} generated "
                   f"{s.generated_at:%Y-%m-%d %H:%M}Z  as of "
                   f"{s.as_of.isoformat() if s.as_of else '-'}  {s.reason}")


@summaries_group.command("generate")
@click.option("--year", required=True, help="Financial year, like 2024/25.")
@click.option("--quarter", default=None, help="Q1 to Q4; the year (annual review) if left out.")
@click.option("--as", "user", default=None, help="Who asked for it (default: this login).")
def generate_command(year: str, quarter: str | None, user: str | None) -> None:
    """Store a new version of a period's summary, by hand."""
    period = _period(year, quarter)
    stored = generate(engine(), period, by_hand(user or getpass.getuser()), only_if_missing=False)
    assert stored is not None
    click.echo(f"Generated {stored.title} version {stored.version} (id {stored.id}).")


@summaries_group.command("show")
@click.argument("summary_id", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--published", is_flag=True, help="Hide small numbers, for publication.")
@click.option("--threshold", type=click.IntRange(min=1), default=None,
              help="Counts below this are hidden when published (default: the setting).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
def show_command(summary_id: int, fmt: str, published: bool, threshold: int | None,
                 output: str | None) -> None:
    """Show a stored summary as JSON, CSV, printable HTML or an Excel workbook."""
    with reading(engine()) as connection:
        stored = get_summary(connection, summary_id)
        if stored is None:
            raise click.ClickException(f"There is no stored summary {summary_id}: "
                                       "see `casebook summaries list`.")
        restated = restatement(connection, stored, find_previous_version(connection, stored))
        figures = load_figures(connection).figures
    body = render_stored(stored, fmt, published=published, figures=figures,
                         threshold=threshold or small_number_threshold(), restated=restated)
    if output:
        with PrivateOutput(Path(output), binary=True) as file:
            file.write(body)
        click.echo(f"Written to {output}.", err=True)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()


@summaries_group.command("run-due")
@click.option("--now", default=None, help="Act as if it were this time (ISO timestamp).")
def run_due_command(now: str | None) -> None:
    """Generate every ended quarter's (and year's) summary not stored yet, and say which."""
    moment = _parse_now(now)
    generated = run_due(engine(), moment, earliest=current_app.config["EARLIEST_DATE"])
    for stored in generated:
        click.echo(f"Generated {stored.title} version {stored.version} (id {stored.id}).")
    click.echo(f"{len(generated)} summaries generated.")


@summaries_group.command("missing-returns")
@click.option("--now", default=None, help="Act as if it were this time (ISO timestamp).")
@click.option("--quarter", default=None, help="A quarter like '2024/25 Q3' instead.")
def missing_returns_command(now: str | None, quarter: str | None) -> None:
    """List the partner returns still missing for the last ended quarter."""
    try:
        wanted = Quarter.parse(quarter) if quarter else last_ended_quarter(_parse_now(now))
    except BadPeriod as error:
        raise click.BadParameter(str(error)) from error
    with reading(engine()) as connection:
        missing = missing_returns(connection, wanted)
    if not missing:
        click.echo(f"Every partner return for {wanted} is in.")
    for entry in missing:
        click.echo(f"{wanted}: {entry['scheme_name']} ({entry['lead']}) has not returned "
                   f"{entry['indicator']} for {entry['label']}.")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process: catch up, then generate each quarter's summary as it ends."""
    from casebook.scheduler import run_scheduler
    from casebook.services.retention import policy_from_config

    run_scheduler(engine(), say=lambda line: click.echo(line), retention=policy_from_config(),
                  earliest=current_app.config["EARLIEST_DATE"])
