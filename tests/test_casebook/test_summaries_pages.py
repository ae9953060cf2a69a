"""The summaries pages on both databases: who may read them, generate now, downloads, restatement."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from events.db import reading
from events.quarters import Quarter
from projections.archive import SCHEDULED, generate, list_summaries
from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import SignedIn, csrf_token_from

pytestmark = ON_SQLITE_ONLY

Q1 = Quarter(2024, 1)


def seed(engine: Engine) -> None:
    log(engine, *[referral(occurred_at="2024-05-10", risk="high") for _ in range(3)],
        *[referral(occurred_at="2024-05-11", risk="standard") for _ in range(9)])


@pytest.mark.parametrize("role", ["admin", "officer", "partner", "viewer"])
def test_every_signed_in_role_may_read_the_summaries(
    client: FlaskClient, signed_in: SignedIn, engine: Engine, role: str
) -> None:
    seed(engine)
    stored = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert stored is not None
    signed_in(client, role, schemes=("davss",) if role == "partner" else ())
    listing = client.get("/summaries")
    assert listing.status_code == 200
    assert "2024/25 Q1" in listing.get_data(as_text=True)
    page = client.get(f"/summaries/{stored.id}")
    assert page.status_code == 200
    assert "This is the first version" in page.get_data(as_text=True)
    assert ("Generate now" in listing.get_data(as_text=True)) == (role == "admin")


def test_someone_not_signed_in_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/summaries")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_only_an_admin_may_generate_now(
    app: Flask, client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    signed_in(client, "officer")
    # With the CSRF check out of the way, what refuses the officer is the role.
    app.config["WTF_CSRF_ENABLED"] = False
    refused = client.post("/summaries/generate", data={"year": "2024/25", "quarter": "Q1"})
    assert refused.status_code == 403
    with reading(engine) as connection:
        assert list_summaries(connection) == []


def test_an_admin_generates_now_and_the_new_version_shows_the_restatement(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    first = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert first is not None
    late = log(engine, referral(occurred_at="2024-06-28", risk="high"))
    admin = signed_in(client, "admin")
    form = client.get("/summaries").get_data(as_text=True)
    without_token = client.post("/summaries/generate", data={"year": "2024/25", "quarter": "Q1"})
    assert without_token.status_code == 400
    response = client.post("/summaries/generate", data={
        "year": "2024/25", "quarter": "Q1", "csrf_token": csrf_token_from(form)})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    label = first.document["figures"]["davss.referrals"]["label"]
    assert f"Restated: {label} Q1 12 → 13" in page
    assert "1 event recorded late." in page
    assert late[0].event_id in page
    # The stored reasons are codes for scripts: the page says them in words.
    why = re.search(r'Why\s*</dt>\s*<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>', page)
    assert why is not None and why.group(1) == f"On request by {admin.username}"
    versions_list = re.search(r'<ol [^>]*id="versions">(.*?)</ol>', page, re.S)
    assert versions_list is not None
    assert "automatically when the quarter ended</li>" in versions_list.group(1)
    assert f"on request by {admin.username}</li>" in versions_list.group(1)
    assert "by hand:" not in page and "(scheduled)" not in page
    listing = client.get("/summaries").get_data(as_text=True)
    assert f", on request by {admin.username}</td>" in listing and "by hand:" not in listing
    with reading(engine) as connection:
        versions = [(s.version, s.reason) for s in list_summaries(connection)]
    assert versions == [(2, f"by hand: {admin.username}"), (1, "scheduled")]


def test_downloads_come_in_every_format_and_the_published_ones_hide_small_counts(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    stored = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert stored is not None
    signed_in(client, "viewer")
    page = client.get(f"/summaries/{stored.id}").get_data(as_text=True)
    links = re.findall(r'href="(/summaries/\d+/\w+\.\w+)"', page)
    assert sorted(links) == sorted(f"/summaries/{stored.id}/{v}.{f}"
                                   for v in ("internal", "published")
                                   for f in ("html", "csv", "xlsx"))
    internal = csv_rows(client.get(f"/summaries/{stored.id}/internal.csv"))
    published = csv_rows(client.get(f"/summaries/{stored.id}/published.csv"))
    high = ("davss.referrals", "risk", "high")
    assert (internal[high]["value"], internal[high]["note"]) == ("3", "")
    # Numbers only in the number columns: what hides a value is in the note beside it.
    assert (published[high]["value"], published[high]["note"]) == ("", "This period: fewer than 5")
    assert published[high]["breakdown_label"] == "Risk level: High"
    for row in [*internal.values(), *published.values()]:
        assert all(re.fullmatch(r"(\d+(\.\d+)?)?", row[c]) for c in ("value", "previous")), row
    html = client.get(f"/summaries/{stored.id}/published.html")
    assert html.content_type.startswith("text/html")
    assert "<svg" in html.get_data(as_text=True)
    workbook = client.get(f"/summaries/{stored.id}/internal.xlsx")
    assert "attachment" in workbook.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(workbook.data)).sheetnames[0] == "Contents"
    assert client.get(f"/summaries/{stored.id}/secret.csv").status_code == 404
    assert client.get("/summaries/999").status_code == 404


def csv_rows(response: TestResponse) -> dict[tuple[str, str, str], dict[str, str]]:
    """A summary CSV's figure rows by (figure id, breakdown field, key), read back as a script
    would (the notes on the edition after them are left out)."""
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return {(row["figure"], row["breakdown"], row["key"]): row for row in rows
            if row["figure"] != "note"}


def test_a_partners_edition_names_the_schemes_it_shows_as_published(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    seed(engine)
    stored = generate(engine, Q1, SCHEDULED, only_if_missing=True)
    assert stored is not None
    signed_in(client, "partner", schemes=("davss",))
    ids = {figure["scheme"] for figure in stored.document["figures"].values()} - {"davss"}
    body = client.get(f"/summaries/{stored.id}/internal.csv").get_data(as_text=True)
    notes = [row["note"] for row in csv.DictReader(io.StringIO(body)) if row["figure"] == "note"]
    html = client.get(f"/summaries/{stored.id}/internal.html").get_data(as_text=True)
    said = re.search(r"<p>(Figures of these schemes are shown as published[^<]*)</p>", html)
    assert said is not None
    for note in (next(n for n in notes if n.startswith("Figures of these schemes")), said.group(1)):
        assert "IDVA service for high-risk victims" in note and "ASB casework" in note
        assert "Domestic Abuse Volunteer Support Service" not in note
        named = [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", note)]
        assert named == [], note
    book = load_workbook(io.BytesIO(client.get(f"/summaries/{stored.id}/internal.xlsx").data))
    contents = [row[0] for row in book["Contents"].iter_rows(max_col=1, values_only=True)]
    assert any(str(line).startswith("Figures of these schemes") and "IDVA service" in str(line)
               for line in contents)


def test_the_returns_page_lists_the_schemes_whose_return_is_missing(
    client: FlaskClient, signed_in: SignedIn
) -> None:
    signed_in(client, "officer")
    page = client.get("/summaries/returns").get_data(as_text=True)
    assert "Partner returns missing for" in page
    assert "people-supported" in page and "IDVA" in page
