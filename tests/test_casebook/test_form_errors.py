"""Forms that say what is wrong: generated from the schemas, every mistake a form can hold is named
in words, linked to the input at fault, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from casebook.web.form_errors import merged_errors
from casebook.web.forms import EventForm, FormField, form_for, read_submission
from events.interchange import TimeLimits
from events.tables import events
from events.types import EVENT_TYPES, event_type
from tests.helpers import ON_SQLITE_ONLY, let_log_any_type, log, referral
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import date_fields, error_summary_links, post_form, text_of

pytestmark = ON_SQLITE_ONLY

SCHEME = "davss"
CASE = "DA-2024-0001"
#: Good values for fields whose form a plain "x" or "1" does not fit.
GOOD = {"quarter": "2024/25 Q1", "cases": "DA-2024-0001"}
LOGGABLE = [t for t in EVENT_TYPES.values() if t.loggable]


def _forms() -> list[EventForm]:
    return [form_for(t) for t in LOGGABLE]


def _required() -> list[tuple[str, str]]:
    return [(f.event_type.name, field.name) for f in _forms() for field in f.fields
            if field.required]


def _limited() -> list[tuple[str, str]]:
    return [(f.event_type.name, field.name) for f in _forms() for field in f.fields
            if field.max_length is not None]


def _field(type_name: str, name: str) -> FormField:
    return next(f for f in form_for(event_type(type_name)).fields if f.name == name)


def _good(field: FormField) -> str:
    if field.choices:
        return field.choices[0][0]
    return GOOD.get(field.name, "1" if field.kind == "number" else "x")


def _filled(type_name: str, day: str = "3", year: str = "2024") -> dict[str, str]:
    """A good submission of the type's form: its required fields, the case, the date."""
    form = form_for(event_type(type_name))
    values = date_fields(day, year=year)
    if form.case_allowed:
        values["case"] = CASE
    values.update({f.input_id: _good(f) for f in form.fields if f.required})
    return values


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(events)).scalar_one()


def _said_in_words(message: str, label: str) -> None:
    assert label.lower() in message.lower(), message
    assert "data." not in message and "_" not in message, message


@pytest.fixture
def officer(client: FlaskClient, signed_in: SignedIn, engine: Engine) -> FlaskClient:
    let_log_any_type(engine, SCHEME, ["2024/25", "2025/26"])
    signed_in(client, "officer")
    return client


@pytest.mark.parametrize(("type_name", "name"), _required())
def test_every_required_field_left_empty_is_named_and_linked(
    officer: FlaskClient, engine: Engine, type_name: str, name: str
) -> None:
    field = _field(type_name, name)
    values = _filled(type_name)
    del values[field.input_id]
    response = post_form(officer, f"/log/{SCHEME}/{type_name}", values)
    assert response.status_code == 422
    links = error_summary_links(response)
    assert list(links) == [field.input_id]
    _said_in_words(links[field.input_id], field.label)
    assert links[field.input_id].startswith(("Enter ", "Select "))
    assert f'id="{field.input_id}-error"' in response.get_data(as_text=True)
    assert _stored(engine) == 0


@pytest.mark.parametrize(("type_name", "name"), _limited())
def test_every_overlong_text_says_its_limit_in_words(
    officer: FlaskClient, engine: Engine, type_name: str, name: str
) -> None:
    field = _field(type_name, name)
    assert field.max_length is not None
    values = {**_filled(type_name), field.input_id: "x" * (field.max_length + 1)}
    response = post_form(officer, f"/log/{SCHEME}/{type_name}", values)
    assert response.status_code == 422
    assert error_summary_links(response) == {
        field.input_id: f"{field.label} must be {field.max_length:,} characters or fewer"}
    assert _stored(engine) == 0


@pytest.mark.parametrize("type_name", [t.name for t in LOGGABLE])
def test_every_type_dated_in_the_future_names_its_date(
    officer: FlaskClient, engine: Engine, type_name: str
) -> None:
    response = post_form(officer, f"/log/{SCHEME}/{type_name}", _filled(type_name, year="2999"))
    assert response.status_code == 422
    label = event_type(type_name).schema.occurred_label
    assert error_summary_links(response) == {"occurred-day": f"{label} cannot be in the future"}
    assert _stored(engine) == 0


def test_the_referral_says_date_of_the_referral(officer: FlaskClient) -> None:
    response = post_form(officer, f"/log/{SCHEME}/referral.received",
                         {**_filled("referral.received", year="2999")})
    assert error_summary_links(response) == {
        "occurred-day": "Date of the referral cannot be in the future"}


def test_a_missing_month_links_to_the_month_and_marks_only_it(officer: FlaskClient) -> None:
    values = {**_filled("incident.reported"), "occurred-month": ""}
    response = post_form(officer, f"/log/{SCHEME}/incident.reported", values)
    assert error_summary_links(response) == {
        "occurred-month": "Date of the incident must include a month"}
    html = response.get_data(as_text=True)
    assert 'govuk-input--width-2 govuk-input--error" id="occurred-month"' in html
    assert 'govuk-input--width-2" id="occurred-day"' in html


