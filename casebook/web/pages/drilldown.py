"""The drill-down behind each figure: what it counts, one row per thing counted, a page at a
time and as CSV, so that the number of rows is the figure.

Its routes belong to the dashboard's blueprint (`register`), under the dashboard's addresses.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from casebook.database import engine
from casebook.roles import READ_EVENTS, READ_FIGURES, may
from casebook.services import reads
from casebook.services.figure_rows import Row, Rows, every_row, figure_rows, rows_page
from casebook.web.audit import audited, nothing_shown
from casebook.web.auth import can_read_events, requires
from casebook.web.figure_access import sees_in_full, small_number_threshold
from casebook.web.pages.drilldown_words import counted_words, csv_header, csv_line, row_label
from events.clock import utc_now
from events.db import reading
from events.quarters import BadPeriod, FinancialYear, Quarter, local_date, parse_quarter_label
from projections.catalogue import load_plans
from projections.definitions import Figure
from projections.figures import FigureReader, Period, quarters_of
from projections.presentation.explain import explain_html
from projections.published_periods import published_year
from projections.spreadsheet import csv_cell

#: Rows on a page of a drill-down.
PAGE_SIZE = 50


def register(blueprint: Blueprint) -> None:
    """Add the drill-down's routes to the dashboard's blueprint (endpoints `figure`, `figure_csv`)."""
    blueprint.add_url_rule("/figures/<figure_id>.csv", "figure_csv", figure_csv)
    blueprint.add_url_rule("/figures/<figure_id>", "figure", figure)


@dataclass(frozen=True)
class Drilldown:
    """One figure for one period as this user may see it, and the rows behind it."""

    figure: Figure
    year: FinancialYear
    quarter: int | None
    period: Period
    #: The value as this user sees it: in full, or as published.
    value: Any
    #: Whether the user sees the scheme's numbers in full (the published value otherwise).
    full: bool
    #: Whether the user may read the scheme's events: the rows themselves, not just their number.
    detail: bool
    explained: str
    scheme_name: str
    #: None where the user sees the published value only: not even the number of rows.
    rows: Rows | None
    #: The page asked for, the number of pages, and the page's rows numbered from 1 over all.
    page: int = 1
    pages: int = 1
    listed: tuple[tuple[int, Row], ...] = ()


def _asked_period() -> tuple[FinancialYear, int | None]:
    """The year and quarter asked for (404 for nonsense), defaulting to this financial year."""
    try:
        year = (FinancialYear.parse(request.args["year"]) if request.args.get("year")
                else Quarter.of(local_date(utc_now())).year)
        quarter = parse_quarter_label(request.args["quarter"]) if request.args.get("quarter") else None
    except BadPeriod:
        abort(404)
    return year, quarter


def _load(figure_id: str, *, paged: bool = False) -> Drilldown:
    """The figure asked for (404 if the year's plan has none of that id), how many rows it
    has and, `paged`, the rows of the page asked for (404 for one that is not a page)."""
    year, quarter = _asked_period()
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
        rows = figure_rows(connection, chosen, quarters_of(period)) if full else None
        detail = (can_read_events(current_user, chosen.scheme)
                  and may(current_user.role, READ_EVENTS))
        pages = max(1, -(-rows.count // PAGE_SIZE)) if rows is not None else 1
        page = _page_number(pages) if paged else 1
        first = (page - 1) * PAGE_SIZE
        listed = (tuple(enumerate(rows_page(connection, chosen, quarters_of(period), first,
                                            PAGE_SIZE), first + 1))
                  if paged and detail and rows is not None else ())
    return Drilldown(chosen, year, quarter, period, value, full, detail, explained,
                     names.get(chosen.scheme, chosen.scheme), rows, page, pages, listed)


def _period_arguments(shown: Drilldown) -> dict[str, Any]:
    arguments: dict[str, Any] = {"figure_id": shown.figure.id, "year": str(shown.year)}
    if shown.quarter is not None:
        arguments["quarter"] = f"Q{shown.quarter}"
    return arguments


def _page_number(pages: int) -> int:
    """The page asked for: 404 for one that is not a page of these rows."""
    asked = request.args.get("page", "1")
    if not asked.isdigit() or not 1 <= int(asked) <= pages:
        abort(404)
    return int(asked)


def pagination(page: int, pages: int, href: Any) -> dict[str, Any]:
    """The GOV.UK pagination component's parameters: the first, last and neighbouring pages."""
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number > items[-1]["number"] + 1:
            items.append({"ellipsis": True, "number": number - 1})
        items.append({"number": number, "href": href(number), "current": number == page})
    return {
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "landmarkLabel": "Pages of this figure's rows",
    }


@audited("figure-events-read")
@requires(READ_FIGURES)
def figure(figure_id: str) -> Any:
    """What one figure counts for a year or quarter, 50 rows a page (a count only for some)."""
    shown = _load(figure_id, paged=True)
    if not shown.detail:
        nothing_shown()  # the count alone, no event
    page, pages = shown.page, shown.pages
    arguments = _period_arguments(shown)
    return render_template(
        "dashboard/figure.html", figure=shown.figure, period=shown.period, year=shown.year,
        quarter=shown.quarter, value=shown.value, explained=shown.explained,
        scheme_name=shown.scheme_name, detail=shown.detail,
        counted=counted_words(shown.rows, str(shown.period)) if shown.rows is not None else None,
        rows=list(shown.listed), row_label=row_label(shown.figure),
        pagination=(pagination(page, pages, lambda n: url_for("dashboard.figure", **arguments,
                                                              page=n))
                    if shown.detail and pages > 1 else None),
        csv_url=url_for("dashboard.figure_csv", **arguments) if shown.detail else None,
    )


@audited("figure-events-read")
@requires(READ_EVENTS)
def figure_csv(figure_id: str) -> Response:
    """Every row of the drill-down as CSV, one line a row: refused to anyone who may not read
    the scheme's events, since the rows are its events."""
    shown = _load(figure_id)
    if not shown.detail or shown.rows is None:
        abort(403)
    bound, figure, quarters = engine(), shown.figure, quarters_of(shown.period)

    def lines() -> Iterator[str]:
        """The CSV a batch of rows at a time: memory stays flat however many rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(csv_header(figure))
        with reading(bound) as connection:
            for number, row in enumerate(every_row(connection, figure, quarters), 1):
                writer.writerow([csv_cell(cell) for cell in csv_line(figure, number, row)])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    name = f"{shown.figure.id}-{shown.period}".replace("/", "-").replace(" ", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response

