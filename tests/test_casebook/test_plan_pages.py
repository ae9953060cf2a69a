"""The Plan pages: each year's plan to read, and for administrators the forms that adopt a new
version of it (priorities, vocabulary, figures, the plan file)."""

from __future__ import annotations

import html
import re
import tomllib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading
from projections.catalogue import load_plans
from tests.helpers import ON_SQLITE_ONLY, log, notice
from tests.test_casebook.conftest import SignedIn, csrf_token_from
from tests.test_casebook.plan_pages import (
    YEAR,
    confirm,
    post,
    preview_row,
    text,
    upload_file,
    version,
)

pytestmark = ON_SQLITE_ONLY
DISPERSALS = [("id", "asb.dispersals"), ("label", "Dispersal orders issued"),
              ("scheme", "asb-casework"), ("types", "notice.issued"), ("measure", "count"),
              ("where-notice", "dispersal"), ("counts", "things")]


@pytest.fixture
def admin(client: FlaskClient, signed_in: SignedIn) -> FlaskClient:
    signed_in(client, "admin", username="plan.admin")
    return client


def test_every_plan_page_renders_for_an_admin(admin: FlaskClient) -> None:
    pages = {
        "/plan": "2025/26",
        "/plan/2025-26": "Safeguarding people at risk of harm",
        "/plan/2024-25": "Domestic abuse",
        "/plan/2025-26/priorities": "Move a scheme to another priority",
        "/plan/2025-26/vocabulary": "Add a value to a form",
        "/plan/2025-26/upload": "Upload a plan file",
        "/plan/2025-26/figures/new": "What is the figure?",
        "/plan/2025-26/figures/davss.referrals": "What is the figure?",
    }
    for path, expected in pages.items():
        response = admin.get(path)
        assert response.status_code == 200, path
        assert expected in text(response), path
    assert "Change<span class=\"govuk-visually-hidden\"> Referrals" in text(
        admin.get("/plan/2025-26"))


def test_the_year_page_shows_the_version_and_the_figures_grouped_by_priority(
        admin: FlaskClient) -> None:
    page = text(admin.get("/plan/2025-26"))
    assert "2025/26, version 1" in page
    assert "Partnership Plan 2025-26" in page
    priorities = re.findall(r"<li><strong>([^<]+)</strong>", page)
    assert priorities == ["Acquisitive crime", "Anti-social behaviour", "Exploitation",
                          "Safeguarding people at risk of harm"]
    safeguarding = page[page.index('<h3 class="govuk-heading-s">Safeguarding'):]
    assert 'id="figure-davss.referrals"' in safeguarding
    assert 'id="figure-davss.referrals"' not in page[:page.index(
        '<h3 class="govuk-heading-s">Safeguarding')]


def test_the_plan_file_downloads_as_an_attachment_that_reads_back(admin: FlaskClient) -> None:
    response = admin.get("/plan/2025-26/plan-file")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="casebook-plan-2025-26.toml"')
    assert response.mimetype == "application/toml"
    document = tomllib.loads(text(response))
    assert document["year"] == "2025/26"
    assert [p["name"] for p in document["priority"]][0] == "Acquisitive crime"


@pytest.mark.parametrize("role", ["officer", "partner", "viewer"])
def test_others_read_the_plan_but_never_see_its_forms(
        client: FlaskClient, signed_in: SignedIn, role: str) -> None:
    signed_in(client, role, ["davss"] if role == "partner" else [])
    page = client.get("/plan/2025-26")
    assert page.status_code == 200
    assert "Add a figure" not in text(page) and "Change the priorities" not in text(page)
    for path in ("/plan/2025-26/priorities", "/plan/2025-26/figures/new",
                 "/plan/2025-26/upload", "/plan/2025-26/vocabulary"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", ["officer", "partner"])
def test_no_one_but_an_admin_adopts_through_any_post_route_of_the_plan(
        app: Flask, client: FlaskClient, signed_in: SignedIn, engine: Engine,
        role: str) -> None:
    signed_in(client, role, ["asb-casework"] if role == "partner" else [])
    posts = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("plan.") and "POST" in (rule.methods or ()))
    assert len(posts) >= 5
    token = csrf_token_from(text(client.get("/sign-in")))
    before = version(engine)
    for rule in posts:
        path = rule.replace("<year>", "2025-26").replace("<figure_id>", "davss.referrals")
        data = {"csrf_token": token, "confirming": "yes", "reason": "tried",
                "base": f"2025:{before}", "action": "add", "name": "Tried",
                "field": "notice", "value": "tried", "label": "Tried", **dict(DISPERSALS)}
        response = client.post(path, data=data)
        assert response.status_code == 403, path
    assert version(engine) == before


