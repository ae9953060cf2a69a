"""Void an event: ask for the reason, then record `event.voided` in the event's scheme."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.roles import LOG_EVENTS
from casebook.services import reads
from casebook.services.recording import record
from casebook.settings import time_limits
from casebook.web.audit import EVENT_DENIED, audited, shown
from casebook.web.auth import can_log, readable_schemes, requires
from casebook.web.pages import describe
from events.clock import utc_now
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.schemas import LONG_TEXT
from events.types import VOIDED

bp = Blueprint("void", __name__, url_prefix="/events")

_REASON_MISSING = "Enter why this event is being voided"


@bp.context_processor
def _describe() -> dict[str, Any]:
    return {"describe": describe, "reason_limit": LONG_TEXT}


@bp.route("/<event_id>/void", methods=["GET", "POST"])
# The page shows the event; a refused reason shows it again (422).
@audited("void-page-read", on=(200, 422), denied=EVENT_DENIED)
@requires(LOG_EVENTS)
def confirm(event_id: str) -> Any:
    """Ask for the reason, and void the event when it is given."""
    with reading(engine()) as connection:
        target = reads.get_listed_event(connection, event_id)
    if target is None or not can_log(current_user, target.event.scheme):
        abort(404)
    if target.voided or target.event.type == VOIDED:
        abort(404)
    case = target.event.case_ref
    if request.method == "GET":
        return _render(target, "", {}, _seen(request.args.get("seen"), case))

    reason = request.form.get("reason", "")
    seen = _seen(request.form.get("case_version"), case)
    if not reason.strip():
        return _render(target, reason, {"reason": _REASON_MISSING}, seen, status=422)
    line = {
        "type": VOIDED,
        "scheme": target.event.scheme,
        "occurred_at": utc_now().isoformat(),
        "data": {"target": target.event.event_id, "reason": reason.strip()},
    }
    try:
        voiding = parse_event(line, default_recorded_by=current_user.username,
                              limits=time_limits())
    except InvalidEvent as invalid:
        return _render(target, reason, {"reason": _messages(invalid.errors)}, seen, status=422)
    expected = {case: seen} if case and seen is not None else {}
    readable = readable_schemes(current_user)
    with writing(engine()) as connection:
        recorded = record(connection, [voiding], expected, visible_schemes=readable)
    if recorded.conflict is not None and case:
        shown("case-conflict", f"case {case}")
        with reading(engine()) as connection:
            changes, now = reads.changes_since(connection, case, seen or 0, readable)
        return _render(target, reason, {}, now, changes=changes, status=409)
    if not recorded.stored:
        return _render(target, reason, {"reason": _messages(recorded.refusals.get(0, {}))}, seen,
                       status=422)
    flash(f"{describe.type_title(target.event.type)} voided", "success")
    if case:
        return redirect(url_for("cases.show", case_ref=case), code=303)
    return redirect(url_for("events.show", event_id=target.event.event_id), code=303)


def _messages(errors: dict[str, list[str]]) -> str:
    """Every reason the void was refused, as one message under the reason field."""
    return " ".join(m for ms in errors.values() for m in ms) or "The event could not be voided"


def _seen(raw: str | None, case: str | None) -> int | None:
    if not case:
        return None
    try:
        return int(raw) if raw else _current(case)
    except ValueError:
        return _current(case)


def _current(case: str) -> int:
    with reading(engine()) as connection:
        return reads.case_version(connection, case, readable_schemes(current_user))


def _render(target: reads.ListedEvent, reason: str, errors: dict[str, str],
            case_version: int | None, *, changes: list[reads.ListedEvent] | None = None,
            status: int = 200) -> Any:
    return render_template("events/void.html", target=target, reason=reason, errors=errors,
                           case_version=case_version, changes=changes), status
