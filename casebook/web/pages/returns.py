"""Submit a return: a partner's figure for an ended quarter, and what was returned before it."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.roles import LOG_EVENTS, may
from casebook.services import reads
from casebook.services.partner_returns import (
    RETURN_TYPE,
    Expected,
    Submitted,
    expected_in_years,
    expected_returns,
    submitted_returns,
)
from casebook.services.recording import record
from casebook.settings import time_limits
from casebook.web import clock
from casebook.web.audit import EVENT_DENIED, audited
from casebook.web.auth import can_read_events, readable_schemes, requires, role_of
from casebook.web.pages.log import form_event_id, loggable_schemes
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.quarters import BadPeriod, FinancialYear, Quarter
from events.store import get_event
from projections.catalogue import load_plans
from projections.presentation.text import local_day

bp = Blueprint("returns", __name__, url_prefix="/returns")

#: How many ended quarters the form offers: two years, for a late return or a correction.
QUARTERS_OFFERED = 8
#: The largest value the event's schema takes (events.schemas: a count).
LARGEST_VALUE = 1_000_000
#: Where the schema's complaints about a return's data are shown on the form.
_FIELD_OF = {"data.value": "value", "data.quarter": "quarter", "data.indicator": "indicator"}


def offered_quarters() -> list[Quarter]:
    """The ended quarters a return can be submitted for, the last ended first."""
    last_ended = Quarter.of(clock.today()).previous()
    return [Quarter.from_index(last_ended.index - n) for n in range(QUARTERS_OFFERED)]


def _years(quarters: list[Quarter]) -> list[FinancialYear]:
    return list(dict.fromkeys(q.year for q in quarters))


def offered_returns() -> tuple[list[reads.Scheme], list[Expected]]:
    """The user's schemes that report by return, and the returns their plans expect."""
    if "offered_returns" not in g:
        schemes = loggable_schemes()
        with reading(engine()) as connection:
            expected = expected_in_years(connection, [s.scheme_id for s in schemes],
                                         _years(offered_quarters()))
        reporting = {e.scheme for e in expected}
        g.offered_returns = ([s for s in schemes if s.scheme_id in reporting], expected)
    found: tuple[list[reads.Scheme], list[Expected]] = g.offered_returns
    return found


def offers_returns() -> bool:
    """Whether the navigation shows "Submit a return": the user logs to a scheme that reports."""
    if not may(role_of(current_user), LOG_EVENTS):
        return False
    try:
        return bool(offered_returns()[1])
    except sa.exc.SQLAlchemyError:
        # Every page's navigation asks, the error page's too: a database fault must not hide it.
        return False


@bp.route("", methods=["GET", "POST"])
@requires(LOG_EVENTS)
def index() -> Any:
    """The return form, with the returns already submitted for the quarters it offers."""
    schemes, expected = offered_returns()
    if request.method == "GET":
        values = {"quarter": str(offered_quarters()[0]),
                  "indicator": expected[0].choice if len(expected) == 1 else ""}
        return _render(schemes, expected, values, {}, event_id=str(uuid.uuid4()))
    values = {name: request.form.get(name, "").strip() for name in ("indicator", "quarter", "value")}
    event_id = form_event_id(request.form.get("event_id", ""))
    errors, chosen, quarter, value = _checked(values)
    if errors or chosen is None or quarter is None or value is None:
        return _render(schemes, expected, values, errors, event_id=event_id)
    line = {"id": event_id, "type": RETURN_TYPE, "scheme": chosen.scheme,
            "occurred_at": clock.now().isoformat(),
            "data": {"indicator": chosen.indicator, "quarter": str(quarter), "value": value}}
    limits = dataclasses.replace(time_limits(), now=clock.now())
    with reading(engine()) as connection:
        acceptance = load_plans(connection).acceptance
    try:
        event = parse_event(line, default_recorded_by=current_user.username, limits=limits,
                            acceptance=acceptance)
    except InvalidEvent as invalid:
        return _render(schemes, expected, values, _said(invalid.errors), event_id=event_id)
    with writing(engine()) as connection:
        recorded = record(connection, [event], visible_schemes=readable_schemes(current_user))
        stored = recorded.stored[0] if recorded.stored else (
            get_event(connection, event_id) if recorded.duplicates else None)
    if recorded.reused:
        return _render(schemes, expected, values, {"value": (
            "This form has already sent a return. To correct it, check the value and select "
            "‘Submit return’ again")}, event_id=str(uuid.uuid4()))
    if stored is None:
        return _render(schemes, expected, values, _said(recorded.refusals.get(0, {})),
                       event_id=event_id)
    return redirect(url_for("returns.submitted", event_id=stored.event_id), code=303)