def test_a_bad_upload_shows_every_problem_and_changes_nothing(
        admin: FlaskClient, engine: Engine) -> None:
    document = text(admin.get("/plan/2025-26/plan-file"))
    document = document.replace('schemes = ["safer-towns", "safer-spaces"]',
                                'schemes = ["safer-towns", "safer-spaces", "davss"]')
    document += ('\n[[figure]]\nid = "asb.bad"\nlabel = "Bad"\nscheme = "asb-casework"\n'
                 'types = ["notice.issued"]\nmeasure = "count"\n'
                 'where = { notice = "closure-order" }\nbreakdown = ["colour"]\n')
    before = version(engine)
    response = post(admin, "/plan/2025-26/upload",
                    {"plan-file": (upload_file(document), "plan.toml")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    summary = text(response)[:text(response).index("<h1")]
    assert "priority Safeguarding people at risk of harm: schemes: davss is also in priority" \
        in html.unescape(summary)
    assert "figure asb.bad: where.notice: unknown value &#39;closure-order&#39;" in summary
    assert "figure asb.bad: breakdown: unknown field &#39;colour&#39;" in summary
    assert summary.count('href="#plan-file"') == 3
    assert version(engine) == before


def test_an_upload_that_is_not_toml_names_its_line(admin: FlaskClient, engine: Engine) -> None:
    response = post(admin, "/plan/2025-26/upload",
                    {"plan-file": (upload_file('year = "2025/26"\n[[priority]\n'), "plan.toml")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    assert "plan file: line 2: not valid TOML" in text(response)
    assert version(engine) == 1


def test_a_good_upload_shows_what_changes_and_adopts_only_once_confirmed(
        admin: FlaskClient, engine: Engine) -> None:
    document = text(admin.get("/plan/2025-26/plan-file")).replace(
        'label = "Referrals to DAVSS"', 'label = "DAVSS referrals received"', 1)
    page = post(admin, "/plan/2025-26/upload", {"plan-file": (upload_file(document), "plan.toml")},
                content_type="multipart/form-data")
    assert page.status_code == 200
    assert "Figures relabelled" in text(page) and "DAVSS referrals received" in text(page)
    assert version(engine) == 1
    adopted = confirm(admin, page, "Relabelled at the June board")
    assert adopted.status_code == 303
    assert version(engine) == 2
    assert "DAVSS referrals received" in text(admin.get("/plan/2025-26"))
    assert "Relabelled at the June board" in text(admin.get("/plan/2025-26"))


def test_the_priorities_are_renamed_reordered_and_given_schemes_each_as_a_new_version(
        admin: FlaskClient, engine: Engine) -> None:
    page = post(admin, "/plan/2025-26/priorities",
                {"action": "rename", "priority": "2", "name": "Exploitation and gangs"})
    assert confirm(admin, page, "Renamed at the board").status_code == 303
    page = post(admin, "/plan/2025-26/priorities",
                {"action": "move", "priority": "2", "direction": "up"})
    assert confirm(admin, page, "Reordered").status_code == 303
    page = post(admin, "/plan/2025-26/priorities", {"action": "add", "name": "Road safety"})
    assert confirm(admin, page, "A new priority").status_code == 303
    page = post(admin, "/plan/2025-26/priorities",
                {"action": "move-scheme", "scheme": "mobile-cctv", "to": "Road safety"})
    assert "Figures moved to another priority" in text(page)
    assert confirm(admin, page, "Cameras for road safety").status_code == 303
    assert version(engine) == 5
    year_page = text(admin.get("/plan/2025-26"))
    assert re.findall(r"<li><strong>([^<]+)</strong>", year_page) == [
        "Acquisitive crime", "Exploitation and gangs", "Anti-social behaviour",
        "Safeguarding people at risk of harm", "Road safety"]
    assert "<strong>Road safety</strong>: Mobile CCTV" in year_page


def test_a_change_that_changes_nothing_or_repeats_a_name_is_refused(
        admin: FlaskClient, engine: Engine) -> None:
    same = post(admin, "/plan/2025-26/priorities",
                {"action": "rename", "priority": "0", "name": "Acquisitive crime"})
    assert same.status_code == 422 and "This changes nothing in the plan" in text(same)
    twice = post(admin, "/plan/2025-26/priorities", {"action": "add", "name": "Exploitation"})
    assert twice.status_code == 422
    assert 'href="#new-priority"' in text(twice)
    assert "already has a priority called Exploitation" in text(twice)
    assert version(engine) == 1


def test_a_value_added_to_the_vocabulary_is_adopted_with_its_label(
        admin: FlaskClient, engine: Engine) -> None:
    refused = post(admin, "/plan/2025-26/vocabulary",
                   {"field": "notice", "value": "Closure Order", "label": ""})
    assert refused.status_code == 422
    assert 'href="#value"' in text(refused) and 'href="#label"' in text(refused)
    page = post(admin, "/plan/2025-26/vocabulary",
                {"field": "notice", "value": "closure-order", "label": "Closure order"})
    assert "Notice: Closure order" in text(page)
    assert confirm(admin, page, "New powers").status_code == 303
    with reading(engine) as connection:
        assert load_plans(connection).vocabulary["notice"]["closure-order"] == "Closure order"
    again = post(admin, "/plan/2025-26/vocabulary",
                 {"field": "notice", "value": "closure-order", "label": "Closure order"})
    assert "closure-order is already a value of notice" in text(again)


def test_the_figure_form_offers_only_the_schemes_types_and_their_fields(
        admin: FlaskClient) -> None:
    types = text(admin.get("/plan/2025-26/figures/new",
                           query_string=[("show", "types"), *DISPERSALS[:3]]))
    offered = re.findall(r'name="types" type="checkbox" value="([^"]+)"', types)
    assert offered == ["referral.received", "notice.issued", "case.closed", "case.assigned",
                       "compliance.checked"]
    measures = text(admin.get("/plan/2025-26/figures/new",
                              query_string=[("show", "measure"), *DISPERSALS[:4]]))
    assert "Count events" in measures and "Repeat rate" not in measures
    assert "Add up a number field" not in measures  # a notice has no number field
    details = text(admin.get("/plan/2025-26/figures/new",
                             query_string=[("show", "details"), *DISPERSALS[:5]]))
    assert 'value="dispersal"' in details and 'id="where-notice"' in details
    missing = text(admin.get("/plan/2025-26/figures/new",
                             query_string=[("show", "measure"), *DISPERSALS[:3]]))
    assert "Choose the events it counts" in missing and 'href="#types"' in missing


def test_the_figure_form_refuses_a_missing_reason_naming_the_field(
        admin: FlaskClient, engine: Engine) -> None:
    preview = post(admin, "/plan/2025-26/figures/new", DISPERSALS)
    refused = confirm(admin, preview, "   ")
    assert refused.status_code == 422
    body = text(refused)
    assert 'href="#reason"' in body and "Enter the reason for this change" in body
    assert body.count('id="reason"') == 1
    assert version(engine) == 1


def test_adding_a_figure_adopts_the_next_version_and_the_dashboard_shows_it(
        admin: FlaskClient, engine: Engine) -> None:
    log(engine, notice("dispersal", occurred_at="2025-05-02"),
        notice("dispersal", occurred_at="2025-08-09"), notice("dispersal", occurred_at="2024-06-01"),
        notice("warning-letter", occurred_at="2025-05-03"))
    preview = post(admin, "/plan/2025-26/figures/new", DISPERSALS)
    body = text(preview)
    assert "Figures added" in body and "Dispersal orders issued" in body
    table = body[body.index('data-preview="asb.dispersals"'):]
    assert preview_row(table, "2025/26") == ["1", "1", "0", "0"]
    assert preview_row(table, "2024/25") == ["1", "0", "0", "0"]
    assert version(engine) == 1
    adopted = confirm(admin, preview, "Dispersal orders, agreed at the June board")
    assert adopted.status_code == 303
    assert version(engine) == 2
    dashboard = text(admin.get("/dashboard?year=2025/26"))
    cell = re.search(r'data-figure="asb.dispersals" data-period="year">([^<]+)<', dashboard)
    assert cell is not None and cell[1] == "2"


def test_changing_a_figure_keeps_its_id_and_adopts_its_new_definition(
        admin: FlaskClient, engine: Engine) -> None:
    form = text(admin.get("/plan/2025-26/figures/asb.cpw"))
    assert 'value="Community Protection Warnings issued"' in form
    assert '<option value="asb-casework" selected>' in form
    draft = [("label", "CPWs issued"), ("scheme", "asb-casework"),
             ("types", "notice.issued"), ("measure", "count"), ("where-notice", "cpw"),
             ("counts", "people")]
    preview = post(admin, "/plan/2025-26/figures/asb.cpw", draft)
    assert "Figures relabelled" in text(preview)
    assert confirm(admin, preview, "Spelt out").status_code == 303
    with reading(engine) as connection:
        figure = load_plans(connection).for_year(YEAR).plan.figure("asb.cpw")
    assert figure is not None and figure.label == "CPWs issued"
    assert admin.get("/plan/2025-26/figures/no.such").status_code == 404


def test_a_confirmation_shown_before_another_adoption_adopts_nothing_and_shows_it_again(
        admin: FlaskClient, engine: Engine) -> None:
    first = post(admin, "/plan/2025-26/figures/new", DISPERSALS)
    other = post(admin, "/plan/2025-26/priorities", {"action": "add", "name": "Road safety"})
    assert confirm(admin, other, "Meanwhile").status_code == 303
    again = confirm(admin, first, "Dispersals")
    assert again.status_code == 200 and 'id="plan-changed"' in text(again)
    assert version(engine) == 2
    assert confirm(admin, again, "Dispersals").status_code == 303
    assert version(engine) == 3
