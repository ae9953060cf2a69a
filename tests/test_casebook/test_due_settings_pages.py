"""Admins set what falls due on a scheme's cases on the scheme form: five numbers, checked, kept
in the scheme's history, and what is due on its cases worked out again."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.db import reading
from events.tables import schemes
from projections.casework_tables import case_due
from projections.due_items import DueRules, rules_for
from tests.helpers import ON_SQLITE_ONLY, event, log
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import error_summary_links, post_form, text_of

pytestmark = ON_SQLITE_ONLY

FORM = "/admin/schemes/asb-casework"
FIELDS = {"name": "ASB casework", "lead": "Borough council ASB officer", "priority": "Anti-social behaviour",
          "case_prefix": "ASB"}
NUMBERS = {"cpw_compliance_days": "28", "cpn_review_months": "6", "threshold_working_days": "10",
           "panel_working_days": "25", "inactive_days": "90"}


def _rules(engine: Engine, scheme: str = "asb-casework") -> DueRules:
    with reading(engine) as connection:
        return rules_for(connection, scheme)


def _stored(engine: Engine) -> tuple[str, str | None]:
    with reading(engine) as connection:
        row = connection.execute(sa.select(schemes.c.name, schemes.c.due_rules)
                                 .where(schemes.c.scheme_id == "asb-casework")).one()
    return row.name, row.due_rules


def test_the_scheme_form_shows_the_five_numbers_with_their_defaults(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "admin")
    page = client.get(FORM)
    html = page.get_data(as_text=True)
    words = text_of(page)
    assert "What falls due on its cases" in words
    for label in ("Compliance check after a Community Protection Warning",
                  "Review of a Community Protection Notice", "ASB Case Review threshold decision",
                  "ASB Case Review panel", "Review of a case with no new events"):
        assert label in words
    for name, value in NUMBERS.items():
        assert re.search(f'<input [^>]*name="{name}" type="text"[^>]* value="{value}"[^>]* '
                         'inputmode="numeric"', html), name
        assert f'<label class="govuk-label" for="{name}">' in html
    assert "England's bank holidays" in words


def test_an_admin_changes_the_rules_and_each_change_is_in_the_schemes_history(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "admin")
    saved = post_form(client, FORM, {**FIELDS, **NUMBERS, "cpw_compliance_days": "21",
                                     "inactive_days": " 60 "})
    assert saved.status_code == 302
    assert _rules(engine) == DueRules(cpw_compliance_days=21, inactive_days=60)
    assert _stored(engine)[1] == '{"cpw_compliance_days": 21, "inactive_days": 60}'
    page = client.get(FORM)
    assert "2 changes saved." in text_of(page)
    history = text_of(page).split("History", 1)[1]
    assert "cpw_compliance_days 28 21" in history
    assert "inactive_days 90 60" in history
    back = post_form(client, FORM, {**FIELDS, **NUMBERS})
    assert back.status_code == 302
    assert _stored(engine)[1] is None, "back to the defaults, nothing is kept"


def test_wrong_numbers_are_refused_naming_each_field_and_nothing_is_changed(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "admin")
    bad = post_form(client, FORM, {**FIELDS, "name": "Renamed", "cpw_compliance_days": "",
                                   "cpn_review_months": "121", "threshold_working_days": "ten",
                                   "panel_working_days": "0", "inactive_days": "3651"})
    assert bad.status_code == 200
    assert error_summary_links(bad) == {
        "cpw_compliance_days": "Enter the number of days for: Compliance check after a "
                               "Community Protection Warning",
        "cpn_review_months": "Review of a Community Protection Notice must be from 1 to 120 months",
        "threshold_working_days": "ASB Case Review threshold decision must be a whole number of "
                                  "working days",
        "panel_working_days": "ASB Case Review panel must be from 1 to 3650 working days",
        "inactive_days": "Review of a case with no new events must be from 1 to 3650 days",
    }
    html = bad.get_data(as_text=True)
    assert 'id="threshold_working_days-error"' in html and 'value="ten"' in html
    assert _stored(engine) == ("ASB casework", None)
    for odd in ("2.5", "-3", "١٢"):
        refused = post_form(client, FORM, {**FIELDS, "inactive_days": odd})
        assert "inactive_days" in error_summary_links(refused), odd
    assert _rules(engine) == DueRules()


def test_a_post_without_the_numbers_keeps_the_rules_as_they_are(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "admin")
    post_form(client, FORM, {**FIELDS, **NUMBERS, "panel_working_days": "30"})
    assert post_form(client, FORM, {**FIELDS, "name": "ASB cases"}).status_code == 302
    assert _stored(engine)[0] == "ASB cases"
    assert _rules(engine) == DueRules(panel_working_days=30)


def test_a_new_scheme_can_start_with_its_own_rules(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "admin")
    bad = post_form(client, "/admin/schemes/new", {
        "scheme_id": "safer-streets", "name": "Safer Streets", "lead": "Council",
        "priority": "Acquisitive crime", "inactive_days": "0"})
    assert list(error_summary_links(bad)) == ["inactive_days"]
    with reading(engine) as connection:
        assert connection.execute(sa.select(schemes.c.scheme_id)
                                  .where(schemes.c.scheme_id == "safer-streets")).first() is None
    added = post_form(client, "/admin/schemes/new", {
        "scheme_id": "safer-streets", "name": "Safer Streets", "lead": "Council",
        "priority": "Acquisitive crime", "inactive_days": "45"})
    assert added.status_code == 302
    assert _rules(engine, "safer-streets") == DueRules(inactive_days=45)


def test_only_admins_reach_the_rules(client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "officer")
    assert client.post(FORM, data={**FIELDS, "inactive_days": "5"}).status_code in (400, 403)
    assert _rules(engine) == DueRules()


def test_saving_changed_rules_works_out_again_what_is_due_on_the_schemes_cases(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    log(engine, event("notice.issued", "asb-casework", "2026-03-02", "ASB-2026-0001", notice="cpw"),
        event("notice.issued", "pspo-vehicles", "2026-03-02", "PSPO-2026-0001", notice="cpw"))

    def due_on() -> dict[str, date]:
        with reading(engine) as connection:
            return dict(connection.execute(sa.select(case_due.c.case_ref, case_due.c.due_on)
                                           .where(case_due.c.kind == "cpw-compliance")).all())

    assert due_on() == {"ASB-2026-0001": date(2026, 3, 30), "PSPO-2026-0001": date(2026, 3, 30)}
    signed_in(client, "admin")
    assert post_form(client, FORM, {**FIELDS, "cpw_compliance_days": "21"}).status_code == 302
    assert due_on() == {"ASB-2026-0001": date(2026, 3, 23), "PSPO-2026-0001": date(2026, 3, 30)}
