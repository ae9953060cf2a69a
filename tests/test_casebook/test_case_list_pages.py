"""The cases list, "my cases", what is due on the case page and the dashboard's banner."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from tests.helpers import ON_SQLITE_ONLY, event, log, notice, referral
from tests.html_check import ServedPage, html_errors
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import post_form, text_of

pytestmark = ON_SQLITE_ONLY

#: Today for every test here: a Monday, so "this week" runs to Sunday 16 June.
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
ASB = "asb-casework"


@pytest.fixture(autouse=True)
def _frozen(app: Flask) -> None:
    app.config["FROZEN_NOW"] = NOW


def assigned(case: str, officer: str, scheme: str = ASB, occurred_at: str = "2024-06-01") -> dict:
    return event("case.assigned", scheme, occurred_at, case, officer=officer)


def closed(case: str, scheme: str = "davss", occurred_at: str = "2024-06-02") -> dict:
    return event("case.closed", scheme, occurred_at, case)


def listed(client: FlaskClient, address: str) -> list[str]:
    """The case references the list shows, in its order."""
    html = client.get(address).get_data(as_text=True)
    table = re.search(r'<table class="govuk-table" id="cases">.*?</table>', html, flags=re.S)
    return re.findall(r'href="/cases/([^"]+)"', table.group(0)) if table else []


def found(pattern: str, html: str) -> str:
    """The first group of `pattern` in the page, unescaped; it must be there."""
    match = re.search(pattern, html)
    assert match, f"not on the page: {pattern}"
    return unescape(match.group(1))


def paging_link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


@pytest.fixture
def casework(engine: Engine) -> None:
    """Five cases: overdue and mine, due later and nobody's, due this week and someone else's,
    nothing due soon, and closed."""
    log(engine,
        notice("cpw", case="ASB-1", occurred_at="2024-05-03"),  # check due 31 May: overdue
        notice("cpw", case="ASB-2", occurred_at="2024-06-03"),  # due 1 July
        notice("cpw", case="ASB-3", occurred_at="2024-05-15"),  # due 12 June: this week
        referral(case="DA-1", occurred_at="2024-06-05"),
        referral(case="DA-2", occurred_at="2024-05-01"), closed("DA-2"))
    log(engine, assigned("ASB-1", "me.officer"), assigned("ASB-3", "someone.else"))


def test_the_list_shows_open_cases_with_their_scheme_owner_what_is_due_and_last_activity(
    client: FlaskClient, signed_in: SignedIn, casework: None
) -> None:
    signed_in(client, "officer", username="me.officer")
    page = client.get("/cases")
    assert sorted(listed(client, "/cases")) == ["ASB-1", "ASB-2", "ASB-3", "DA-1"]
    words = text_of(page)
    assert "Open cases" in words and "me.officer" in words and "Not assigned" in words
    assert ("Overdue Check compliance with the Community Protection Warning, overdue by 10 days "
            "(was due 31 May 2024)") in words
    # DA-1's referral, on 5 June in London: 11pm the day before in UTC.
    assert '<time datetime="2024-06-04T23:00:00Z">5 June 2024</time>' in page.get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("status=closed", ["DA-2"]),
    ("status=any", ["ASB-1", "ASB-2", "ASB-3", "DA-1", "DA-2"]),
    ("owner=me", ["ASB-1"]),
    ("owner=none", ["ASB-2", "DA-1"]),
    ("owner=none&status=any", ["ASB-2", "DA-1", "DA-2"]),
    ("due=overdue", ["ASB-1"]),
    ("due=week", ["ASB-1", "ASB-3"]),
    ("due=due", ["ASB-1", "ASB-2", "ASB-3"]),
    ("scheme=davss", ["DA-1"]),
    ("scheme=davss&status=any", ["DA-1", "DA-2"]),
    ("scheme=davss&scheme=asb-casework&owner=none", ["ASB-2", "DA-1"]),
    ("owner=none&due=due", ["ASB-2"]),
    ("scheme=asb-casework&due=week&owner=me", ["ASB-1"]),
    ("scheme=davss&due=due", []),
    ("status=nonsense&owner=nonsense&due=nonsense", ["ASB-1", "ASB-2", "ASB-3", "DA-1"]),
])
def test_each_filter_narrows_the_list_alone_and_combined(
    client: FlaskClient, signed_in: SignedIn, casework: None, query: str, expected: list[str]
) -> None:
    signed_in(client, "officer", username="me.officer")
    assert sorted(listed(client, f"/cases?{query}")) == expected


def test_the_filters_show_what_is_chosen(
    client: FlaskClient, signed_in: SignedIn, casework: None
) -> None:
    signed_in(client, "officer", username="me.officer")
    html = client.get("/cases?scheme=davss&status=closed&owner=none&due=overdue").get_data(
        as_text=True)
    for name, value in [("scheme", "davss"), ("status", "closed"), ("owner", "none"),
                        ("due", "overdue")]:
        assert re.search(rf'name="{name}" type="(checkbox|radio)" value="{value}" checked', html)


def test_my_cases_lists_the_open_cases_the_user_owns_and_is_linked_from_the_list(
    client: FlaskClient, signed_in: SignedIn, casework: None
) -> None:
    signed_in(client, "officer", username="me.officer")
    assert 'href="/cases?owner=me"' in client.get("/cases").get_data(as_text=True)
    page = client.get("/cases?owner=me")
    assert "<title>My cases" in page.get_data(as_text=True)
    assert listed(client, "/cases?owner=me") == ["ASB-1"]


def test_a_reference_is_found_by_any_part_of_it_in_any_letter_case_closed_cases_too(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, notice("cpw", case="ASB-2026-0042"), notice("cpw", case="ASB-2026-0420"),
        referral(case="DA-2026-0042"), closed("DA-2026-0042"))
    assert sorted(listed(client, "/cases?q=0042")) == ["ASB-2026-0042", "DA-2026-0042"]
    assert listed(client, "/cases?q=asb-2026-04") == ["ASB-2026-0420"]
    assert listed(client, "/cases?q=0042&status=open") == ["ASB-2026-0042"]
    assert listed(client, "/cases?q=%25") == []
    assert "No cases found" in text_of(client.get("/cases?q=NOPE"))


def test_the_case_a_search_names_exactly_comes_first(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, notice("cpw", case="ASB-1", occurred_at="2024-05-01"),
        notice("cpw", case="ASB-10", occurred_at="2024-06-01"),
        notice("cpw", case="ASB-100", occurred_at="2024-06-02"))
    assert listed(client, "/cases?q=asb-1") == ["ASB-1", "ASB-100", "ASB-10"]


def test_a_subject_reference_finds_its_cases_exactly_and_only_in_the_readers_schemes(
    client: FlaskClient, signed_in: SignedIn, engine: Engine, app: Flask
) -> None:
    log(engine, referral(case="DA-8", subject="SUBJ-77"), referral(case="DA-9", subject="SUBJ-770"),
        referral(scheme="idva", case="ID-1", subject="SUBJ-77"))
    signed_in(client, "officer")
    result = post_form(client, "/cases", {"subject": "SUBJ-77"})
    assert result.status_code == 200
    assert sorted(re.findall(r'href="/cases/([^"]+)"', result.get_data(as_text=True))) == [
        "DA-8", "ID-1"]
    unknown = post_form(client, "/cases", {"subject": "SUBJ-7"})
    assert "No cases found" in text_of(unknown)

    partner = app.test_client()
    signed_in(partner, "partner", schemes=["davss"])
    theirs = post_form(partner, "/cases", {"subject": "SUBJ-77"})
    assert re.findall(r'href="/cases/([^"]+)"', theirs.get_data(as_text=True)) == ["DA-8"]
    only_elsewhere = post_form(partner, "/cases", {"subject": "SUBJ-770", "scheme": "idva"})
    assert re.findall(r'href="/cases/([^"]+)"', only_elsewhere.get_data(as_text=True)) == []


def test_a_subject_search_puts_the_subject_reference_in_no_address(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, referral(case="DA-8", subject="SUBJ-77"))
    signed_in(client, "officer")
    html = post_form(client, "/cases", {"subject": "SUBJ-77"}).get_data(as_text=True)
    assert not [href for href in re.findall(r'href="([^"]+)"', html) if "SUBJ-77" in href]


def test_a_hundred_and_twenty_cases_page_by_fifty_forwards_and_back_in_either_order(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    # Two cases a day, so that pages break between cases of the same last activity.
    start = date(2024, 1, 1)
    log(engine, *[referral(case=f"DA-{n:03}", occurred_at=(start + timedelta(days=n // 2)).isoformat())
                  for n in range(120)])
    newest_first = [f"DA-{n:03}" for n in sorted(range(120), key=lambda n: (n // 2, n), reverse=True)]

    pages: list[list[str]] = []
    addresses: list[str] = []
    address: str | None = "/cases"
    while address is not None:
        addresses.append(address)
        html = client.get(address).get_data(as_text=True)
        pages.append(listed(client, address))
        address = paging_link(html, "next")
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [ref for p in pages for ref in p] == newest_first
    assert paging_link(client.get("/cases").get_data(as_text=True), "prev") is None

    previous = paging_link(client.get(addresses[2]).get_data(as_text=True), "prev")
    assert previous is not None and listed(client, previous) == pages[1]
    first = paging_link(client.get(previous).get_data(as_text=True), "prev")
    assert first is not None and listed(client, first) == pages[0]
    assert paging_link(client.get(first).get_data(as_text=True), "prev") is None

    html = client.get("/cases").get_data(as_text=True)
    oldest = found(r'id="order" href="([^"]+)"', html)
    assert "order=oldest" in oldest
    assert listed(client, oldest) == list(reversed(newest_first))[:50]
    later = paging_link(client.get(oldest).get_data(as_text=True), "next")
    assert later is not None and listed(client, later) == list(reversed(newest_first))[50:100]


def test_a_partner_never_sees_another_schemes_case(
    client: FlaskClient, signed_in: SignedIn, casework: None
) -> None:
    signed_in(client, "partner", schemes=["davss"])
    for address in ("/cases", "/cases?status=any", f"/cases?scheme={ASB}", "/cases?q=ASB",
                    "/cases?due=due", "/cases?owner=none&status=any"):
        assert not [ref for ref in listed(client, address) if not ref.startswith("DA-")], address
    assert listed(client, f"/cases?scheme={ASB}") == []
    assert ASB not in client.get("/cases").get_data(as_text=True)


def test_the_case_page_shows_what_is_due_with_a_link_to_log_what_meets_it(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, notice("cpw", case="ASB-1", occurred_at="2024-05-03"))
    page = client.get("/cases/ASB-1")
    words = text_of(page)
    assert ("What is due Check compliance with the Community Protection Warning Overdue "
            "Overdue by 10 days (was due 31 May 2024) Log the compliance check") in words
    html = page.get_data(as_text=True)
    assert "govuk-tag--red" in html
    link = found(r'href="([^"]+)">Log the compliance check', html)
    assert urlsplit(link).path == f"/log/{ASB}/compliance.checked"
    assert parse_qs(urlsplit(link).query) == {"case": ["ASB-1"], "seen": ["1"], "notice": ["cpw"]}
    form = client.get(link).get_data(as_text=True)
    assert re.search(r'name="data-notice" type="radio" value="cpw" checked', form)

    log(engine, event("compliance.checked", ASB, "2024-06-05", "ASB-1", notice="cpw",
                      complied=True))
    assert "What is due" not in text_of(client.get("/cases/ASB-1"))


def test_a_case_with_no_event_for_a_while_is_due_for_review_once_it_is_near(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    signed_in(client, "officer")
    log(engine, referral(case="DA-1", occurred_at="2024-03-10"),  # review due 8 June
        referral(case="DA-2", occurred_at="2024-05-01"))  # due 30 July: not near
    words = text_of(client.get("/cases/DA-1"))
    assert "Review the case: no event logged for a while Overdue Overdue by 2 days" in words
    assert "What is due" not in text_of(client.get("/cases/DA-2"))
    assert listed(client, "/cases?due=due") == ["DA-1"]


def test_the_dashboard_tells_the_user_what_is_due_this_week_on_their_cases(
    client: FlaskClient, signed_in: SignedIn, casework: None, app: Flask, engine: Engine
) -> None:
    log(engine, notice("cpw", case="ASB-4", occurred_at="2024-05-16"), assigned("ASB-4", "me.officer"))
    signed_in(client, "officer", username="me.officer")
    page = client.get("/dashboard")
    words = text_of(page)
    assert ("Due on your cases 2 things due this week on your cases 1 of them is overdue: "
            "ASB-1 : Check compliance") in words
    assert ("ASB-1 : Check compliance with the Community Protection Warning, overdue by 10 days"
            in words)
    assert 'href="/cases?owner=me&amp;due=week"' in page.get_data(as_text=True)

    nobody = app.test_client()
    signed_in(nobody, "officer")
    assert 'id="due-on-my-cases"' not in nobody.get("/dashboard").get_data(as_text=True)
    viewer = app.test_client()
    signed_in(viewer, "viewer", username="viewer.me")
    assert 'id="due-on-my-cases"' not in viewer.get("/dashboard").get_data(as_text=True)


def test_the_list_the_case_page_and_the_banner_are_valid_html(
    client: FlaskClient, signed_in: SignedIn, casework: None
) -> None:
    signed_in(client, "officer", username="me.officer")
    addresses = ["/cases", "/cases?owner=me&due=week&scheme=davss&status=any", "/cases/ASB-1",
                 "/dashboard", "/cases?q=ASB"]
    pages = [ServedPage(address, client.get(address).get_data()) for address in addresses]
    assert html_errors(pages) == []
