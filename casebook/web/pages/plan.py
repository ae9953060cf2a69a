"""The Plan pages (spec §8): each year's plan (priorities, vocabulary, figures in words) for
everyone who reads figures, and for administrators the forms that change it, and the plan file
to download and upload. Every change is adopted as a new version of the year's plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from casebook.database import engine
from casebook.roles import ADMINISTER, READ_FIGURES, may
from casebook.web.auth import requires
from casebook.web.pages import plan_forms
from casebook.web.pages.plan_adoption import (
    Base,
    Errors,
    adopt_flow,
    base_of,
    problem_errors,
    words,
    year_of,
    year_slug,
)
from casebook.web.pages.plan_figures import change_figure, new_figure
from events.acceptance import VOCABULARIES
from events.clock import utc_now
from events.db import reading
from events.quarters import FinancialYear, local_date
from projections.catalogue import history, load_plans
from projections.definitions import Figure
from projections.plan import Plan, to_toml
from projections.plan_check import Problem, read_plan_text

bp = Blueprint("plan", __name__, url_prefix="/plan")
bp.add_url_rule("/<year>/figures/new", view_func=new_figure, methods=["GET", "POST"])
bp.add_url_rule("/<year>/figures/<figure_id>", view_func=change_figure, methods=["GET", "POST"])

#: What each field that takes new values is called on forms.
VOCABULARY_TITLES = {"notice": "Notice", "panel": "Panel", "kind": "Kind of engagement",
                     "source": "Referred by"}
#: The forms on the priorities page, by the `action` each sends.
PRIORITY_ACTIONS: dict[str, Callable[[dict[str, Any], Any, Base], Errors]] = {
    "rename": lambda document, sent, base: plan_forms.rename_priority(document, sent),
    "add": lambda document, sent, base: plan_forms.add_priority(document, sent),
    "move": lambda document, sent, base: plan_forms.move_priority(document, sent),
    "move-scheme": lambda document, sent, base: plan_forms.move_scheme(document, sent,
                                                                       base.names),
}
_NOT_CARRIED = {"csrf_token", "reason", "confirming", "base", "plan-file"}


@bp.context_processor
def _template_functions() -> dict[str, Any]:
    return {"year_slug": year_slug, "words": words, "may_change": may_change,
            "vocabulary_titles": VOCABULARY_TITLES}


def may_change() -> bool:
    return may(current_user.role, ADMINISTER)


def _this_year() -> FinancialYear:
    return FinancialYear.of(local_date(utc_now()))


def _carried() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.form.items(multi=True) if k not in _NOT_CARRIED]


@bp.get("")
@requires(READ_FIGURES)
def years() -> Any:
    """The years with a plan, and this year, each with the plan in force for it."""
    this_year = _this_year()
    with reading(engine()) as connection:
        plans = load_plans(connection)
        starts = sorted({*plans.latest, this_year.start_year}, reverse=True)
        found = [(FinancialYear(s), plans.latest.get(s),
                  plans.for_year(FinancialYear(s)) if plans.latest else None) for s in starts]
    return render_template("plan/years.html", years=found, this_year=this_year)


@bp.get("/<year>")
@requires(READ_FIGURES)
def year(year: str) -> Any:
    """One year's plan: its version, priorities and schemes, vocabulary and figures."""
    chosen = year_of(year)
    with reading(engine()) as connection:
        base = base_of(connection, chosen)
        versions = [a for a in history(connection) if a.plan.year == chosen]
    plan = base.in_force.plan
    return render_template("plan/year.html", base=base, plan=plan, groups=_by_priority(plan),
                           versions=versions, this_year=_this_year())


def _by_priority(plan: Plan) -> list[tuple[str, list[Figure]]]:
    names = [p.name for p in plan.priorities]
    names += sorted({f.priority for f in plan.figures} - set(names))
    return [(name, [f for f in plan.figures if f.priority == name]) for name in names]


