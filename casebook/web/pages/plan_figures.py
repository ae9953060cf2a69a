"""The Plan pages' "Add a figure" and "Change a figure": the steps of the figure form (GET, the
values in the query string), then its preview and adoption (POST, the values in hidden fields).
Registered on the Plan blueprint by `casebook.web.pages.plan`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, render_template, request, url_for

from casebook.database import engine
from casebook.roles import ADMINISTER
from casebook.web.auth import requires
from casebook.web.pages import figure_form as form
from casebook.web.pages.plan_adoption import Base, Errors, adopt_flow, base_of, year_of, year_slug
from events.db import reading
from events.quarters import FinancialYear
from events.types import EVENT_TYPES


@requires(ADMINISTER)
def new_figure(year: str) -> Any:
    """Add a figure to the year's plan."""
    return _figure_form(year_of(year), None)


@requires(ADMINISTER)
def change_figure(year: str, figure_id: str) -> Any:
    """Change one of the year's figures (its id stays)."""
    return _figure_form(year_of(year), figure_id)


def _figure_form(year: FinancialYear, changing: str | None) -> Any:
    with reading(engine()) as connection:
        base = base_of(connection, year)
    plan = base.in_force.plan
    existing = plan.figure(changing) if changing else None
    if changing and existing is None:
        abort(404)
    context = form.FigureContext(
        schemes=base.names, logged={s: plan.types_of(s) for s in base.names},
        prioritised=frozenset(s for p in plan.priorities for s in p.schemes),
        existing=frozenset(f.id for f in plan.figures), adopted=base.plans.vocabulary,
        changing=changing)
    if request.method == "GET":
        if existing is not None and "show" not in request.args:
            return _step(base, form.FigureDraft.of(existing), "about", {}, context)
        draft = _draft(request.args, changing)
        step, errors = form.first_failing(draft, request.args.get("show", "about"), context)
        return _step(base, draft, step, errors, context)
    draft = _draft(request.form, changing)
    step, errors = form.first_failing(draft, "all", context)
    if errors:
        return _step(base, draft, step, errors, context)
    entry = form.figure_entry_of(draft, base.plans.vocabulary)

    def build(start: Base) -> tuple[dict[str, Any] | None, Errors]:
        document = start.document()
        figures = document["figure"]
        at = next((n for n, f in enumerate(figures) if f["id"] == changing), None)
        if changing is None:
            figures.append(entry)
        elif at is None:
            return None, {"id": f"The plan no longer has a figure {changing}"}
        else:
            old = figures[at]
            if "priority" in old and old["scheme"] == entry["scheme"]:
                entry["priority"] = old["priority"]
            figures[at] = entry
        return document, {}

    return adopt_flow(
        year, build, carried=draft.items(),
        form_page=lambda found: _step(base, draft, form.step_of(found), found, context),
        title=f"Check the figure {draft.label}",
        input_for=lambda problem: form.figure_input(problem.field, draft))


def _draft(sent: Any, changing: str | None) -> form.FigureDraft:
    draft = form.FigureDraft.sent(sent)
    if changing is not None:
        draft.figure_id = changing
    return draft


def _step(base: Base, draft: form.FigureDraft, step: str, errors: Errors,
          context: form.FigureContext) -> Any:
    """One step of the figure form, the values of the other steps carried hidden."""
    found = form.data_fields(draft.types, base.plans.vocabulary)
    at = form.STEPS.index(step)
    args: dict[str, Any] = {"year": year_slug(base.year)}
    endpoint = "plan.new_figure" if context.changing is None else "plan.change_figure"
    if context.changing is not None:
        args["figure_id"] = context.changing
    action = url_for(endpoint, **args)
    if at:
        back = f"{action}?{urlencode([*draft.items(), ('show', form.STEPS[at - 1])])}"
    else:
        back = url_for("plan.year", year=year_slug(base.year))
    types = form.offered_types(context.logged.get(draft.scheme))
    page = render_template(
        "plan/figure_form.html", base=base, draft=draft, step=step, number=at + 1,
        steps=len(form.STEPS), next_step=form.STEPS[at + 1] if at + 1 < len(form.STEPS) else "",
        hidden=[(n, v) for n, v in draft.items() if not draft.on_step(n, step)],
        errors=errors, action=action, back=back, changing=context.changing,
        schemes=sorted(context.prioritised, key=lambda s: base.names.get(s, s)),
        types=[(t, EVENT_TYPES[t].title) for t in types],
        measures=[(m, *form.MEASURE_WORDS[m]) for m in form.offered_measures(draft.types, found)],
        fields=found, distinct=form.distinct_options(draft.types, found),
        breakdowns=draft.measure in form.BREAKDOWN_MEASURES,
    )
    return page, 422 if errors else 200
