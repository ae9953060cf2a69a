"""The JSON API: append events, list them page by page, read the summary; bearer tokens only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import Blueprint, current_app, jsonify, request, stream_with_context
from flask_login import current_user
from werkzeug.wrappers import Response

from casebook.database import engine
from casebook.roles import LOG_EVENTS, READ_EVENTS, READ_FIGURES
from casebook.services.event_filter import read_filter
from casebook.services.export_rows import interchange_lines
from casebook.services.recording import record
from casebook.settings import time_limits
from casebook.web import clock
from casebook.web.api.errors import api_error
from casebook.web.api.openapi import openapi_document
from casebook.web.audit import (
    CASE_DENIED,
    EVENT_DENIED,
    audited,
    named_in_posted_events,
    named_in_query,
)
from casebook.web.auth import can_log, can_read_figures, readable_schemes, requires
from casebook.web.figure_access import disclosures, small_number_threshold
from events.acceptance import Acceptance
from events.db import reading, writing
from events.interchange import InvalidEvent, parse_event
from events.model import NewEvent
from events.quarters import BadPeriod, FinancialYear, parse_quarter_label
from events.types import SUBJECT_ERASED
from projections.catalogue import load_plans
from projections.disclosure import live_summary

bp = Blueprint("api", __name__, url_prefix="/api")

#: Most events one POST may carry; larger batches belong in `casebook import`.
MAX_EVENTS_PER_REQUEST = 1000
DEFAULT_PAGE = 100
MAX_PAGE = 1000


class BadRequest(Exception):
    """A request the API cannot act on, with the status and per-field messages to send back."""

    def __init__(self, status: int, message: str, fields: Mapping[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields or {})


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest) -> Response:
    return api_error(error.status, error.message, error.fields)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API, with the vocabulary adopted so far."""
    with reading(engine()) as connection:
        adopted = load_plans(connection).vocabulary
    return jsonify(openapi_document(max_events=MAX_EVENTS_PER_REQUEST, default_page=DEFAULT_PAGE,
                                    max_page=MAX_PAGE, adopted=adopted))


@bp.post("/events")
@audited(None, denied=CASE_DENIED, names=named_in_posted_events)
@requires(LOG_EVENTS)
def post_events() -> Response | tuple[Response, int]:
    """Append one event or a list of them: all of them, or none."""
    items, expected = _posted_events(request.get_json(silent=True))
    for index, item in enumerate(items):
        scheme = item.get("scheme") if isinstance(item, dict) else None
        if isinstance(scheme, str) and not can_log(current_user, scheme):
            raise BadRequest(403, f"Item {index}: you may not log events in the scheme "
                                  f"{scheme!r}.")
    with reading(engine()) as connection:
        acceptance = load_plans(connection).acceptance
    parsed, refused = _parse_all(items, acceptance)
    if refused:
        return _refusal(refused)
    with writing(engine()) as connection:
        # Another scheme's case in expected_versions answers as a case not yet opened.
        recorded = record(connection, parsed, expected, visible_schemes=readable_schemes(current_user))
    if recorded.refusals:
        return _refusal(recorded.refusals)
    if (conflict := recorded.conflict) is not None:
        return api_error(409, str(conflict), case=conflict.case_ref,
                         expected_version=conflict.expected, actual_version=conflict.actual)
    return jsonify({
        "ids": [event.event_id for event in parsed],
        "written": len(recorded.stored),
        "duplicates": recorded.duplicates,
        "positions": {stored.event_id: stored.position for stored in recorded.stored},
    }), 201


def _posted_events(body: Any) -> tuple[list[Any], dict[str, int]]:
    expected: dict[str, int] = {}
    if isinstance(body, dict) and "events" in body:
        unknown = sorted(set(body) - {"events", "expected_versions"})
        if unknown:
            raise BadRequest(422, "Unknown fields in the request.",
                             {name: ["Unknown field."] for name in unknown})
        expected = _expected_versions(body.get("expected_versions"))
        body = body["events"]
    if isinstance(body, dict):
        items = [body]
    elif isinstance(body, list):
        items = body
    else:
        raise BadRequest(400, "Send a JSON object (one event), a list of events, or "
                              '{"events": [...], "expected_versions": {...}} with the header '
                              "Content-Type: application/json.")
    if not items:
        raise BadRequest(422, "Send at least one event.", {"events": ["Empty list."]})
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise BadRequest(413, f"Send at most {MAX_EVENTS_PER_REQUEST} events per request; "
                              "use `casebook import` for larger files.")
    return items, expected


