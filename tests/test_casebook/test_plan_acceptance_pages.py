"""The log form and the OpenAPI document follow the plan (spec §8): a scheme is offered only the
types it logs, a vocabulary field the values adopted (with their labels) after the schema's."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from events.clock import utc_now
from events.db import reading
from events.quarters import FinancialYear, local_date
from events.types import EVENT_TYPES
from projections.catalogue import load_plans
from tests.helpers import ON_SQLITE_ONLY, value
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import date_fields, error_summary_links, post_form, text_of
from tests.test_casebook.plan_words import (
    NEW_LABEL,
    NEW_VALUE,
    adopt_everywhere,
    adopt_words,
    scheme_logging,
    vocabulary_fields,
)

pytestmark = ON_SQLITE_ONLY

NOTICE_FORM = "/log/asb-casework/notice.issued"


def _offered_types(client: FlaskClient, scheme: str) -> set[str]:
    html = client.get(f"/log/{scheme}").get_data(as_text=True)
    return set(re.findall(r'name="type" type="radio" value="([^"]+)"', html))


def _offered_values(client: FlaskClient, type_name: str, field_name: str) -> dict[str, str]:
    """Value -> label of the radios or options the form offers for the field."""
    html = client.get(f"/log/{scheme_logging(type_name)}/{type_name}").get_data(as_text=True)
    radios = re.findall(rf'name="data-{field_name}" type="radio" value="([^"]+)"[^>]*>\s*'
                        r'<label[^>]*>\s*([^<]+?)\s*</label>', html)
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    return {v: unescape(text) for v, text in radios or options if v}


def test_each_scheme_is_offered_the_types_it_logs_in_this_years_plan(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "officer")
    with reading(engine) as connection:
        plan = load_plans(connection).for_year(FinancialYear.of(local_date(utc_now()))).plan
    loggable = {name for name, known in EVENT_TYPES.items() if known.loggable}
    for scheme, types in plan.logged_types().items():
        assert _offered_types(client, scheme) == types & loggable, scheme
    assert "application.received" not in _offered_types(client, "asb-casework")
    assert "application.received" in _offered_types(client, "asb-case-review")


def test_a_type_the_scheme_does_not_log_cannot_be_chosen_nor_logged(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "officer")
    chosen = client.get("/log/asb-casework?type=application.received")
    assert chosen.status_code == 200
    assert error_summary_links(chosen) == {"type": "Select what happened"}
    posted = post_form(client, "/log/asb-casework/application.received",
                       {"case": "ASB-2024-0050", **date_fields("3")})
    assert posted.status_code == 422
    assert error_summary_links(posted) == {"type": (
        "ASB casework does not log ‘ASB Case Review application received’ in the "
        "partnership’s plan for the year the event happened")}
    assert 'id="type"' in posted.get_data(as_text=True)


@pytest.mark.parametrize(("type_name", "field_name"), vocabulary_fields())
def test_a_vocabulary_field_offers_the_adopted_values_with_their_labels(
        client: FlaskClient, signed_in: SignedIn, engine: Engine,
        type_name: str, field_name: str) -> None:
    signed_in(client, "officer")
    schema_choices = EVENT_TYPES[type_name].schema().fields[field_name].metadata["choices"]
    assert _offered_values(client, type_name, field_name) == schema_choices
    adopt_everywhere(engine)
    assert _offered_values(client, type_name, field_name) == {**schema_choices,
                                                              NEW_VALUE: NEW_LABEL}


def test_a_closure_order_is_refused_until_adopted_then_logged_and_shown_by_its_label(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "officer")
    posted = {"case": "ASB-2024-0060", **date_fields("3"), "data-notice": NEW_VALUE}
    refused = post_form(client, NOTICE_FORM, posted)
    assert refused.status_code == 422
    assert error_summary_links(refused) == {"data-notice": "Select notice from the list"}
    adopt_words(engine, ("notice", NEW_VALUE, NEW_LABEL))
    assert f'value="{NEW_VALUE}"' in client.get(NOTICE_FORM).get_data(as_text=True)
    logged = post_form(client, NOTICE_FORM, posted)
    assert logged.status_code == 303
    case_page = text_of(client.get(logged.headers["Location"]))
    assert f"Notice {NEW_LABEL}" in case_page


def test_a_cpn_without_a_cpw_is_still_refused_in_the_form_once_a_notice_is_adopted(
        client: FlaskClient, signed_in: SignedIn, engine: Engine) -> None:
    signed_in(client, "officer")
    adopt_words(engine, ("notice", NEW_VALUE, NEW_LABEL))
    refused = post_form(client, NOTICE_FORM,
                        {"case": "ASB-2024-0061", **date_fields("3"), "data-notice": "cpn"})
    assert refused.status_code == 422
    assert error_summary_links(refused)["data-notice"].startswith(
        "A Community Protection Notice needs an earlier Community Protection Warning")
    assert value(engine, "asb.cpn") == 0


@pytest.mark.parametrize(("type_name", "field_name"), vocabulary_fields())
def test_the_openapi_enum_of_a_vocabulary_field_gains_the_adopted_value(
        client: FlaskClient, engine: Engine, type_name: str, field_name: str) -> None:
    component = EVENT_TYPES[type_name].schema.__name__
    schema_choices = list(EVENT_TYPES[type_name].schema().fields[field_name].metadata["choices"])

    def enum() -> list[str]:
        document = client.get("/api/openapi.json").get_json()
        return list(document["components"]["schemas"][component]["properties"][field_name]["enum"])

    assert enum() == schema_choices
    adopt_everywhere(engine)
    assert enum() == [*schema_choices, NEW_VALUE]
