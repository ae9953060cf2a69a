"""Reading what a request sends so that no value of it can make a server error.

Whole numbers in addresses stop at the databases' largest integer (a larger one is "not found"),
and JSON too deeply nested or holding half a character is a bad request (400) on every route.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

from events.interchange import read_json

#: The largest whole number either database stores (a signed 64-bit integer).
LARGEST_STORED = 2**63 - 1


class StoredInteger(IntegerConverter):
    """`<int:…>` in a route: a number larger than any stored id matches no page (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_STORED)
        super().__init__(map, *args, **kwargs)


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, read with `events.interchange.read_json`: its ValueError is Flask's 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return read_json(s)


def init_untrusted(app: Flask) -> None:
    """Install the bounded `int` converter and the checked JSON reader, before any route."""
    app.url_map.converters["int"] = StoredInteger
    app.json = CheckedJSONProvider(app)


def position_arg(name: str) -> int | None:
    """A query argument naming a place in the log: absent is None, anything unreadable 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 19 or int(raw) > LARGEST_STORED:
        abort(400)
    return int(raw)
