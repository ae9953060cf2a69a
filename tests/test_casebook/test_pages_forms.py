"""The event forms are generated from the event schemas, and read back into interchange events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casebook.web.form_errors import submission_errors
from casebook.web.forms import form_for, read_submission
from casebook.web.pages.describe import occurred
from events.interchange import InvalidEvent, parse_event
from events.types import EVENT_TYPES, event_type
from projections.presentation.text import local_time


def kinds(type_name: str) -> dict[str, str]:
    return {f.name: f.kind for f in form_for(event_type(type_name)).fields}


def test_every_loggable_type_has_a_form_with_one_input_per_schema_field() -> None:
    for event in EVENT_TYPES.values():
        form = form_for(event)
        assert [f.name for f in form.fields] == list(event.schema().fields)
        assert all(f.label for f in form.fields)


def test_short_enumerations_are_radios_and_long_ones_a_select() -> None:
    assert kinds("referral.received") == {
        "subject": "text", "source": "select", "risk": "radios", "gender": "radios",
        "age_band": "radios", "category": "text",
    }
    assert kinds("threshold.decided") == {"met": "boolean"}
    assert kinds("panel.held") == {"panel": "radios", "cases": "lines", "recommendations": "number"}


def test_choices_carry_the_plain_english_labels_of_the_schema() -> None:
    notice = form_for(event_type("notice.issued")).fields[0]
    assert notice.required
    assert ("cpw", "Community Protection Warning (CPW)") in notice.choices


def test_a_filled_form_becomes_a_valid_interchange_event() -> None:
    form = form_for(event_type("panel.held"))
    submission = read_submission(form, "asb-case-review", {
        "case": " CR-1 ", "occurred-day": "3", "occurred-month": "5", "occurred-year": "2024",
        "occurred-time": "14:30", "data-panel": "case-review",
        "data-cases": "CR-1\n\n CR-2 \n", "data-recommendations": "2",
    })
    assert submission.errors == {}
    assert submission.line["case"] == "CR-1"
    assert submission.line["occurred_at"] == "2024-05-03T14:30:00"
    assert submission.line["data"] == {"panel": "case-review", "cases": ["CR-1", "CR-2"],
                                       "recommendations": 2}
    event = parse_event(submission.line, default_recorded_by="j.smith")
    assert event.local_date.isoformat() == "2024-05-03"


def test_booleans_are_read_as_yes_or_no() -> None:
    form = form_for(event_type("threshold.decided"))
    submission = read_submission(form, "asb-case-review", {
        "case": "CR-1", "occurred-day": "3", "occurred-month": "5", "occurred-year": "2024",
        "data-met": "false",
    })
    assert submission.line["data"] == {"met": False}


@pytest.mark.parametrize(("day", "month", "year", "where", "message"), [
    ("", "", "", "occurred-day", "Enter the date of the incident"),
    ("3", "", "2024", "occurred-month", "Date of the incident must include a month"),
    ("31", "2", "2024", "occurred-day", "Date of the incident must be a real date"),
    ("3", "5", "24", "occurred-year", "Date of the incident must have a year of 4 numbers, like 2025"),
])
def test_a_bad_date_is_named_in_govuk_words(day: str, month: str, year: str, where: str,
                                            message: str) -> None:
    form = form_for(event_type("incident.reported"))
    submission = read_submission(form, "asb-enforcement", {
        "occurred-day": day, "occurred-month": month, "occurred-year": year,
    })
    assert submission.errors == {where: [message]}


def test_schema_errors_are_said_per_field_with_the_form_labels() -> None:
    form = form_for(event_type("engagement.recorded"))
    submission = read_submission(form, "kenward-trust", {
        "occurred-day": "3", "occurred-month": "5", "occurred-year": "2024",
        "data-people": "lots",
    })
    with pytest.raises(InvalidEvent) as refused:
        parse_event(submission.line, default_recorded_by="j.smith")
    messages = submission_errors(form, refused.value.errors)
    assert messages == {
        "data-kind": "Select kind of engagement",
        "data-people": "People engaged must be a whole number, like 12",
    }


def test_a_cpw_without_a_case_asks_for_the_case_reference() -> None:
    form = form_for(event_type("notice.issued"))
    submission = read_submission(form, "asb-casework", {
        "occurred-day": "3", "occurred-month": "5", "occurred-year": "2024", "data-notice": "cpw",
    })
    with pytest.raises(InvalidEvent) as refused:
        parse_event(submission.line, default_recorded_by="j.smith")
    assert submission_errors(form, refused.value.errors) == {
        "case": "Enter the case reference: this event must belong to a case",
    }


def test_times_are_said_in_uk_local_time_the_govuk_way() -> None:
    assert local_time(datetime(2024, 7, 1, 13, 30, tzinfo=UTC)) == "1 July 2024 at 2:30pm"
    assert local_time(datetime(2024, 7, 1, 11, 0, tzinfo=UTC)) == "1 July 2024 at midday"
    assert local_time(datetime(2024, 12, 1, 0, 0, tzinfo=UTC)) == "1 December 2024 at midnight"
    assert occurred(datetime(2024, 6, 30, 23, 0, tzinfo=UTC)) == "1 July 2024"