def _checked(values: dict[str, str]) -> tuple[
        dict[str, str], Expected | None, Quarter | None, int | None]:
    """What is wrong with the form, and the return, quarter and value it names; 404 for a
    scheme the user may not log to, as if it did not exist."""
    errors: dict[str, str] = {}
    mine = {s.scheme_id: s.name for s in loggable_schemes()}
    scheme_id, _, indicator = values["indicator"].partition(":")
    if not values["indicator"]:
        errors["indicator"] = "Select what the return is for"
    elif scheme_id not in mine:
        abort(404)
    quarter = _quarter(values["quarter"], errors)
    value = _value(values["value"], errors)
    chosen = None
    if values["indicator"] and quarter is not None:
        with reading(engine()) as connection:
            expected = expected_returns(connection, [scheme_id], quarter.year)
        chosen = next((e for e in expected if e.indicator == indicator), None)
        if chosen is None:
            errors["indicator"] = (f"The {quarter.year} plan expects no return of “{indicator}” "
                                   f"from {mine[scheme_id]}: choose one of the returns listed")
    return errors, chosen, quarter, value


def _quarter(raw: str, errors: dict[str, str]) -> Quarter | None:
    if not raw:
        errors["quarter"] = "Select the quarter the return is for"
        return None
    try:
        quarter = Quarter.parse(raw)
    except BadPeriod:
        errors["quarter"] = "Quarter must be a quarter like 2025/26 Q3"
        return None
    if quarter.last_day >= clock.today():
        errors["quarter"] = (f"{quarter} has not ended yet: a return can be submitted from "
                             f"{local_day(quarter.next().first_day)}")
        return None
    return quarter


def _value(raw: str, errors: dict[str, str]) -> int | None:
    if not raw:
        errors["value"] = "Enter the value"
        return None
    digits = raw.replace(",", "")
    if not digits.isascii() or not digits.isdigit():
        errors["value"] = "Value must be a whole number, 0 or more, like 334"
        return None
    if int(digits) > LARGEST_VALUE:
        errors["value"] = f"Value must be {LARGEST_VALUE:,} or less"
        return None
    return int(digits)


def _said(errors: dict[str, list[str]]) -> dict[str, str]:
    """The store's or the schema's refusals, each under the form field it is about."""
    said: dict[str, str] = {}
    for field, messages in errors.items():
        target = _FIELD_OF.get(field, "indicator")
        said.setdefault(target, " ".join(messages))
    return said


def _render(schemes: list[reads.Scheme], expected: list[Expected], values: dict[str, str],
            errors: dict[str, str], *, event_id: str) -> Any:
    quarters = offered_quarters()
    with reading(engine()) as connection:
        history = {s.scheme_id: submitted_returns(connection, s.scheme_id, quarters)
                   for s in schemes}
    page = render_template("returns/index.html", schemes={s.scheme_id: s for s in schemes},
                           expected=expected, quarters=quarters, values=values, errors=errors,
                           event_id=event_id, history=history)
    return page, 422 if errors else 200


@bp.route("/<event_id>")
# A return is a count, never a person; a refused event is recorded as the event pages do.
@audited(None, denied=EVENT_DENIED)
@requires(LOG_EVENTS)
def submitted(event_id: str) -> Any:
    """What a return stored, and the earlier return for its quarter it replaces."""
    with reading(engine()) as connection:
        listed = reads.get_listed_event(connection, event_id)
        if listed is None or not can_read_events(current_user, listed.event.scheme):
            abort(404)
        event = listed.event
        if event.type != RETURN_TYPE:
            return redirect(url_for("events.show", event_id=event_id))
        quarter = Quarter.from_index(event.period)
        indicator = str(event.data.get("indicator", ""))
        returns = submitted_returns(connection, event.scheme, [quarter]).get((indicator, quarter), [])
        expected = expected_returns(connection, [event.scheme], quarter.year)
        names = reads.scheme_names(connection)
    this = next((r for r in returns if r.event_id == event_id), None)
    label = next((e.label for e in expected if e.indicator == indicator), indicator)
    return render_template("returns/submitted.html", listed=listed, quarter=quarter,
                           indicator=indicator, label=label, this=this, returns=returns,
                           scheme_name=names.get(event.scheme, event.scheme))


@bp.context_processor
def _words() -> dict[str, Any]:
    return {"return_words": return_words, "replaced_words": replaced_words}


def return_words(submitted: Submitted) -> str:
    """A return as the pages say it: "334, submitted on 3 July 2025 by pat"."""
    return f"{submitted.value:,}, submitted on {local_day(submitted.submitted_on)} by {submitted.submitted_by}"


def replaced_words(submitted: Submitted) -> str:
    """The return it replaces, as the pages say it: "334 submitted on 3 July 2025"."""
    before = submitted.replaces
    return "" if before is None else f"{before.value:,} submitted on {local_day(before.submitted_on)}"
