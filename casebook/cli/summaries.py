"""`casebook summaries …` and `casebook scheduler`: stored summaries from the command line."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app

from casebook.cli.params import FINANCIAL_YEAR, MOMENT, YEAR_OPTION, period_of, quarter_option
from casebook.cli.retention import retention_policy
from casebook.database import engine
from casebook.scheduler import run_scheduler
from casebook.services.private_files import PrivateOutput
from casebook.services.reads import scheme_names
from events.clock import utc_now
from events.db import reading
from events.quarters import FinancialYear
from projections.archive import PeriodNotBegun, by_hand, generate, get_summary, list_summaries
from projections.archive import previous_version as find_previous_version
from projections.catalogue import figures_of_year, load_plans
from projections.due import last_ended_quarter, run_due
from projections.presentation.formats import FORMATS, render_stored
from projections.presentation.text import local_day
from projections.restatement import restatement
from projections.returns_due import missing_returns
from projections.summary import last_day

_NOW_OPTION = click.option("--now", type=MOMENT, default=None,
                           help="Act as if it were this time (ISO timestamp).")


@click.group("summaries")
def summaries_group() -> None:
    """Stored quarterly summaries and the annual review."""


@summaries_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def list_command(fmt: str) -> None:
    """List every stored summary, newest period first; `final: false` marks a provisional one.

    A summary generated before its period ended is provisional: it never stands for the period,
    and the scheduler still generates the first final version once the period is over.
    """
    with reading(engine()) as connection:
        stored = list_summaries(connection)
    if fmt == "json":
        click.echo(json.dumps([s.listing() for s in stored], indent=2))
        return
    if not stored:
        click.echo("No summaries stored yet.")
    for s in stored:
        click.echo(f"{s.id:>5}  {s.title:<22} v{s.version:<3} final: {str(s.final).lower():<5}  "
                   f"generated {s.generated_at:%Y-%m-%d %H:%M}Z  as of "
                   f"{s.as_of.isoformat() if s.as_of else '-'}  {s.reason}")


@summaries_group.command("generate")
@YEAR_OPTION
@quarter_option("the year (annual review) if left out.")
@click.option("--as", "user", default=None, help="Who asked for it (default: this login).")
@_NOW_OPTION
def generate_command(year: FinancialYear, quarter: int | None, user: str | None,
                     now: datetime | None) -> None:
    """Store a new version of a period's summary, by hand.

    Before the period has ended the version is provisional: figures so far, never the period's
    summary; the final version is generated after the period ends.
    """
    period = period_of(year, quarter)
    try:
        stored = generate(engine(), period, by_hand(user or getpass.getuser()),
                          only_if_missing=False, now=now or utc_now())
    except PeriodNotBegun as error:
        raise click.ClickException(str(error)) from error
    assert stored is not None
    click.echo(f"Generated {stored.title} version {stored.version} (id {stored.id}).")
    if stored.provisional:
        click.echo(f"It is provisional: {period} had not ended. The final version is generated "
                   f"after {local_day(last_day(period))}.")


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
        figures = figures_of_year(connection, stored.year)
        names = scheme_names(connection)
        vocabulary = load_plans(connection).vocabulary
    body = render_stored(stored, fmt, published=published, figures=figures,
                         threshold=threshold or current_app.config["SMALL_NUMBER_THRESHOLD"],
                         restated=restated, vocabulary=vocabulary, scheme_names=names)
    if output:
        with PrivateOutput(Path(output), binary=True) as file:
            file.write(body)
        click.echo(f"Written to {output}.", err=True)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()


@summaries_group.command("run-due")
@_NOW_OPTION
def run_due_command(now: datetime | None) -> None:
    """Generate every ended quarter's (and year's) summary with no final version yet, and say which."""
    generated = run_due(engine(), now or utc_now(), earliest=current_app.config["EARLIEST_DATE"])
    for stored in generated:
        click.echo(f"Generated {stored.title} version {stored.version} (id {stored.id}).")
    click.echo(f"{len(generated)} summaries generated.")


@summaries_group.command("missing-returns")
@_NOW_OPTION
@click.option("--year", type=FINANCIAL_YEAR, default=None, help="With --quarter: a financial year, like 2024/25.")
@quarter_option("with --year, that quarter instead of the last ended one.")
def missing_returns_command(now: datetime | None, year: FinancialYear | None, quarter: int | None) -> None:
    """List the partner returns still missing for the last ended quarter, or the one named."""
    if year is not None and quarter is not None:
        wanted = year.quarter(quarter)
    elif year is None and quarter is None:
        wanted = last_ended_quarter(now or utc_now())
    else:
        raise click.UsageError("Name a quarter with both --year and --quarter, or neither.")
    with reading(engine()) as connection:
        missing = missing_returns(connection, wanted)
    if not missing:
        click.echo(f"Every partner return for {wanted} is in.")
    for entry in missing:
        click.echo(f"{wanted}: {entry['scheme_name']} ({entry['lead']}) has not returned "
                   f"{entry['indicator']} for {entry['label']}.")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler process: catch up, then generate each quarter's summary as it ends."""
    run_scheduler(engine(), say=lambda line: click.echo(line), retention=retention_policy(),
                  earliest=current_app.config["EARLIEST_DATE"])
