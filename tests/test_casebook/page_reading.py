"""Posting and reading pages in the page tests: forms with their CSRF token, words, error summaries."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.test_casebook.conftest import csrf_token_from


def post_form(client: FlaskClient, url: str, data: dict[str, Any],
              form_url: str | None = None, *, confirm_new_case: bool = True) -> TestResponse:
    """GET the form (for its CSRF token and hidden fields), then POST `data` over its fields;
    where the log form asks "This opens a new case", answer yes (unless `confirm_new_case` is
    False), as a user who means the new reference does."""
    page = client.get(form_url or url)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    fields = hidden_fields(html)
    fields.update(data)
    fields["csrf_token"] = csrf_token_from(html)
    answer = client.post(url, data=fields)
    asked = answer.get_data(as_text=True) if answer.status_code == 200 else ""
    if confirm_new_case and 'name="new_case"' in asked:
        fields.update(hidden_fields(asked))
        return client.post(url, data=fields)
    return answer


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's form."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = unescape(value.group(1)) if value else ""
    return found


def text_of(response: TestResponse) -> str:
    """The page's visible words, tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def error_summary_links(response: TestResponse) -> dict[str, str]:
    """The error summary's links: href target to message."""
    html = response.get_data(as_text=True)
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, flags=re.S)
    assert summary, "the page has no error summary"
    return {
        href: re.sub(r"\s+", " ", unescape(text)).strip()
        for href, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary.group(0), flags=re.S)
    }


def date_fields(day: str, month: str = "5", year: str = "2024", time: str = "") -> dict[str, str]:
    return {"occurred-day": day, "occurred-month": month, "occurred-year": year,
            "occurred-time": time}
