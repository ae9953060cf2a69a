"""How every form of the Plan pages adopts: build the changed plan file, check it, show what
would change with a preview of the figures' values, and adopt only once a reason is given.

Each step rebuilds the plan from what the form sent and the plan in force at that moment; the
confirmation carries the version it was shown against, so a plan adopted meanwhile by someone
else is shown again rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.engine import Connection

from casebook.database import engine
from casebook.services import reads
from events.clock import utc_now
from events.db import reading, writing
from events.quarters import BadPeriod, FinancialYear
from projections.adopt import adopt
from projections.catalogue import Adopted, NoPlan, Plans, load_plans
from projections.definitions import Figure
from projections.figures import FigureValue, Period
from projections.plan import Plan
from projections.plan_check import Problem, Reading, read_plan
from projections.plan_diff import PlanChanges, plan_changes
from projections.presentation.explain import explain_html
from projections.preview import preview_values

Errors = dict[str, str]
#: Builds the changed plan file from a copy of the one in force, or says what is wrong.
Build = Callable[["Base"], tuple[dict[str, Any] | None, Errors]]
#: Shows the form again with its errors.
FormPage = Callable[[Errors], Any]
REASON_MISSING = "Enter the reason for this change: it is kept with the version adopted"


def year_slug(year: FinancialYear) -> str:
    """The year as the Plan pages' addresses write it: 2025-26."""
    return str(year).replace("/", "-")


def year_of(slug: str) -> FinancialYear:
    """The year of an address (404 for anything else)."""
    try:
        return FinancialYear.parse(slug.replace("-", "/"))
    except BadPeriod:
        abort(404)


@dataclass(frozen=True)
class Base:
    """The plan a change to `year`'s plan starts from: the one in force for that year."""

    year: FinancialYear
    plans: Plans
    in_force: Adopted
    names: dict[str, str]

    @property
    def tag(self) -> str:
        """Which version this is, as the confirmation carries it."""
        return f"{self.in_force.plan.year.start_year}:{self.in_force.version}"

    @property
    def own(self) -> bool:
        """Whether the year has a plan of its own (else an earlier year's is in force)."""
        return self.in_force.plan.year == self.year

    @property
    def next_version(self) -> int:
        mine = self.plans.latest.get(self.year.start_year)
        return mine.version + 1 if mine is not None else 1

    def document(self) -> dict[str, Any]:
        """A copy of the plan file in force, as the year's own."""
        document = self.in_force.plan.as_file()
        document["year"] = str(self.year)
        if not self.own:
            document.pop("reason", None)
        return document


def words(figure: Figure, base: Base) -> Markup:
    """The figure's definition in words, its names in italics."""
    return explain_html(figure, base.names, base.plans.vocabulary)


def base_of(connection: Connection, year: FinancialYear) -> Base:
    plans = load_plans(connection)
    try:
        in_force = plans.for_year(year)
    except NoPlan:
        abort(404)
    return Base(year, plans, in_force, reads.scheme_names(connection))


def problem_errors(problems: list[Problem], input_for: Callable[[Problem], str]) -> Errors:
    """Every problem, by the input it is about (`input~2` for a second one on the same input)."""
    found: Errors = {}
    for problem in problems:
        key = input_for(problem)
        while key in found:
            key = f"{key.partition('~')[0]}~{len(found) + 1}"
        found[key] = str(problem)
    return found


@dataclass
class Outcome:
    """A change prepared: the plan it starts from, and the checked plan or what is wrong."""

    base: Base
    errors: Errors
    reading: Reading | None = None
    changes: PlanChanges | None = None


def prepare(connection: Connection, year: FinancialYear, build: Build,
            input_for: Callable[[Problem], str]) -> Outcome:
    base = base_of(connection, year)
    document, errors = build(base)
    if errors or document is None:
        return Outcome(base, errors)
    checked = read_plan(document, schemes=list(base.names), adopted=base.plans.vocabulary)
    if checked.problems or checked.plan is None:
        return Outcome(base, problem_errors(checked.problems, input_for), checked)
    before = base.in_force.plan
    changes = plan_changes(before, checked.plan)
    if changes.empty and before.priorities == checked.plan.priorities:
        return Outcome(base, {input_for(Problem("plan", "", "")): "This changes nothing in the "
                                                                  "plan"}, checked)
    return Outcome(base, {}, checked, changes)


def adopt_flow(year: FinancialYear, build: Build, *, form_page: FormPage,
               carried: list[tuple[str, str]], title: str,
               input_for: Callable[[Problem], str]) -> Any:
    """Check the change; show what it changes and ask why; adopt it once a reason is given."""
    confirming = request.form.get("confirming") == "yes"
    reason = request.form.get("reason", "").strip()
    with reading(engine()) as connection:
        outcome = prepare(connection, year, build, input_for)
    if outcome.errors:
        return form_page(outcome.errors)
    stale = confirming and request.form.get("base") != outcome.base.tag
    if confirming and reason and not stale:
        with writing(engine()) as connection:
            again = prepare(connection, year, build, input_for)
            version = None
            if again.base.tag == outcome.base.tag and again.reading and again.reading.plan:
                version = adopt(connection, again.reading.plan, by=current_user.username,
                                reason=reason, now=utc_now())
        if version is not None:
            flash(f"Version {version} of the {year} plan adopted.", "success")
            return redirect(url_for("plan.year", year=year_slug(year)), code=303)
        if again.errors:
            return form_page(again.errors)
        outcome, stale = again, True
    errors = {"reason": REASON_MISSING} if confirming and not reason and not stale else {}
    page = confirm_page(outcome, carried=carried, title=title, errors=errors, stale=stale)
    return page, 422 if errors else 200


def confirm_page(outcome: Outcome, *, carried: list[tuple[str, str]], title: str,
                 errors: Errors, stale: bool) -> str:
    """What the change would do, the figures' values it would give, and the reason to adopt."""
    assert outcome.reading is not None and outcome.reading.plan is not None
    assert outcome.changes is not None
    after: Plan = outcome.reading.plan
    year = outcome.base.year
    shown = [c.new for c in outcome.changes.figures
             if c.new is not None and ("added" in c.how or "redefined" in c.how)]
    periods: list[Period] = [*year.quarters, *year.previous().quarters]
    with reading(engine()) as connection:
        values = preview_values(connection, shown, periods) if shown else {}
    return render_template(
        "plan/confirm.html", title=title, base=outcome.base, after=after,
        changes=outcome.changes, previews=_previews(shown, values, year),
        carried=carried, errors=errors, stale=stale, reason=request.form.get("reason", ""),
        priorities_changed=outcome.base.in_force.plan.priorities != after.priorities,
    )


def _previews(figures: list[Figure], values: Mapping[tuple[str, Period], FigureValue],
              year: FinancialYear) -> dict[str, list[tuple[FinancialYear, list[Any]]]]:
    return {f.id: [(y, [values[(f.id, q)].value for q in y.quarters])
                   for y in (year, year.previous())] for f in figures}
