"""`casebook plan show|check|adopt|history`: the partnership's plan per year (spec §8)."""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import replace
from typing import Any

import click

from casebook.cli.params import FINANCIAL_YEAR
from casebook.database import engine
from casebook.services import reads
from events.clock import utc_now
from events.db import reading, writing
from events.quarters import FinancialYear
from projections.adopt import adopt
from projections.archive import list_summaries
from projections.catalogue import Adopted, NoPlan, Plans, history, load_plans, plan_version
from projections.definitions import Figure
from projections.figures import FigureValue, Period
from projections.plan import Plan, figure_entry, to_toml
from projections.plan_check import Reading, read_plan_text
from projections.plan_diff import FigureChange, PlanChanges, plan_changes
from projections.presentation.text import format_value
from projections.preview import preview_values

FORMATS = click.Choice(["toml", "json"])


@click.group("plan")
def plan_group() -> None:
    """Show, check, adopt and list the partnership's plans (priorities, figures, vocabulary)."""


@plan_group.command("show")
@click.option("--year", "year", type=FINANCIAL_YEAR, required=True,
              help="The financial year, like 2025/26: its plan in force is shown.")
@click.option("--format", "fmt", type=FORMATS, default="toml", show_default=True)
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="An earlier version of that plan (see `casebook plan history`).")
def show_command(year: FinancialYear, fmt: str, version: int | None) -> None:
    """Print the plan in force for a year, as the plan file `plan adopt` reads."""
    with reading(engine()) as connection:
        adopted = _in_force(load_plans(connection), year)
        if version is not None:
            found = plan_version(connection, adopted.plan.year, version)
            if found is None:
                raise click.ClickException(
                    f"The {adopted.plan.year} plan has no version {version}: it has versions "
                    f"1 to {adopted.version}.")
            adopted = found
    document = adopted.plan.as_file()
    if fmt == "json":
        click.echo(json.dumps({**document, "version": adopted.version}, indent=2,
                              ensure_ascii=False))
    else:
        click.echo(f"# version {adopted.version}, adopted {adopted.adopted_at:%Y-%m-%d %H:%M} UTC "
                   f"by {adopted.adopted_by}", nl=True)
        click.echo(to_toml(document), nl=False)


@plan_group.command("check")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def check_command(file: Any) -> None:
    """Find every problem in a plan FILE; with none, say what adopting it would change.
    Writes nothing."""
    text = _text(file)
    with reading(engine()) as connection:
        plans = load_plans(connection)
        checked = _read(connection, plans, text)
        assert checked.plan is not None
        before = _before(plans, checked.plan)
        changes = plan_changes(before, checked.plan)
        _print_changes(connection, plans, before, checked.plan, changes, values=True)
    click.echo("The plan has no problem: `casebook plan adopt` would adopt it as shown.")


@plan_group.command("adopt")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--reason", default=None, help="Why (else the file's `reason`).")
@click.option("--as", "user", default=None, help="Who adopts it (else the system user).")
def adopt_command(file: Any, reason: str | None, user: str | None) -> None:
    """Check a plan FILE and adopt it as a new version of its year's plan: nothing is written
    if it has any problem."""
    text = _text(file)
    with writing(engine()) as connection:
        plans = load_plans(connection)
        checked = _read(connection, plans, text)
        assert checked.plan is not None
        why = (reason or checked.plan.reason or "").strip()
        if not why:
            raise click.ClickException("Give a reason: --reason TEXT, or `reason = ...` in the "
                                       "file. Nothing was adopted.")
        before = _before(plans, checked.plan)
        changes = plan_changes(before, checked.plan)
        with click.progressbar(length=1, label="Computing figures", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            # The reason given is the plan's own: `plan show` prints it with the plan.
            version = adopt(connection, replace(checked.plan, reason=why),
                            by=user or getpass.getuser(),
                            reason=why, now=utc_now(), on_progress=progress)
        _print_changes(connection, load_plans(connection), before, checked.plan, changes,
                       values=False)
    click.echo(f"Adopted the {checked.plan.year} plan, version {version}.")


@plan_group.command("history")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def history_command(fmt: str) -> None:
    """Every adoption: year, version, when, by whom and why."""
    with reading(engine()) as connection:
        adoptions = history(connection)
    rows: list[dict[str, Any]] = [{"year": str(a.plan.year), "version": a.version,
             "adopted_at": a.adopted_at.isoformat(), "adopted_by": a.adopted_by,
             "reason": a.reason} for a in adoptions]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['year']} v{row['version']}  {str(row['adopted_at'])[:16]}  "
                   f"{row['adopted_by']}  {row['reason']}")


