"""What each view shows, declared beside it, and the one access log row each response writes.

A view marked `@audited("case-read", denied="case-denied")` records one row for every response
that shows personal data, and one for every refused attempt (403 or 404) at a case or an event,
whether the thing asked for exists or not. A request naming a case or event of a scheme the user
may not read (in a form, a query or a JSON body) is recorded as refused whatever the response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from casebook.database import engine
from casebook.services.access_log import log_access
from casebook.web.auth import readable_schemes
from events.db import reading, writing
from events.tables import events

F = TypeVar("F", bound=Callable[..., Any])

CASE_DENIED = "case-denied"
EVENT_DENIED = "event-denied"
#: Statuses that refuse what was asked for: another scheme's case is a 404, like a missing one.
REFUSED = (403, 404)
#: Longest reference looked up: longer text names no case or event.
_LONGEST_REFERENCE = 100
_DECLARATION = "casebook_audit"


@dataclass(frozen=True)
class Named:
    """The case references and event ids a request names outside its URL."""

    cases: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Audit:
    """A view's declaration: the action of a response showing personal data, and of a refusal."""

    action: str | None
    on: tuple[int, ...]
    denied: str | None
    names: Callable[[], Named] | None


def requested() -> str:
    """The path and query asked for: what a row names unless the view says more."""
    return request.full_path.rstrip("?")


def audited(action: str | None, *, on: Iterable[int] = (200,), denied: str | None = None,
            names: Callable[[], Named] | None = None) -> Callable[[F], F]:
    """Declare what the view's responses are recorded as: `action` for a status in `on`, `denied`
    for 403 and 404, and a refusal for a request `names` finds naming another scheme's things."""

    def declare(view: F) -> F:
        # functools.wraps copies the function's __dict__, so the mark survives later decorators.
        vars(view)[_DECLARATION] = Audit(action, tuple(on), denied, names)
        return view

    return declare


def declaration(view: Callable[..., Any]) -> Audit | None:
    """The view's audit declaration, if it has one."""
    found = getattr(view, _DECLARATION, None)
    return found if isinstance(found, Audit) else None


def shown(action: str, detail: str = "") -> None:
    """Record this response as `action` (the request, then `detail`) instead of the declared one."""
    g.audit_shown = (action, f"{requested()} {detail}".strip())


def nothing_shown() -> None:
    """Record no read for this response: this time the view showed no personal data."""
    g.audit_shown = None


def init_audit(app: Flask) -> None:
    """Write each response's access log row once the response is ready."""
    app.after_request(_record_response)


def _record_response(response: Response) -> Response:
    view = current_app.view_functions.get(request.endpoint or "")
    audit = declaration(view) if view is not None else None
    if audit is None or not current_user.is_authenticated:
        return response
    entry = _entry(audit, response.status_code)
    if entry is not None:
        with writing(engine()) as connection:
            log_access(connection, current_user.username, *entry, address=request.remote_addr)
    return response


def _entry(audit: Audit, status: int) -> tuple[str, str] | None:
    """The (action, target) this response is recorded as, if any."""
    refused = _refused_names(_named(audit.names)) if audit.names is not None else None
    if refused is not None:
        action, detail = refused
        return action, f"{requested()} {detail}"
    if status in REFUSED:
        return (audit.denied, requested()) if audit.denied else None
    if status >= 500:
        return None
    if "audit_shown" in g:
        chosen: tuple[str, str] | None = g.audit_shown
        return chosen
    # None action: the view shows personal data only on some paths, and says so with `shown`.
    return (audit.action, requested()) if audit.action and status in audit.on else None


def _named(names: Callable[[], Named]) -> Named:
    try:
        return names()
    except HTTPException:  # a body refused unread (too large, say) names nothing
        return Named()


def _refused_names(named: Named) -> tuple[str, str] | None:
    """The refused action and what it names, when the request names another scheme's things."""
    readable = readable_schemes(current_user)
    if readable is None or not (named.cases or named.events):
        return None
    outside = events.c.scheme.not_in(sorted(readable))
    with reading(engine()) as connection:
        cases = connection.execute(
            sa.select(events.c.case_ref).distinct()
            .where(events.c.case_ref.in_(sorted(named.cases)), outside)
        ).scalars().all() if named.cases else []
        ids = connection.execute(
            sa.select(events.c.event_id).where(events.c.event_id.in_(sorted(named.events)),
                                               outside)
        ).scalars().all() if named.events else []
    if not cases and not ids:
        return None
    detail = ", ".join([*(f"case {ref}" for ref in sorted(cases)),
                        *(f"event {ref}" for ref in sorted(ids))])
    return (CASE_DENIED if cases else EVENT_DENIED), detail


def references(values: Iterable[Any]) -> frozenset[str]:
    """The values that could be a case reference or an event id."""
    found = set()
    for value in values:
        if not isinstance(value, str) or not 0 < len(value.strip()) <= _LONGEST_REFERENCE:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate names nothing and no database takes it
            continue
        found.add(value.strip())
    return frozenset(found)


def named_in_form() -> Named:
    """The case a log form asks for, in its query or its fields."""
    return Named(cases=references([request.values.get("case"),
                                   request.values.get("version_case")]))


def named_in_query() -> Named:
    """The case an API listing is filtered by."""
    return Named(cases=references([request.args.get("case")]))


def named_in_posted_events() -> Named:
    """The cases and voided events a JSON body of events names, with its expected versions."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # too deeply nested to be events: the view refuses it
        return Named()
    expected = body.get("expected_versions") if isinstance(body, dict) else None
    items = body.get("events") if isinstance(body, dict) and "events" in body else body
    listed = [items] if isinstance(items, dict) else items if isinstance(items, list) else []
    lines = [item for item in listed if isinstance(item, dict)]
    datas = [line["data"] for line in lines if isinstance(line.get("data"), dict)]
    return Named(
        cases=references([*(line.get("case") for line in lines),
                          *(expected if isinstance(expected, dict) else ())]),
        events=references(data.get("target") for data in datas),
    )
