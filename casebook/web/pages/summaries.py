"""Stored summaries on the web: the list, each summary with its downloads and restatements."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.engine import Connection

from casebook.database import engine
from casebook.roles import ADMINISTER, READ_FIGURES, may
from casebook.services import reads
from casebook.web import clock
from casebook.web.audit import audited
from casebook.web.auth import can_read_events, requires
from casebook.web.figure_access import disclosures, sees_in_full, small_number_threshold
from casebook.web.pages import describe
from events.db import reading
from events.quarters import BadPeriod, FinancialYear, Quarter, local_date
from projections.archive import (
    PeriodNotBegun,
    StoredSummary,
    by_hand,
    generate,
    get_summary,
    list_summaries,
    previous_version,
    versions_of,
)
from projections.catalogue import figures_of_year, load_plans, plan_version
from projections.definitions import Figure
from projections.disclosure import variant as variant_of
from projections.due import last_ended_quarter
from projections.figures import Period
from projections.presentation.explain import explain_html
from projections.presentation.formats import render_stored
from projections.presentation.labels import tables_of
from projections.presentation.report import by_priority
from projections.restatement import figure_changes, restatement
from projections.returns_due import missing_returns
from projections.summary import last_day

bp = Blueprint("summaries", __name__, url_prefix="/summaries")

#: Download formats: file extension, media type.
DOWNLOADS = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
VARIANTS = ("internal", "published")
#: How many years back the "generate now" form offers.
YEARS_OFFERED = 6


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"can_read_events": can_read_events}


def _as_seen(document: dict[str, Any], figures: list[Figure]) -> dict[str, Any]:
    """The internal document narrowed to what the signed-in user may see of each scheme."""
    return variant_of(document, published=False, threshold=small_number_threshold(),
                      figures=figures, disclosure_of=disclosures(current_user))


def _restated_as_seen(restated: dict[str, Any] | None, stored: StoredSummary,
                      previous: StoredSummary | None, figures: list[Figure]
                      ) -> dict[str, Any] | None:
    """The restatement with published figures compared as published, and late events only of
    schemes the user sees in full (the count of late events would give small numbers away)."""
    if restated is None or previous is None:
        return restated
    period_label = stored.quarter if stored.quarter != "year" else stored.year
    changes = figure_changes(_as_seen(previous.document, figures),
                             _as_seen(stored.document, figures))
    return {
        **restated,
        "changes": [{"figure": c.figure_id, "label": c.label, "old": c.old, "new": c.new,
                     "text": c.sentence(period_label)} for c in changes],
        "late_events": [e for e in restated["late_events"]
                        if sees_in_full(current_user, e["scheme"])],
    }


def _explained(connection: Connection, stored: StoredSummary,
               figures: list[Figure]) -> dict[str, Markup]:
    """Each stored figure's definition in words: that of the plan version it was computed
    with, where the summary names one, else the year's plan's (a figure it no longer has, none)."""
    plan = stored.document.get("plan")
    adopted = None
    if plan:
        adopted = plan_version(connection, FinancialYear.parse(plan["year"]), plan["version"])
    definitions = {f.id: f for f in (adopted.plan.figures if adopted is not None else figures)}
    names = reads.scheme_names(connection)
    vocabulary = load_plans(connection).vocabulary
    return {
        figure_id: explain_html(definitions[figure_id], names, vocabulary)
        for figure_id, entry in stored.document["figures"].items()
        if figure_id in definitions
        and definitions[figure_id].as_dict()["measure"] == entry.get("measure")
    }


def _the_summaries(stored: list[StoredSummary]
                   ) -> list[tuple[StoredSummary, list[StoredSummary]]]:
    """Each period's summary (its newest final version, else its newest provisional one,
    labelled so) with its other versions, newest period first."""
    periods: dict[tuple[str, str], list[StoredSummary]] = {}
    for summary in stored:
        periods.setdefault((summary.year, summary.quarter), []).append(summary)
    found = []
    for versions in periods.values():
        final = [v for v in versions if v.final]
        latest = final[0] if final else versions[0]
        found.append((latest, [v for v in versions if v is not latest]))
    return found


@bp.route("")
@requires(READ_FIGURES)
def index() -> Any:
    """Every stored summary, newest period first, with its versions."""
    with reading(engine()) as connection:
        stored = list_summaries(connection)
    now = clock.now()
    today = Quarter.of(local_date(now))
    years = [FinancialYear(today.start_year - n) for n in range(YEARS_OFFERED)]
    return render_template("summaries/index.html", periods=_the_summaries(stored), years=years,
                           ended=last_ended_quarter(now), in_progress=today,
                           quarter_ends=last_day(today), year_ends=last_day(today.year),
                           may_generate=may(current_user.role, ADMINISTER))


@bp.route("/generate", methods=["POST"])
@requires(ADMINISTER)
def generate_now() -> Any:
    """Store a new version of the chosen period's summary at once (administrators only)."""
    try:
        year = FinancialYear.parse(request.form.get("year", ""))
        quarter = request.form.get("quarter", "")
        period: Period = year if quarter == "year" else year.quarter(int(quarter.removeprefix("Q")))
    except (BadPeriod, ValueError):
        abort(400)
    try:
        stored = generate(engine(), period, by_hand(current_user.username),
                          only_if_missing=False, now=clock.now())
    except PeriodNotBegun as error:
        flash(str(error), "error")
        return redirect(url_for("summaries.index"), code=303)
    assert stored is not None
    return redirect(url_for("summaries.show", summary_id=stored.id), code=303)


