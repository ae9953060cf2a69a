"""Log an event: choose a scheme, then a type, then fill in the form generated from its schema."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.roles import LOG_EVENTS
from casebook.services import reads
from casebook.services.recording import record
from casebook.settings import time_limits
from casebook.web.audit import CASE_DENIED, audited, named_in_form, shown
from casebook.web.auth import can_log, can_read_events, readable_schemes, requires
from casebook.web.form_errors import merged_errors, submission_errors
from casebook.web.forms import EventForm, form_for, read_submission
from casebook.web.pages import closed_case, describe
from casebook.web.pages.closed_case import reopen_step
from casebook.web.pages.new_case import CONFIRMED, new_case_step, offered_reference
from events.clock import utc_now
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.model import NewEvent
from events.quarters import FinancialYear, local_date
from events.store import get_event
from events.types import EVENT_TYPES, EventType
from projections.catalogue import NoPlan, load_plans

bp = Blueprint("log", __name__, url_prefix="/log")

#: Sent by the choice pages' forms, so "Continue" with nothing chosen is told apart from arriving.
_ANSWERED = "answered"


def loggable_schemes() -> list[reads.Scheme]:
    """The schemes the signed-in user may log to: not retired, and theirs if a partner."""
    with reading(engine()) as connection:
        found = reads.all_schemes(connection)
    return [s for s in found if not s.retired and can_log(current_user, s.scheme_id)]


def loggable_types(scheme_id: str) -> list[EventType]:
    """The event types staff log by hand in the scheme (voids have their own button): those it
    logs in the plan in force this financial year (spec §8)."""
    year = FinancialYear.of(local_date(utc_now()))
    with reading(engine()) as connection:
        try:
            logged = load_plans(connection).for_year(year).plan.types_of(scheme_id)
        except NoPlan:
            logged = None
    return [t for t in EVENT_TYPES.values()
            if t.loggable and (logged is None or t.name in logged)]


def scheme_for_logging(scheme_id: str) -> reads.Scheme:
    """The scheme, if the user may log to it: 404 if unknown or retired, 403 if not theirs."""
    with reading(engine()) as connection:
        found = {s.scheme_id: s for s in reads.all_schemes(connection)}
    scheme = found.get(scheme_id)
    if scheme is None or scheme.retired:
        abort(404)
    if not can_log(current_user, scheme_id):
        abort(403)
    return scheme


@bp.route("", methods=["GET"])
@requires(LOG_EVENTS)
def choose_scheme() -> Any:
    """Ask which scheme the event belongs to."""
    schemes = loggable_schemes()
    case = request.args.get("case", "").strip()
    chosen = request.args.get("scheme")
    error = None
    # "Continue" with no radio chosen sends only the form's marker: say so, never reload silently.
    if chosen is not None or _ANSWERED in request.args:
        if chosen in {s.scheme_id for s in schemes}:
            return redirect(url_for("log.choose_type", scheme_id=chosen, case=case or None,
                                    seen=request.args.get("seen")))
        error = "Select the scheme the event belongs to"
    elif len(schemes) == 1:
        return redirect(url_for("log.choose_type", scheme_id=schemes[0].scheme_id,
                                case=case or None))
    return render_template("log/choose_scheme.html", schemes=schemes, error=error, case=case)


@bp.route("/<scheme_id>", methods=["GET"])
@requires(LOG_EVENTS)
def choose_type(scheme_id: str) -> Any:
    """Ask what kind of event it is."""
    scheme = scheme_for_logging(scheme_id)
    types = loggable_types(scheme_id)
    case = request.args.get("case", "").strip()
    chosen = request.args.get("type")
    error = None
    if chosen is not None or _ANSWERED in request.args:
        if chosen in {t.name for t in types}:
            return redirect(url_for("log.event_form", scheme_id=scheme_id, type_name=chosen,
                                    case=case or None, seen=request.args.get("seen")))
        error = "Select what happened"
    return render_template("log/choose_type.html", scheme=scheme, types=types, error=error,
                           case=case, seen=request.args.get("seen", ""))


@bp.route("/<scheme_id>/<type_name>", methods=["GET", "POST"])
# The form shows what the user typed; only its conflict page shows the case's events.
@audited(None, denied=CASE_DENIED, names=named_in_form)
@requires(LOG_EVENTS)
def event_form(scheme_id: str, type_name: str) -> Any:
    """The event's form; on a good submission, store it and show the case (or the event)."""
    scheme = scheme_for_logging(scheme_id)
    event_type = EVENT_TYPES.get(type_name)
    if event_type is None or not event_type.loggable:
        abort(404)
    # A type this year's plan leaves out is still served: the store checks an event against
    # the plan of the year it happened in.
    form = form_for(event_type, describe.adopted_vocabulary())
    if request.method == "GET":
        case = request.args.get("case", "").strip()
        values = {"case": case} if form.case_allowed else {}
        # A link naming what meets a due item (the case page's) preselects that choice.
        values.update({f.input_id: request.args[f.name] for f in form.fields
                       if request.args.get(f.name) in {value for value, _ in f.choices}})
        # The version the user saw on the case page, so a change since then is caught too.
        seen = _int(request.args.get("seen"))
        return _render(form, scheme, values, {}, event_id=str(uuid.uuid4()), version_case=case,
                       case_version=seen if seen is not None and case else _version(case))
    return _submit(form, scheme)