def _in_force(plans: Plans, year: FinancialYear) -> Adopted:
    try:
        return plans.for_year(year)
    except NoPlan as error:
        raise click.ClickException(str(error)) from None


def _text(file: Any) -> str:
    try:
        return str(file.read())
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name} is not UTF-8 text: save the plan file as UTF-8 "
                                   "and try again. Nothing was written.") from None


def _read(connection: Any, plans: Plans, text: str) -> Reading:
    schemes = list(reads.scheme_names(connection))
    checked = read_plan_text(text, schemes=schemes, adopted=plans.vocabulary)
    if checked.problems:
        for problem in checked.problems:
            click.echo(f"Problem: {problem}", err=True)
        raise click.ClickException(
            f"{len(checked.problems)} problem{'s' if len(checked.problems) != 1 else ''} "
            "found: nothing was written.")
    return checked


def _before(plans: Plans, plan: Plan) -> Plan | None:
    """The plan in force for the new plan's year before it: what it replaces there."""
    return plans.for_year(plan.year).plan if plans.latest else None


def _print_changes(connection: Any, plans: Plans, before: Plan | None, after: Plan,
                   changes: PlanChanges, *, values: bool) -> None:
    if changes.empty:
        click.echo(f"Nothing changes against the {after.year} plan in force.")
        return
    year = after.year
    shown = [c.new for c in changes.figures
             if c.new is not None and ("added" in c.how or "redefined" in c.how)]
    periods: list[Period] = [*year.quarters, *year.previous().quarters]
    found = preview_values(connection, shown, periods) if values and shown else {}
    groups = (("Figures added", [c for c in changes.figures if "added" in c.how]),
              ("Figures changed", [c for c in changes.figures
                                   if c.old is not None and c.new is not None]),
              ("Figures removed", [c for c in changes.figures if "removed" in c.how]))
    for title, listed in groups:
        if listed:
            click.echo(f"{title} ({len(listed)}):")
        for change in listed:
            _print_figure(change, year, found)
    if changes.priorities_before != changes.priorities_after:
        click.echo(f"Priorities: {' · '.join(changes.priorities_before) or '(none)'}")
        click.echo(f"        now {' · '.join(changes.priorities_after)}")
    for word in changes.vocabulary:
        click.echo(f"Vocabulary added: {word.field} {word.value!r} (\"{word.label}\")")
    for scheme, (old, new) in changes.scheme_types.items():
        click.echo(f"Scheme {scheme} logs: {', '.join(new)} (was {', '.join(old) or 'any type'})")
    stale = _out_of_date(connection, plans, year)
    if stale:
        click.echo("Stored summaries this makes out of date (they never change; generate new "
                   f"versions): {', '.join(stale)}")


def _print_figure(change: FigureChange, year: FinancialYear,
                  found: dict[tuple[str, Period], FigureValue]) -> None:
    figure = change.new or change.old
    assert figure is not None
    how = f" ({', '.join(change.how)})" if change.old and change.new else ""
    click.echo(f"  {change.figure_id}: {figure.label}{how}")
    if change.old is not None and change.new is not None:
        click.echo(f"    was: {_definition(change.old)}")
    if change.new is not None:
        click.echo(f"    now: {_definition(change.new)}")
        if found and (change.old is None or "redefined" in change.how):
            click.echo(f"    {_quarters(change.new, year, found)}")
            click.echo(f"    {_quarters(change.new, year.previous(), found)}")


def _definition(figure: Figure) -> str:
    entry = figure_entry(figure, None)
    return ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in entry.items()
                     if k not in ("id", "label"))


def _quarters(figure: Figure, year: FinancialYear,
              found: dict[tuple[str, Period], FigureValue]) -> str:
    cells = [f"{q.label} {format_value(found[(figure.id, q)].value)}"
             for q in year.quarters]
    return f"{year}: " + ", ".join(cells)


def _out_of_date(connection: Any, plans: Plans, year: FinancialYear) -> list[str]:
    """The stored summaries of the years the new plan will be in force for."""
    later = sorted(y for y in plans.latest if y > year.start_year)
    end = later[0] if later else None
    return [f"{s.year} {s.quarter} (version {s.version})" for s in list_summaries(connection)
            if FinancialYear.parse(s.year).start_year >= year.start_year
            and (end is None or FinancialYear.parse(s.year).start_year < end)]
