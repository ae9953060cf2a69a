"""Cases: the list (filters, reference and subject search, "my cases") and a case's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from casebook.database import engine
from casebook.roles import READ_EVENTS
from casebook.services import case_list, reads
from casebook.services.case_owners import case_state
from casebook.web import clock
from casebook.web.audit import CASE_DENIED, audited
from casebook.web.auth import can_log, can_read_events, readable_schemes, requires
from casebook.web.pages import case_filters, case_owner, describe
from events.db import reading
from projections.presentation.due import due_label, due_when, is_overdue

bp = Blueprint("cases", __name__, url_prefix="/cases")
bp.register_blueprint(case_owner.bp)


@bp.context_processor
def _describe() -> dict[str, Any]:
    return {"describe": describe, "due_label": due_label, "due_when": due_when,
            "is_overdue": is_overdue}


@bp.route("", methods=["GET", "POST"])
@audited("case-search")
@requires(READ_EVENTS)
def search() -> Any:
    """The cases list: open cases by default, filtered, searched by reference (GET) or by
    subject reference (POST, so that a subject's reference is never in an address), paged."""
    asked = case_filters.parse_request(request.form if request.method == "POST" else request.args)
    readable = readable_schemes(current_user)
    with reading(engine()) as connection:
        page = case_list.list_cases(connection, asked.chosen, readable,
                                    user=current_user.username, today=clock.today(),
                                    order=asked.order, after=asked.after, before=asked.before)
        schemes = [s for s in reads.all_schemes(connection)
                   if readable is None or s.scheme_id in readable]
    searched_subject = bool(asked.chosen.subject)
    return render_template(
        "cases/search.html", asked=asked, chosen=asked.chosen, page=page, schemes=schemes,
        names={s.scheme_id: s.name for s in schemes}, today=clock.today(),
        searched_subject=searched_subject, list_url=case_filters.list_url,
        mine=case_filters.plain_list(asked.chosen, "me"),
        all_open=case_filters.plain_list(asked.chosen, "anyone"),
        paging={} if searched_subject else case_filters.paging_urls(
            asked.chosen, asked.order, page.next_after, page.previous_before),
    )


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
        due = case_list.due_on_case(connection, case.case_ref, clock.today())
        state = case_state(connection, case.case_ref)
    scheme = schemes.get(case.scheme)
    return render_template(
        "cases/show.html",
        case=case,
        scheme_name=scheme.name if scheme else case.scheme,
        status=reads.case_status(timeline),
        due=due, today=clock.today(), meets=case_list.MEETS, state=state,
        timeline=sorted(timeline, key=lambda e: (e.event.occurred_at, e.event.position),
                        reverse=True),
        # Nothing new is logged to a retired scheme, so its cases offer no "log" or "void".
        can_log=can_log(current_user, case.scheme) and scheme is not None and not scheme.retired,
    )
