"""`casebook retention run`: erase personal data kept past each scheme's retention period."""

from __future__ import annotations

import getpass
import json
from datetime import datetime

import click
from flask import current_app

from casebook.cli.params import MOMENT
from casebook.database import engine
from casebook.services.retention import RetentionPolicy, RetentionReport, run_retention
from events.clock import utc_now


def retention_policy() -> RetentionPolicy:
    """The retention policy in the app's settings (RETENTION_YEARS, RETENTION_BY_SCHEME)."""
    config = current_app.config
    return RetentionPolicy(int(config["RETENTION_YEARS"]), dict(config["RETENTION_BY_SCHEME"] or {}))


@click.group("retention")
def retention_group() -> None:
    """Erase personal data kept past each scheme's retention period."""


@retention_group.command("run")
@click.option("--now", type=MOMENT, default=None, help="Run as at this ISO date or time (default: now).")
@click.option("--dry-run", is_flag=True, help="Report what would be erased; erase nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def retention_run_command(now: datetime | None, dry_run: bool, fmt: str) -> None:
    """Erase the subjects of cases closed longer ago than their scheme's retention period."""
    policy = retention_policy()
    report = run_retention(engine(), policy, now=now or utc_now(),
                           erased_by=f"retention ({getpass.getuser()})", dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps({**report.as_dict(), "dry_run": dry_run}, indent=2))
    else:
        _print_report(report, policy, dry_run)


def _print_report(report: RetentionReport, policy: RetentionPolicy, dry_run: bool) -> None:
    verb = "would be erased" if dry_run else "erased"
    click.echo(f"Retention as at {report.now.isoformat()} (default {policy.default_years} years"
               + "".join(f", {s} {y}" for s, y in sorted(policy.by_scheme.items())) + ").")
    click.echo(f"{report.closed_cases} closed cases; {len(report.expired)} past retention.")
    for case in report.expired:
        click.echo(f"  {case.case_ref} ({case.scheme}): closed {case.closed_on}, "
                   f"kept until {case.erase_after}")
    click.echo(f"{len(report.erased)} subject keys {verb}.")
    for key_id, cases in report.erased.items():
        click.echo(f"  {key_id}: {', '.join(cases)}")
    if report.kept:
        click.echo(f"{len(report.kept)} subject keys kept: they are linked to cases still held.")
        for key_id, cases in report.kept.items():
            click.echo(f"  {key_id}: still held for {', '.join(cases)}")