def _submit(form: EventForm, scheme: reads.Scheme) -> Any:
    event_id = form_event_id(request.form.get("event_id", ""))
    submission = read_submission(form, scheme.scheme_id, request.form, event_id=event_id)
    version_case = request.form.get("version_case", "").strip()
    seen_version = _int(request.form.get("case_version"))
    case = submission.line.get("case")

    event, parsed = _parsed(submission.line)
    errors = merged_errors(submission, parsed, time_limits())
    if event is None or errors:
        return _render(form, scheme, submission.values, _said(form, scheme, errors),
                       event_id=event_id, version_case=version_case, case_version=seen_version)
    refused, new_case = new_case_step(event, request.form.get(CONFIRMED, ""))
    if refused or new_case:
        return _render(form, scheme, submission.values, _said(form, scheme, refused),
                       event_id=event_id, version_case=version_case, case_version=seen_version,
                       new_case=new_case)
    if reopens := reopen_step(event, request.form.get(closed_case.CONFIRMED, "")):
        return _render(form, scheme, submission.values, {}, event_id=event_id,
                       version_case=version_case, case_version=seen_version, reopens=reopens)

    expected = {}
    if case and case == version_case and seen_version is not None:
        expected[case] = seen_version
    readable = readable_schemes(current_user)
    with writing(engine()) as connection:
        recorded = record(connection, [event], expected, visible_schemes=readable)
        # The same form sent twice (a double click) carries the same event id: show the first.
        stored = recorded.stored[0] if recorded.stored else (
            get_event(connection, event.event_id) if recorded.duplicates else None)
    if recorded.conflict is not None and case:
        shown("case-conflict", f"case {case}")
        with reading(engine()) as connection:
            changes, now = reads.changes_since(connection, case, seen_version or 0, readable)
        return _render(form, scheme, submission.values, {}, event_id=event_id,
                       version_case=case, case_version=now, changes=changes, status=409)
    if recorded.reused:
        # The form was sent before (the back button) and logged an event; a changed copy of it
        # is a second event, so it gets an id of its own once the user confirms.
        return _render(form, scheme, submission.values, {}, event_id=str(uuid.uuid4()),
                       version_case=version_case, case_version=seen_version, resent=True,
                       status=409)
    if stored is None:
        return _render(form, scheme, submission.values,
                       _said(form, scheme, recorded.refusals.get(0, {})),
                       event_id=event_id, version_case=version_case, case_version=seen_version)

    flash(f"{describe.type_title(stored.type)} logged"
          + (f" in case {stored.case_ref}" if stored.case_ref else ""), "success")
    if stored.case_ref:
        return redirect(url_for("cases.show", case_ref=stored.case_ref), code=303)
    return redirect(url_for("events.show", event_id=stored.event_id), code=303)


def _said(form: EventForm, scheme: reads.Scheme, errors: dict[str, list[str]]) -> dict[str, str]:
    """The errors as the page says them: the scheme by its name, never its id."""
    return submission_errors(form, errors, scheme_id=scheme.scheme_id, scheme_name=scheme.name)


def _parsed(line: dict[str, Any]) -> tuple[NewEvent | None, dict[str, list[str]]]:
    """The form's event, checked against its schema and the vocabulary adopted: the event, or
    what is wrong with it."""
    with reading(engine()) as connection:
        acceptance = load_plans(connection).acceptance
    try:
        return parse_event(line, default_recorded_by=current_user.username,
                           limits=time_limits(), acceptance=acceptance), {}
    except InvalidEvent as invalid:
        return None, dict(invalid.errors)


def _render(form: EventForm, scheme: reads.Scheme, values: dict[str, str],
            errors: dict[str, str], *, event_id: str, version_case: str,
            case_version: int | None, changes: list[reads.ListedEvent] | None = None,
            resent: bool = False, status: int | None = None, new_case: str | None = None,
            reopens: str | None = None) -> Any:
    page = render_template(
        "log/event_form.html",
        form=form, scheme=scheme, values=values, errors=errors, event_id=event_id,
        version_case=version_case, case_version=case_version, changes=changes, resent=resent,
        new_case=new_case, reopens=reopens,
        next_reference=offered_reference(scheme.scheme_id) if form.case_allowed else None,
    )
    if status is None:
        status = 422 if errors else 200
    return page, status


def _version(case: str) -> int | None:
    if not case:
        return None
    with reading(engine()) as connection:
        return reads.case_version(connection, case, readable_schemes(current_user))


def form_event_id(raw: str) -> str:
    """The form's event id; a new one for an id that is not a UUID or names another's event."""
    try:
        event_id = str(uuid.UUID(raw))
    except ValueError:
        return str(uuid.uuid4())
    with reading(engine()) as connection:
        scheme = reads.event_scheme(connection, event_id)
    # An event of a scheme the user cannot read is one that does not exist: logging under a new
    # id, rather than answering "this form has already logged an event", keeps it so.
    if scheme is not None and not can_read_events(current_user, scheme):
        return str(uuid.uuid4())
    return event_id


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


@bp.context_processor
def _describe() -> dict[str, Any]:
    return {"describe": describe, "answered": _ANSWERED}