def test_a_bad_time_links_to_the_time_box_and_the_date_is_still_checked(
    officer: FlaskClient, engine: Engine
) -> None:
    values = {**_filled("incident.reported", year="2999"), "occurred-time": "25:00"}
    response = post_form(officer, f"/log/{SCHEME}/incident.reported", values)
    assert response.status_code == 422
    assert error_summary_links(response) == {
        "occurred-day": "Date of the incident cannot be in the future",
        "occurred-time": "Time must be hours and minutes on the 24-hour clock, like 14:30",
    }
    html = response.get_data(as_text=True)
    assert 'id="occurred-time-error"' in html and 'value="25:00"' in html
    assert _stored(engine) == 0


def test_a_time_later_today_is_the_time_box_error() -> None:
    form = form_for(event_type("incident.reported"))
    submission = read_submission(form, SCHEME, {
        **date_fields("1", "7", "2024", time="15:00"), "data-category": "x", "data-location": "x"})
    noon = TimeLimits(now=datetime(2024, 7, 1, 11, 0, tzinfo=UTC))  # midday in London
    parsed = {"occurred_at": ["Cannot be in the future."]}
    assert merged_errors(submission, parsed, noon) == {
        "occurred-time": ["Time cannot be in the future: check the time"]}
    next_day = TimeLimits(now=datetime(2024, 6, 30, 11, 0, tzinfo=UTC))
    assert merged_errors(submission, parsed, next_day) == parsed


def test_continue_with_no_scheme_chosen_says_so(officer: FlaskClient) -> None:
    page = officer.get("/log")
    assert page.status_code == 200
    assert 'type="hidden" name="answered" value="1"' in page.get_data(as_text=True)
    response = officer.get("/log?answered=1")
    assert response.status_code == 200
    assert error_summary_links(response) == {"scheme": "Select the scheme the event belongs to"}
    assert 'id="scheme-error"' in response.get_data(as_text=True)
    chosen = officer.get(f"/log?answered=1&scheme={SCHEME}")
    assert chosen.headers["Location"].endswith(f"/log/{SCHEME}")


def test_continue_with_no_type_chosen_says_so(officer: FlaskClient) -> None:
    page = officer.get(f"/log/{SCHEME}")
    assert page.status_code == 200 and 'name="answered"' in page.get_data(as_text=True)
    response = officer.get(f"/log/{SCHEME}?answered=1&case={CASE}")
    assert error_summary_links(response) == {"type": "Select what happened"}
    assert f'value="{CASE}"' in response.get_data(as_text=True)


def test_optional_radios_offer_not_recorded_and_it_stores_no_value(
    officer: FlaskClient, engine: Engine
) -> None:
    html = officer.get(f"/log/{SCHEME}/referral.received").get_data(as_text=True)
    for form in _forms():
        for field in form.fields:
            assert field.not_recorded == (field.kind == "radios" and not field.required)
    assert 'name="data-risk" type="radio" value=""' in html
    assert "Not recorded" in text_of(officer.get(f"/log/{SCHEME}/referral.received"))
    required = officer.get(f"/log/{SCHEME}/threshold.decided").get_data(as_text=True)
    assert 'name="data-met" type="radio" value=""' not in required
    response = post_form(officer, f"/log/{SCHEME}/referral.received",
                         {**_filled("referral.received"), "data-risk": "", "data-gender": "male"})
    assert response.status_code == 303
    page = text_of(officer.get(response.headers["Location"]))
    assert "Gender Male" in page and "Risk level" not in page
    assert _stored(engine) == 1


def test_a_not_recorded_choice_sent_back_stays_chosen(officer: FlaskClient) -> None:
    values = {**_filled("referral.received", year="2999"), "data-risk": ""}
    html = post_form(officer, f"/log/{SCHEME}/referral.received", values).get_data(as_text=True)
    assert 'name="data-risk" type="radio" value="" checked' in html


def test_long_text_has_the_character_count_with_the_schemas_limit(officer: FlaskClient) -> None:
    outcome = _field("case.closed", "outcome")
    assert outcome.kind == "long-text" and outcome.max_length == 2000
    html = officer.get(f"/log/{SCHEME}/case.closed").get_data(as_text=True)
    assert ('govuk-character-count" data-module="govuk-character-count" '
            f'data-maxlength="{outcome.max_length}"') in html
    assert 'class="govuk-textarea govuk-js-character-count" id="data-outcome"' in html
    assert "You can enter up to 2,000 characters" in html
    short = officer.get(f"/log/{SCHEME}/incident.reported").get_data(as_text=True)
    assert "govuk-character-count" not in short


def test_a_case_of_another_scheme_is_refused_with_the_schemes_name(
    officer: FlaskClient, engine: Engine
) -> None:
    # A reference of no scheme's prefix (an imported one), held by DAVSS: not one ASB may use.
    log(engine, referral(case="2019/0042"))
    response = post_form(officer, "/log/asb-casework/notice.issued", {
        "case": "2019/0042", **date_fields("4"), "data-notice": "warning-letter"})
    assert response.status_code == 422
    message = error_summary_links(response)["case"]
    assert "ASB casework" in message and "asb-casework" not in message
    assert _stored(engine) == 1
