"""Financial quarters are decided by the Europe/London date an event happened on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from events.quarters import (
    BadPeriod,
    FinancialYear,
    Quarter,
    local_date,
    one_year_before,
    parse_occurred_at,
    parse_quarter_label,
)
from tests.helpers import event, log, referral, value


def quarter_of(text: str) -> Quarter:
    return Quarter.of(local_date(parse_occurred_at(text)))


def test_half_past_eleven_at_night_utc_on_30_june_is_already_july_in_london() -> None:
    assert quarter_of("2024-06-30T23:30:00Z") == Quarter(2024, 2)


def test_a_quarter_past_midnight_on_1_april_bst_is_in_the_next_financial_year() -> None:
    assert quarter_of("2025-04-01T00:15:00+01:00") == Quarter(2025, 1)
    assert quarter_of("2025-04-01T00:15:00+01:00").year != FinancialYear(2024)


def test_an_offset_time_that_is_still_30_june_in_utc_counts_on_1_july() -> None:
    assert quarter_of("2024-07-01T00:30:00+01:00") == Quarter(2024, 2)


def test_in_winter_london_is_on_utc_so_midnight_utc_on_1_january_is_q4() -> None:
    assert quarter_of("2025-01-01T00:00:00Z") == Quarter(2024, 4)
    assert quarter_of("2024-12-31T23:59:59Z") == Quarter(2024, 3)
    assert quarter_of("2024-12-31T23:59:59-01:00") == Quarter(2024, 4)


def test_a_bare_date_is_that_local_date_in_summer_and_in_winter() -> None:
    summer = parse_occurred_at("2024-07-01")
    winter = parse_occurred_at("2025-01-01")
    assert summer == datetime(2024, 6, 30, 23, 0, tzinfo=UTC)
    assert winter == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert quarter_of("2024-07-01") == Quarter(2024, 2)
    assert quarter_of("2024-06-30") == Quarter(2024, 1)
    assert quarter_of("2025-03-31") == Quarter(2024, 4)
    assert quarter_of("2025-04-01") == Quarter(2025, 1)


def test_a_naive_timestamp_is_london_time_with_bst_in_summer_and_gmt_in_winter() -> None:
    assert parse_occurred_at("2024-07-01T00:30:00") == datetime(2024, 6, 30, 23, 30, tzinfo=UTC)
    assert parse_occurred_at("2025-01-15T09:00:00") == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
    assert quarter_of("2024-07-01T00:30:00") == Quarter(2024, 2)
    assert quarter_of("2025-04-01T00:15:00") == Quarter(2025, 1)


def test_times_are_stored_in_utc_whatever_offset_they_were_written_with() -> None:
    assert parse_occurred_at("2024-06-30T23:30:00z") == datetime(2024, 6, 30, 23, 30, tzinfo=UTC)
    assert parse_occurred_at("2024-07-01T01:30:00+02:00") == datetime(2024, 6, 30, 23, 30, tzinfo=UTC)
    assert parse_occurred_at(" 2024-05-03 ") == datetime(2024, 5, 2, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01", "2024-02-30", "03/05/2024"])
def test_text_that_is_not_a_date_or_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_occurred_at(text)


def test_local_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2024, 5, 1, 12, 0))


def test_quarters_run_april_to_june_july_to_september_october_to_december_january_to_march() -> None:
    year = FinancialYear(2024)
    assert [(q.first_day, q.last_day) for q in year.quarters] == [
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 9, 30)),
        (date(2024, 10, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 3, 31)),
    ]
    assert Quarter.of(date(2024, 3, 31)) == Quarter(2023, 4)
    assert Quarter.of(date(2024, 4, 1)) == Quarter(2024, 1)


def test_consecutive_quarters_have_consecutive_indexes_across_a_year_end() -> None:
    q4 = Quarter(2024, 4)
    assert q4.next() == Quarter(2025, 1)
    assert q4.next().index == q4.index + 1
    assert Quarter(2025, 1).previous() == q4
    assert Quarter.from_index(q4.index) == q4
    assert q4.year_earlier() == Quarter(2023, 4)


def test_years_and_quarters_are_written_and_read_the_same_way() -> None:
    assert str(FinancialYear(2024)) == "2024/25"
    assert str(FinancialYear(1999)) == "1999/00"
    assert FinancialYear.parse("1999/00") == FinancialYear(1999)
    assert str(Quarter(2024, 3)) == "2024/25 Q3"
    assert Quarter.parse(" 2024/25 Q3 ") == Quarter(2024, 3)
    assert FinancialYear.of(date(2025, 2, 1)) == FinancialYear(2024)
    assert parse_quarter_label("q2") == 2


@pytest.mark.parametrize("text", ["2024/26", "2024-25", "24/25", "2024/25 Q5", "2024/25Q1"])
def test_badly_written_periods_are_refused(text: str) -> None:
    with pytest.raises(BadPeriod):
        if "Q" in text:
            Quarter.parse(text)
        else:
            FinancialYear.parse(text)


def test_quarter_labels_other_than_q1_to_q4_are_refused() -> None:
    with pytest.raises(BadPeriod):
        parse_quarter_label("Q0")
    with pytest.raises(BadPeriod):
        FinancialYear(2024).quarter(5)


def test_a_year_before_29_february_is_28_february() -> None:
    assert one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert one_year_before(date(2024, 3, 1)) == date(2023, 3, 1)


def test_stored_events_count_in_the_quarter_of_their_local_date(engine: Engine) -> None:
    log(
        engine,
        referral(occurred_at="2024-06-30T23:30:00Z"),
        referral(occurred_at="2024-06-30T22:59:00Z"),
        referral(occurred_at="2024-07-01T00:30:00+01:00"),
        referral(occurred_at="2025-03-31T23:59:00"),
        referral(occurred_at="2025-04-01T00:15:00+01:00"),
        referral(occurred_at="2025-01-01"),
    )
    assert value(engine, "davss.referrals", quarter="Q1") == 1
    assert value(engine, "davss.referrals", quarter="Q2") == 2
    assert value(engine, "davss.referrals", quarter="Q4") == 2
    assert value(engine, "davss.referrals") == 5
    assert value(engine, "davss.referrals", year="2025/26", quarter="Q1") == 1


def test_a_return_counts_in_the_quarter_it_names_not_the_quarter_it_was_sent(engine: Engine) -> None:
    log(engine, event("return.submitted", "idva", "2024-07-10", indicator="people-supported",
                      quarter="2024/25 Q1", value=40))
    assert value(engine, "idva.supported", quarter="Q1") == 40
    assert value(engine, "idva.supported", quarter="Q2") == 0
