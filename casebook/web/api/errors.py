"""The one body every error of the JSON API is sent with, as its OpenAPI document (`Error`) says:

    {"error": "not_found", "message": "What went wrong, for a person.", "fields": {...}}

`error` names the status for a program (`ERROR_NAMES`, else the HTTP reason in snake case),
`message` says what to do, and `fields` (only where some are at fault) lists each field's
problems. A refusal of posted events adds `items`, a version conflict the case and its versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

#: The names that are not the HTTP reason in snake case (as clients have always been sent them).
ERROR_NAMES = {401: "unauthorised", 413: "too_large", 422: "invalid"}
#: What a 401 answers with: the API authenticates by bearer token alone.
CHALLENGE = 'Bearer realm="casebook"'
#: Headers of an HTTP error that describe its body, which this module writes instead.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


def error_name(status: int) -> str:
    """The `error` of a body sent with `status`: "not_found", "method_not_allowed", ..."""
    if status in ERROR_NAMES:
        return ERROR_NAMES[status]
    reason = HTTP_STATUS_CODES.get(status, "error")
    return reason.lower().replace(" ", "_").replace("'", "").replace("-", "_")


def api_error(status: int, message: str, fields: Mapping[str, list[str]] | None = None, *,
              headers: Iterable[tuple[str, str]] = (), **details: Any) -> Response:
    """The JSON error response of the API: `status`, its name, `message`, and `fields` at fault.

    `details` are added to the body (`items` of a refusal, the versions of a conflict);
    `headers` are sent with it (as `Allow` with a 405), all but those describing a body."""
    body: dict[str, Any] = {"error": error_name(status), "message": message}
    if fields:
        body["fields"] = {name: list(problems) for name, problems in fields.items()}
    body.update(details)
    response = jsonify(body)
    response.status_code = status
    for name, value in headers:
        if name.lower() not in _BODY_HEADERS:
            response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", CHALLENGE)
    return response