@bp.get("/<year>/plan-file")
@requires(READ_FIGURES)
def download(year: str) -> Response:
    """The plan file in force for the year, as `casebook plan adopt` and the upload read it."""
    chosen = year_of(year)
    with reading(engine()) as connection:
        base = base_of(connection, chosen)
    adopted = base.in_force
    if base.own:
        note = (f"# The {chosen} plan, version {adopted.version}, adopted "
                f"{adopted.adopted_at:%Y-%m-%d %H:%M} UTC by {adopted.adopted_by}\n")
    else:
        note = (f"# {chosen} has no plan of its own yet: this is the {adopted.plan.year} plan "
                f"(version {adopted.version}) as the start of one.\n")
    return Response(note + to_toml(base.document()),
                    content_type="application/toml; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="casebook-plan-{year_slug(chosen)}.toml"'})


@bp.route("/<year>/priorities", methods=["GET", "POST"])
@requires(ADMINISTER)
def priorities(year: str) -> Any:
    """Rename, add and reorder the priorities, and move schemes between them."""
    chosen = year_of(year)

    def page(errors: Errors) -> Any:
        with reading(engine()) as connection:
            base = base_of(connection, chosen)
        unplaced = sorted(set(base.names) - {s for p in base.in_force.plan.priorities
                                              for s in p.schemes},
                          key=lambda s: base.names.get(s, s))
        return render_template("plan/priorities.html", base=base, plan=base.in_force.plan,
                               unplaced=unplaced, errors=errors,
                               values=request.form), 422 if errors else 200

    if request.method == "GET":
        return page({})
    action = PRIORITY_ACTIONS.get(request.form.get("action", ""))
    if action is None:
        return page({"priorities": "Choose what to change in the priorities"})

    def build(base: Base) -> tuple[dict[str, Any] | None, Errors]:
        document = base.document()
        return document, action(document, request.form, base)

    return adopt_flow(chosen, build, form_page=page, carried=_carried(),
                      title=f"Change the priorities of the {chosen} plan",
                      input_for=lambda problem: _priority_input(problem))


def _priority_input(problem: Problem) -> str:
    if request.form.get("action") == "add":
        return "new-priority"
    if request.form.get("action") == "rename":
        return f"name-{request.form.get('priority', '')}"
    return "priorities"


@bp.route("/<year>/vocabulary", methods=["GET", "POST"])
@requires(ADMINISTER)
def vocabulary(year: str) -> Any:
    """Add a value, with its label, to notice, panel, kind of engagement or referred by."""
    chosen = year_of(year)

    def page(errors: Errors) -> Any:
        with reading(engine()) as connection:
            base = base_of(connection, chosen)
        return render_template("plan/vocabulary.html", base=base, fields=list(VOCABULARIES),
                               errors=errors, values=request.form), 422 if errors else 200

    if request.method == "GET":
        return page({})

    def build(base: Base) -> tuple[dict[str, Any] | None, Errors]:
        document = base.document()
        return document, plan_forms.add_word(document, request.form, base.plans.vocabulary)

    return adopt_flow(chosen, build, form_page=page, carried=_carried(),
                      title=f"Add a value to the {chosen} plan's vocabulary",
                      input_for=lambda problem: problem.field
                      if problem.field in ("field", "value", "label") else "value")


@bp.route("/<year>/upload", methods=["GET", "POST"])
@requires(ADMINISTER)
def upload(year: str) -> Any:
    """Upload a plan file: every problem in it, or what it would change, to adopt once
    confirmed (the file's text is carried in the confirmation, never kept on the server)."""
    chosen = year_of(year)

    def page(errors: Errors) -> Any:
        with reading(engine()) as connection:
            base = base_of(connection, chosen)
        return render_template("plan/upload.html", base=base,
                               errors=errors), 422 if errors else 200

    if request.method == "GET":
        return page({})
    text, unreadable = _uploaded_text()
    if unreadable:
        return page({"plan-file": unreadable})

    def build(base: Base) -> tuple[dict[str, Any] | None, Errors]:
        checked = read_plan_text(text, schemes=list(base.names), adopted=base.plans.vocabulary)
        if checked.problems:
            return None, problem_errors(checked.problems, lambda problem: "plan-file")
        if checked.plan is not None and checked.plan.year != chosen:
            return None, {"plan-file": f"The file is the plan for {checked.plan.year}: upload it "
                                       f"on that year's page, or change its year to {chosen}"}
        return checked.document, {}

    return adopt_flow(chosen, build, form_page=page, carried=[("plan_text", text)],
                      title=f"Check the uploaded plan for {chosen}",
                      input_for=lambda problem: "plan-file")


def _uploaded_text() -> tuple[str, str]:
    """The plan file's text, from the file chosen or the confirmation; or why it is unreadable."""
    chosen = request.files.get("plan-file")
    if chosen is not None and chosen.filename:
        try:
            return chosen.read().decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            return "", "The plan file must be text in UTF-8, as `casebook plan show` writes it"
    text = request.form.get("plan_text", "")
    return (text, "") if text.strip() else ("", "Choose the plan file to upload")
