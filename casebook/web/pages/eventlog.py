"""The event log: every event the user may read, filtered, paged by position, and as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.roles import READ_EVENTS
from casebook.services import reads
from casebook.services.event_filter import EventFilter, read_filter
from casebook.services.export_rows import csv_text
from casebook.web.audit import EVENT_DENIED, audited
from casebook.web.auth import can_log, can_read_events, readable_schemes, requires
from casebook.web.pages import describe
from casebook.web.untrusted import position_arg
from events.db import reading
from events.types import EVENT_TYPES

bp = Blueprint("events", __name__, url_prefix="/events")

PAGE_SIZE = 50


@bp.context_processor
def _describe() -> dict[str, Any]:
    return {"describe": describe}


def _filters() -> tuple[EventFilter, dict[str, str]]:
    """The filters asked for, and an error message per filter that could not be read."""
    chosen, errors = read_filter(request.args)
    if chosen.scheme and not can_read_events(current_user, chosen.scheme):
        abort(403)
    return chosen, errors


@bp.route("")
@audited("event-log-read", denied=EVENT_DENIED)
@requires(READ_EVENTS)
def index() -> Any:
    """The filtered event log, newest first, one page at a time."""
    chosen, errors = _filters()
    readable = readable_schemes(current_user)
    before = position_arg("before")
    with reading(engine()) as connection:
        page = reads.filtered_events(connection, chosen, readable, before=before,
                                       limit=PAGE_SIZE + 1)
        schemes = [s for s in reads.all_schemes(connection)
                   if readable is None or s.scheme_id in readable]
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    arguments: dict[str, Any] = {k: v for k, v in request.args.items() if k != "before" and v}
    next_url = (url_for("events.index", **arguments, before=page[-1].event.position)
                if more else None)
    return render_template(
        "events/index.html", page=page, chosen=chosen, errors=errors, args=request.args,
        schemes=schemes, types=list(EVENT_TYPES.values()),
        names={s.scheme_id: s.name for s in schemes}, next_url=next_url,
        first_url=url_for("events.index", **arguments) if before else None,
        csv_url=url_for("events.download", **arguments),
    )


@bp.route("/events.csv")
@audited("event-log-csv", denied=EVENT_DENIED)
@requires(READ_EVENTS)
def download() -> Response:
    """The filtered event log as CSV, in the order stored."""
    chosen, errors = _filters()
    if errors:
        abort(400)
    readable = readable_schemes(current_user)
    bound = engine()

    def rows() -> Iterator[str]:
        with reading(bound) as connection:
            yield from csv_text(connection, chosen, readable)

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="casebook-events.csv"'
    return response


@bp.route("/<event_id>")
@audited("event-read", denied=EVENT_DENIED)
@requires(READ_EVENTS)
def show(event_id: str) -> Any:
    """One event, with its void if voided."""
    with reading(engine()) as connection:
        listed = reads.get_listed_event(connection, event_id)
        names = reads.scheme_names(connection)
    if listed is None or not can_read_events(current_user, listed.event.scheme):
        abort(404)
    return render_template("events/show.html", listed=listed,
                           scheme_name=names.get(listed.event.scheme, listed.event.scheme),
                           can_void=can_log(current_user, listed.event.scheme))
