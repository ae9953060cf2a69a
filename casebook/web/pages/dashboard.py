"""The dashboard: this year's figures by priority and scheme, and the events behind each figure."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from casebook.database import engine
from casebook.roles import READ_EVENTS, READ_FIGURES, may
from casebook.services import reads
from casebook.web.audit import audited, nothing_shown
from casebook.web.auth import can_read_events, requires
from casebook.web.figure_access import sees_in_full, small_number_threshold
from casebook.web.pages import describe
from events.clock import utc_now
from events.db import reading
from events.quarters import BadPeriod, FinancialYear, Quarter, local_date, parse_quarter_label
from projections.catalogue import load_plans
from projections.dashboard import build_dashboard
from projections.definitions import Figure
from projections.figures import FigureReader, Period, quarters_of
from projections.presentation import chart
from projections.presentation.explain import explain_html
from projections.published_periods import published_year

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

#: How many years back the year selector offers.
YEARS_OFFERED = 6


@bp.context_processor
def _template_functions() -> dict[str, Any]:
    return {"describe": describe, "chart": chart.bar_chart, "points": chart.trend_points}


def _today() -> Quarter:
    return Quarter.of(local_date(utc_now()))


def _chosen_period() -> tuple[FinancialYear, int | None]:
    """The year and quarter asked for (404 for nonsense), defaulting to this financial year."""
    try:
        year = FinancialYear.parse(request.args["year"]) if request.args.get("year") else _today().year
        quarter = parse_quarter_label(request.args["quarter"]) if request.args.get("quarter") else None
    except BadPeriod:
        abort(404)
    return year, quarter


@bp.route("")
@requires(READ_FIGURES)
def index() -> Any:
    """This year's figures per quarter and year to date, each against a year earlier."""
    year, quarter = _chosen_period()
    today = _today()
    if quarter is not None:
        up_to = year.quarter(quarter)
    else:
        up_to = today if today.year == year else year.quarter(4)
    with reading(engine()) as connection:
        board = build_dashboard(
            connection, year, up_to, today, threshold=small_number_threshold(),
            published=lambda scheme: not sees_in_full(current_user, scheme))
        names = reads.scheme_names(connection)
        as_of = FigureReader(connection, year).as_of()
        vocabulary = load_plans(connection).vocabulary
    explained = {row.figure.id: explain_html(row.figure, names, vocabulary)
                 for group in board.priorities for scheme in group.schemes for row in scheme.rows}
    years = [FinancialYear(today.start_year - n) for n in range(YEARS_OFFERED)]
    partly_published = any(not sees_in_full(current_user, scheme.scheme)
                           for group in board.priorities for scheme in group.schemes)
    return render_template("dashboard/index.html", board=board, names=names, as_of=as_of,
                           years=years, quarter=quarter, today=today,
                           partly_published=partly_published, explained=explained)


@bp.route("/figures/<figure_id>")
@audited("figure-events-read")
@requires(READ_FIGURES)
def figure(figure_id: str) -> Any:
    """The events behind one figure's value for a year or quarter (a count only for some)."""
    year, quarter = _chosen_period()
    period: Period = year if quarter is None else year.quarter(quarter)
    with reading(engine()) as connection:
        reader = FigureReader(connection, year)
        found = [f for f in reader.figures if f.id == figure_id]
        if not found:
            abort(404)
        chosen = found[0]
        full = sees_in_full(current_user, chosen.scheme)
        value: Any = reader.values([period])[(chosen.id, period)].value
        if not full:
            # The period as the dashboard shows it, protected against the rest of its year.
            value = published_year(reader.values([year, *year.quarters]), chosen, year,
                                   small_number_threshold())[period]
        names = reads.scheme_names(connection)
        explained = explain_html(chosen, names, load_plans(connection).vocabulary)
        # Who is active at the end of a period is everyone who joined and has not left since.
        listed = counted_events(chosen, reads.period_events(
            connection, chosen.scheme, chosen.types, [q.index for q in quarters_of(period)],
            since_the_start=chosen.measure == "active",
        ))
    detail = can_read_events(current_user, chosen.scheme) and may(current_user.role, READ_EVENTS)
    if not detail:
        nothing_shown()  # the count alone, no event
    return render_template(
        "dashboard/figure.html", figure=chosen, period=period, year=year, quarter=quarter,
        value=value, events=listed if detail else [], count=len(listed) if full else None,
        detail=detail, explained=explained,
        scheme_name=names.get(chosen.scheme, chosen.scheme),
    )


def counted_events(figure: Figure, found: list[reads.ListedEvent]) -> list[reads.ListedEvent]:
    """Of a scheme's events in the period, those the figure counts."""
    matching = [e for e in found if figure.matches(e.event.data)]
    if figure.measure != "latest-return":
        return matching
    # Only the return stored last for its quarter counts; earlier ones were corrected by it.
    latest: dict[int, reads.ListedEvent] = {}
    for listed in matching:
        if listed.event.data.get("indicator") == figure.argument:
            latest[listed.event.period] = listed
    return sorted(latest.values(), key=lambda e: e.event.position)
