"""Cases: search by reference, the list of recent cases, and a case's timeline."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from casebook.database import engine
from casebook.roles import READ_EVENTS
from casebook.services import reads
from casebook.web.audit import CASE_DENIED, audited
from casebook.web.auth import can_log, can_read_events, readable_schemes, requires
from casebook.web.pages import describe
from events.db import reading
from events.references import case_key

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.context_processor
def _describe() -> dict[str, Any]:
    return {"describe": describe}


@bp.route("")
@audited("case-search")
@requires(READ_EVENTS)
def search() -> Any:
    """Find cases by reference (exact or the start of it); without a search, the recent ones."""
    text = request.args.get("q", "").strip()
    readable = readable_schemes(current_user)
    with reading(engine()) as connection:
        found = reads.search_cases(connection, text, readable)
        names = reads.scheme_names(connection)
    exact = [c for c in found if c.case_ref == case_key(text)]
    return render_template("cases/search.html", q=text, cases=found, names=names,
                           exact=exact[0] if exact else None)


@bp.route("/<path:case_ref>")
@audited("case-read", denied=CASE_DENIED)
@requires(READ_EVENTS)
def show(case_ref: str) -> Any:
    """A case: its summary and the timeline of every event, voided ones struck through."""
    with reading(engine()) as connection:
        case = reads.find_case(connection, case_ref)
        if case is None or not can_read_events(current_user, case.scheme):
            abort(404)
        timeline = reads.case_events(connection, case_ref, case.scheme)
        schemes = {s.scheme_id: s for s in reads.all_schemes(connection)}
    scheme = schemes.get(case.scheme)
    return render_template(
        "cases/show.html",
        case=case,
        scheme_name=scheme.name if scheme else case.scheme,
        status=reads.case_status(timeline),
        timeline=sorted(timeline, key=lambda e: (e.event.occurred_at, e.event.position),
                        reverse=True),
        # Nothing new is logged to a retired scheme, so its cases offer no "log" or "void".
        can_log=can_log(current_user, case.scheme) and scheme is not None and not scheme.retired,
    )
