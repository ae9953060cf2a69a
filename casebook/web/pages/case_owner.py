"""Giving a case an owner from its page: "Assign to me", and "Assign to someone else" among the
people who may log in its scheme. Each logs a `case.assigned` event (POST, redirect, GET)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.roles import LOG_EVENTS
from casebook.services import reads
from casebook.services.case_owners import CaseState, assignable_officers, case_state
from casebook.services.recording import record
from casebook.settings import time_limits
from casebook.web import clock
from casebook.web.audit import CASE_DENIED, audited
from casebook.web.auth import can_log, can_read_events, readable_schemes, requires
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.types import CASE_ASSIGNED

#: Registered on the cases blueprint: its pages are the case's (`cases.owner.…`, under /cases).
bp = Blueprint("owner", __name__)

CHOOSE = "Select who to assign the case to"


@bp.route("/assign-to-me/<path:case_ref>", methods=["POST"])
@audited(None, denied=CASE_DENIED)
@requires(LOG_EVENTS)
def assign_to_me(case_ref: str) -> Any:
    """Make the signed-in user the case's owner."""
    case, _ = _case_to_assign(case_ref)
    refused = _assign(case, current_user.username)
    if refused:
        flash(refused, "error")
    return redirect(url_for("cases.show", case_ref=case.case_ref), code=303)


@bp.route("/assign/<path:case_ref>", methods=["GET", "POST"])
@audited(None, denied=CASE_DENIED)
@requires(LOG_EVENTS)
def assign(case_ref: str) -> Any:
    """Choose the case's owner among the active users who may log in its scheme."""
    case, state = _case_to_assign(case_ref)
    with reading(engine()) as connection:
        officers = assignable_officers(connection, case.scheme)
    if request.method == "GET":
        return _form(case, state, officers, "", None)
    chosen = request.form.get("owner", "").strip()
    if not chosen:
        return _form(case, state, officers, chosen, CHOOSE)
    if chosen not in officers:
        # The same words for someone who does not exist and someone who may not have the case.
        return _form(case, state, officers, chosen,
                     "Officer must be someone who may log events in this case's scheme: choose "
                     "one of the people listed")
    refused = _assign(case, chosen)
    if refused:
        return _form(case, state, officers, chosen, refused)
    return redirect(url_for("cases.show", case_ref=case.case_ref), code=303)


def _case_to_assign(case_ref: str) -> tuple[reads.CaseSummary, CaseState | None]:
    """The case, if the user may log in it: 404 if unknown or not theirs to read, 403 if they
    may read it but not log (a retired scheme's cases take nothing new)."""
    with reading(engine()) as connection:
        case = reads.find_case(connection, case_ref)
        if case is None or not can_read_events(current_user, case.scheme):
            abort(404)
        scheme = {s.scheme_id: s for s in reads.all_schemes(connection)}.get(case.scheme)
        state = case_state(connection, case.case_ref)
    if not can_log(current_user, case.scheme) or scheme is None or scheme.retired:
        abort(403)
    return case, state


def _assign(case: reads.CaseSummary, officer: str) -> str | None:
    """Log the assignment; what was refused, in words, or None once it is stored."""
    line = {"type": CASE_ASSIGNED, "scheme": case.scheme, "case": case.case_ref,
            "occurred_at": clock.now().isoformat(), "data": {"officer": officer}}
    try:
        event = parse_event(line, default_recorded_by=current_user.username, limits=time_limits())
    except InvalidEvent as invalid:
        return " ".join(m for messages in invalid.errors.values() for m in messages)
    with writing(engine()) as connection:
        recorded = record(connection, [event], visible_schemes=readable_schemes(current_user))
    if recorded.refused:
        said = recorded.refusals.get(0, {})
        return " ".join(m for messages in said.values() for m in messages) or "Try again."
    you = officer == current_user.username
    flash(f"Case {case.case_ref} assigned to {'you' if you else officer}", "success")
    return None


def _form(case: reads.CaseSummary, state: CaseState | None, officers: list[str], chosen: str,
          error: str | None) -> Any:
    page = render_template("cases/assign.html", case=case, state=state, officers=officers,
                           chosen=chosen, error=error)
    return page, 422 if error else 200
