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
from casebook.web.forms import form_for
from casebook.web.pages import describe
from events.checks import DEPENDENTS, void_chain
from events.clock import utc_now
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.model import NewEvent
from events.rules import CaseEntry
from events.types import EVENT_TYPES, VOIDED

bp = Blueprint("void", __name__, url_prefix="/events")

_REASON_MISSING = "Enter why this event is being voided"
_CHAIN_CHANGED = ("The events that depend on this one changed while you were working: check "
                  "the list again. Nothing has been voided yet.")


@bp.context_processor
def _describe() -> dict[str, Any]:
    # The schema's own limit, so the character count and the refusal can never disagree.
    reason = form_for(EVENT_TYPES[VOIDED]).fields
    return {"describe": describe,
            "reason_limit": next(f.max_length for f in reason if f.name == "reason")}


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
    cascade = request.form.get("cascade") == "yes"
    chain = _chain(target.event.event_id)
    if cascade and [e.event_id for e in chain] != request.form.getlist("chain"):
        # What depends on the event changed since the list was shown: show it as it is now.
        if not chain:
            return _render(target, reason, {"reason": _CHAIN_CHANGED}, seen, status=422)
        return _render_chain(target, reason, chain, seen, _CHAIN_CHANGED)
    ids = [*(e.event_id for e in chain if cascade), target.event.event_id]
    try:
        voids = [_void_of(target.event.scheme, event_id, reason) for event_id in ids]
    except InvalidEvent as invalid:
        return _render(target, reason, {"reason": _messages(invalid.errors)}, seen, status=422)
    expected = {case: seen} if case and seen is not None else {}
    readable = readable_schemes(current_user)
    with writing(engine()) as connection:
        # The chain's voids go in one append: all of them are stored, or none.
        recorded = record(connection, voids, expected, visible_schemes=readable)
    if recorded.conflict is not None and case:
        shown("case-conflict", f"case {case}")
        with reading(engine()) as connection:
            changes, now = reads.changes_since(connection, case, seen or 0, readable)
        return _render(target, reason, {}, now, changes=changes, status=409)
    if not recorded.stored:
        refusals = recorded.refusals
        if not cascade and chain and DEPENDENTS in refusals.get(0, {}):
            return _render_chain(target, reason, chain, seen,
                                 _messages(refusals.get(0, {})))
        merged: dict[str, list[str]] = {}
        for fields in refusals.values():
            for name, messages in fields.items():
                merged.setdefault(name, []).extend(messages)
        return _render(target, reason, {"reason": _messages(merged)}, seen, status=422)
    title = describe.type_title(target.event.type)
    flash(f"{title} and {len(chain)} more voided" if cascade else f"{title} voided", "success")
    if case:
        return redirect(url_for("cases.show", case_ref=case), code=303)
    return redirect(url_for("events.show", event_id=target.event.event_id), code=303)


def _void_of(scheme: str, event_id: str, reason: str) -> NewEvent:
    """The `event.voided` of one event, recorded by the signed-in user now."""
    line = {
        "type": VOIDED,
        "scheme": scheme,
        "occurred_at": utc_now().isoformat(),
        "data": {"target": event_id, "reason": reason.strip()},
    }
    return parse_event(line, default_recorded_by=current_user.username, limits=time_limits())


def _chain(event_id: str) -> list[CaseEntry]:
    """The standing events that would have to be voided with this one (its case's, so its
    scheme's: nothing another scheme's user may not see)."""
    with reading(engine()) as connection:
        return void_chain(connection, event_id)


def _render_chain(target: reads.ListedEvent, reason: str, chain: list[CaseEntry],
                  case_version: int | None, message: str) -> Any:
    """The refusal, and the offer to void the event with every event that depends on it."""
    with reading(engine()) as connection:
        listed = [reads.get_listed_event(connection, e.event_id) for e in chain]
    return render_template(
        "events/void_chain.html", target=target, reason=reason.strip(),
        chain=[e for e in listed if e is not None], case_version=case_version,
        errors={"chain": message},
    ), 422


def _messages(errors: dict[str, list[str]]) -> str:
    """Every reason the void was refused, as one message under the reason field, naming a
    scheme by its name, never its id."""
    # The dependents' ids are for programs: the message before them names them in words.
    said = " ".join(m for f, ms in errors.items() if f != DEPENDENTS for m in ms) or (
        "The event could not be voided")
    with reading(engine()) as connection:
        names = reads.scheme_names(connection)
    for scheme_id, name in names.items():
        said = said.replace(f"the scheme {scheme_id!r}", name).replace(repr(scheme_id), name)
    return said


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
