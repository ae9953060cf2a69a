"""Sending the Plan pages' forms as a browser would: with the CSRF token, and confirmed with a
reason through the hidden fields of the confirmation page."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import FinancialYear
from projections.catalogue import load_plans
from tests.test_casebook.conftest import csrf_token_from

YEAR = FinancialYear.parse("2025/26")
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def version(engine: Engine, year: FinancialYear = YEAR) -> int:
    with reading(engine) as connection:
        return load_plans(connection).latest[year.start_year].version


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def post(client: FlaskClient, path: str, data: list[tuple[str, str]] | dict[str, Any],
         **options: Any) -> Any:
    """Post a form with the CSRF token the app gave this client."""
    token = csrf_token_from(text(client.get("/plan")))
    items = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(path, data=_multi([*items, ("csrf_token", token)]), **options)


def _multi(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in items:
        found.setdefault(name, []).append(value)
    return found


def confirm(client: FlaskClient, page: Any, reason: str) -> Any:
    """Send the confirmation form on `page` as a browser would, with this reason."""
    body = text(page)
    assert page.status_code == 200, body
    form = body[body.rindex('<form method="post"'):]
    action = html.unescape(re.search(r'action="([^"]+)"', form)[1])  # type: ignore[index]
    hidden = [(n, html.unescape(v)) for n, v in _HIDDEN.findall(form) if n != "csrf_token"]
    return post(client, action, [*hidden, ("reason", reason)])


def upload_file(content: str) -> Any:
    return io.BytesIO(content.encode())


def preview_row(table: str, year: str) -> list[str]:
    row = table[table.index(f'data-year="{year}"'):]
    return re.findall(r'numeric">([^<]+)</td>', row[:row.index("</tr>")])