@bp.route("/<int:summary_id>")
# Breakdown labels are free text, and the restatement lists late events and their cases.
@audited("summary-read")
@requires(READ_FIGURES)
def show(summary_id: int) -> Any:
    """One stored summary: its figures, downloads, versions and what it restated."""
    with reading(engine()) as connection:
        stored = get_summary(connection, summary_id)
        if stored is None:
            abort(404)
        versions = versions_of(connection, stored.period)
        final = [v for v in versions if v.final]
        previous = previous_version(connection, stored)
        restated = restatement(connection, stored, previous)
        figures = figures_of_year(connection, stored.year)
        explained = _explained(connection, stored, figures)
        vocabulary = load_plans(connection).vocabulary
        names = reads.scheme_names(connection)
    document = _as_seen(stored.document, figures)
    restated = _restated_as_seen(restated, stored, previous, figures)
    return render_template(
        "summaries/show.html", summary=stored, document=document,
        groups=by_priority(document), versions=versions, restated=restated,
        final_version=final[-1] if final else None, ends=last_day(stored.period),
        downloads=DOWNLOADS, variants=VARIANTS, threshold=small_number_threshold(),
        explained=explained, better={f.id: f.better for f in figures}, names=names,
        type_title=describe.type_title,
        breakdowns=tables_of(document["figures"].items(), {f.id: f.types for f in figures},
                             vocabulary),
    )


@bp.route("/<int:summary_id>/<variant>.<fmt>")
@audited("summary-download")
@requires(READ_FIGURES)
def download(summary_id: int, variant: str, fmt: str) -> Response:
    """A stored summary as a file: printable HTML, CSV or a workbook, internal or published."""
    if variant not in VARIANTS or fmt not in DOWNLOADS:
        abort(404)
    with reading(engine()) as connection:
        stored = get_summary(connection, summary_id)
        if stored is None:
            abort(404)
        figures = figures_of_year(connection, stored.year)
        # The file names schemes and breakdown values as the pages do, never by id or key.
        names = reads.scheme_names(connection)
        vocabulary = load_plans(connection).vocabulary
    body = render_stored(stored, fmt, published=variant == "published",
                         threshold=small_number_threshold(), figures=figures,
                         disclosure_of=disclosures(current_user), vocabulary=vocabulary,
                         scheme_names=names)
    name = f"casebook-{stored.year.replace('/', '-')}-{stored.quarter}-v{stored.version}-{variant}"
    if stored.provisional:
        # A file saved away must not pass for the period's summary.
        name += "-provisional"
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(body, content_type=DOWNLOADS[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{name}.{fmt}"',
        # The printable review is self-contained: its one inline style sheet and nothing else.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:; frame-ancestors 'none'",
    })


@bp.route("/returns")
@requires(READ_FIGURES)
def returns() -> Any:
    """The partner returns still missing for the last ended quarter."""
    quarter = last_ended_quarter(clock.now())
    with reading(engine()) as connection:
        missing = missing_returns(connection, quarter)
    return render_template("summaries/returns.html", quarter=quarter, missing=missing)
