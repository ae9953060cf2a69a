"""The dashboard: this year's figures by priority and scheme, and the events behind each figure."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy.engine import Connection

from casebook.database import engine
from casebook.roles import PARTNER, READ_EVENTS, READ_FIGURES, may
from casebook.services import case_list, reads
from casebook.services.reminders import returns_due_on
from casebook.web import clock
from casebook.web.auth import readable_schemes, requires, role_of
from casebook.web.figure_access import disclosures, sees_in_full, small_number_threshold
from casebook.web.pages import describe, drilldown
from events.db import reading
from events.quarters import BadPeriod, FinancialYear, Quarter, parse_quarter_label
from projections.catalogue import load_plans
from projections.dashboard import build_dashboard
from projections.dashboard_breakdowns import breakdowns_to_date
from projections.due import last_ended_quarter
from projections.figures import FigureReader
from projections.presentation import chart
from projections.presentation.due import due_label, due_when, is_overdue
from projections.presentation.explain import explain_html
from projections.returns_due import missing_returns

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

#: How many years back the year selector offers.
YEARS_OFFERED = 6


@bp.context_processor
def _template_functions() -> dict[str, Any]:
    return {"describe": describe, "chart": chart.bar_chart, "points": chart.trend_points}


def _today() -> Quarter:
    return Quarter.of(clock.today())


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
            connection, year, up_to, clock.today(), threshold=small_number_threshold(),
            published=lambda scheme: not sees_in_full(current_user, scheme))
        names = reads.scheme_names(connection)
        as_of = FigureReader(connection, year).as_of()
        vocabulary = load_plans(connection).vocabulary
        due = _due_on_my_cases(connection)
        returns_missing = _returns_missing(connection)
        breakdowns = breakdowns_to_date(
            connection, board.year, board.up_to,
            [(row.figure, row.to_date.value) for group in board.priorities
             for scheme in group.schemes for row in scheme.rows],
            disclosure_of=disclosures(current_user), threshold=small_number_threshold(),
            vocabulary=vocabulary)
    explained = {row.figure.id: explain_html(row.figure, names, vocabulary)
                 for group in board.priorities for scheme in group.schemes for row in scheme.rows}
    years = [FinancialYear(today.start_year - n) for n in range(YEARS_OFFERED)]
    partly_published = any(not sees_in_full(current_user, scheme.scheme)
                           for group in board.priorities for scheme in group.schemes)
    return render_template("dashboard/index.html", board=board, names=names, as_of=as_of,
                           years=years, quarter=quarter, today=today,
                           partly_published=partly_published, explained=explained,
                           breakdowns=breakdowns, due=due, today_date=clock.today(),
                           returns_missing=returns_missing,
                           due_label=due_label, due_when=due_when, is_overdue=is_overdue)


def _due_on_my_cases(connection: Connection) -> list[case_list.DueShown]:
    """What is due this week, or overdue, on the signed-in user's cases (none for a user who
    reads no cases)."""
    if not may(role_of(current_user), READ_EVENTS):
        return []
    return case_list.due_this_week(connection, current_user.username,
                                   readable_schemes(current_user), clock.today())


def _returns_missing(connection: Connection) -> dict[str, Any] | None:
    """For a partner: their schemes' returns missing for the quarter last ended, and when they
    were due (None when nothing is missing)."""
    if role_of(current_user) != PARTNER:
        return None
    quarter = last_ended_quarter(clock.now())
    theirs: AbstractSet[str] = readable_schemes(current_user) or frozenset()
    missing = [m for m in missing_returns(connection, quarter) if m["scheme"] in theirs]
    if not missing:
        return None
    return {"quarter": quarter, "missing": missing, "due": returns_due_on(quarter)}


# The drill-down behind each figure (`dashboard.figure`) is a route of this blueprint too.
drilldown.register(bp)
