"""The HTML check the browser journeys rely on: it finds invalid pages, and keeps what was served.

A checker that passes everything would let every journey pass; these tests show it fails a page
with a duplicate id or a `<time>` a machine cannot read, names the page and line, and that the
server-side recorder keeps exactly the HTML documents sent (not the stylesheets or downloads).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from projections.presentation.html_time import html_datetime
from tests.html_check import HtmlPages, ServedPage, html_errors

VALID = ("<!DOCTYPE html><html lang='en'><head><title>t</title></head>"
         "<body><main><h1>Case</h1><p id='a'>x</p>{}</main></body></html>")


def test_the_html_check_finds_a_duplicate_id_and_names_the_page_and_line() -> None:
    invalid = VALID.format("<p id='a'>y</p>").replace("<main>", "\n<main>")
    errors = html_errors([ServedPage("GET /good", VALID.format("").encode()),
                          ServedPage("GET /cases/X-1", invalid.encode())])
    assert len(errors) == 1, errors
    assert errors[0].startswith("GET /cases/X-1 line 2: Duplicate ID")


def test_the_html_check_refuses_microseconds_in_a_time_element() -> None:
    stored = datetime(2024, 5, 3, 13, 5, 0, 123456, tzinfo=UTC)
    bad = VALID.format(f"<time datetime='{stored.isoformat()}'>3 May</time>")
    good = VALID.format(f"<time datetime='{html_datetime(stored)}'>3 May</time>")
    errors = html_errors([ServedPage("GET /bad", bad.encode()),
                          ServedPage("GET /good", good.encode())])
    assert [error.partition(" line")[0] for error in errors] == ["GET /bad"]
    assert "fraction of a second" in errors[0]


@pytest.mark.parametrize(("moment", "written"), [
    (datetime(2024, 5, 3, 14, 5, 0, 999999, tzinfo=timezone(timedelta(hours=1))),
     "2024-05-03T13:05:00Z"),
    ("2024-12-01T08:30:15.5+00:00", "2024-12-01T08:30:15Z"),
    (datetime(2024, 5, 3, 14, 5), "2024-05-03T14:05:00Z"),
    (date(2024, 5, 3), "2024-05-03"),
])
def test_a_moment_is_written_for_html_to_the_second_in_utc(moment: Any, written: str) -> None:
    assert html_datetime(moment) == written


def test_the_recorder_keeps_the_html_documents_served_and_nothing_else() -> None:
    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/style.css":
            return Response("p {}", mimetype="text/css")
        return Response(f"<p>{request.path}</p>", mimetype="text/html")

    served = HtmlPages(app)
    client = Client(served)
    assert client.get("/style.css").status_code == 200
    response = client.get("/cases?ref=X")
    assert response.get_data(as_text=True) == "<p>/cases</p>"
    client.post("/void")
    assert served.pages == [ServedPage("GET /cases?ref=X", b"<p>/cases</p>"),
                            ServedPage("POST /void", b"<p>/void</p>")]