def _expected_versions(raw: Any) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in raw.items()
    ):
        raise BadRequest(422, "expected_versions maps case references to versions.",
                         {"expected_versions": ["Must be an object of case: whole number ≥ 0."]})
    return dict(raw)


def _parse_all(items: list[Any], acceptance: Acceptance,
               ) -> tuple[list[NewEvent], dict[int, dict[str, list[str]]]]:
    """Each item as an event, or what is wrong with it (its schema, the plan's vocabulary and
    its scheme's types), so one answer lists every item at fault (the store checks again)."""
    username = current_user.username
    limits = time_limits()
    parsed: list[NewEvent] = []
    refused: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        try:
            if isinstance(item, dict) and item.get("recorded_by", username) != username:
                raise InvalidEvent({"recorded_by": [
                    f"Events sent with your token are recorded by {username}; leave it out."]})
            if isinstance(item, dict) and item.get("type") == SUBJECT_ERASED:
                # Only `casebook erase` records one, as it destroys the key in the same step.
                raise InvalidEvent({"type": [
                    "An erasure is recorded by `casebook erase`, which destroys the key."]})
            parsed.append(parse_event(item, default_recorded_by=username, limits=limits,
                                      acceptance=acceptance))
        except InvalidEvent as error:
            refused[index] = error.errors
    return parsed, refused


def _refusal(by_item: Mapping[int, Mapping[str, list[str]]]) -> Response:
    return api_error(
        422, "Nothing was stored: correct the events listed and send them all again.",
        items=[{"index": index, "fields": dict(fields)} for index, fields in sorted(by_item.items())],
    )


@bp.get("/events")
@audited("api-events-read", denied=EVENT_DENIED, names=named_in_query)
@requires(READ_EVENTS)
def list_events() -> Response:
    """Events in the order stored, filtered, a page at a time after a position."""
    args = request.args
    errors: dict[str, list[str]] = {}
    after = _whole_number(args.get("after"), "after", 0, errors)
    limit = _whole_number(args.get("limit"), "limit", DEFAULT_PAGE, errors)
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        errors["limit"] = [f"Must be from 1 to {MAX_PAGE}."]
    chosen, unreadable = read_filter(args)
    errors.update({name: [message] for name, message in unreadable.items()})
    if errors:
        raise BadRequest(400, "Some filters could not be read.", errors)
    readable = readable_schemes(current_user)
    if chosen.scheme and readable is not None and chosen.scheme not in readable:
        raise BadRequest(403, f"You may not read events in the scheme {chosen.scheme!r}.")
    bound = engine()

    def body() -> Iterator[str]:
        """The page as JSON, a batch of events at a time: memory stays flat however large."""
        dumps = current_app.json.dumps
        yield '{"events": ['
        count, last = 0, None
        with reading(bound) as connection:
            # Personal fields come back decrypted; the page's positions come from the
            # filters' indexes alone (event_filter.page_positions).
            for lines in interchange_lines(connection, chosen, readable, after=after or 0,
                                           limit=limit or DEFAULT_PAGE):
                yield ("," if count else "") + ",".join(dumps(line) for line in lines)
                count, last = count + len(lines), lines[-1]["position"]
        yield '], "next_after": ' + dumps(last if count == limit else None) + "}\n"

    return Response(stream_with_context(body()), mimetype="application/json")


def _whole_number(raw: str | None, name: str, default: int,
                  errors: dict[str, list[str]]) -> int | None:
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 18:
        errors[name] = ["Must be a whole number."]
        return None
    return int(raw)


@bp.get("/summary")
@audited("api-summary-read")
@requires(READ_FIGURES)
def summary() -> Response:
    """The figures for a financial year or quarter: the same JSON as `casebook summary`."""
    if not can_read_figures(current_user):
        raise BadRequest(403, "You may not read figures.")
    year_text = request.args.get("year")
    quarter_text = request.args.get("quarter")
    if not year_text:
        raise BadRequest(400, "Name the financial year, like ?year=2024/25.",
                         {"year": ["Required."]})
    try:
        year = FinancialYear.parse(year_text)
        quarter = parse_quarter_label(quarter_text) if quarter_text else None
    except BadPeriod as error:
        raise BadRequest(400, str(error)) from error
    with reading(engine()) as connection:
        # Other schemes' figures as published for a partner; free-text names where cases are read.
        return jsonify(live_summary(connection, year, quarter, threshold=small_number_threshold(),
                                    disclosure_of=disclosures(current_user), now=clock.now()))

