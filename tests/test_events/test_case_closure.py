"""Whether a case is closed, decided from its past events alone (the case page and retention agree)."""

from __future__ import annotations

from datetime import datetime

from events.rules import CaseEntry, closure


def _entry(type_: str, occurred_at: str, *, voided: bool = False, n: int = 0) -> CaseEntry:
    return CaseEntry(event_id=f"{type_}-{occurred_at}-{n}", type=type_, notice=None,
                     occurred_at=datetime.fromisoformat(f"{occurred_at}+00:00"), voided=voided)


REFERRAL = _entry("referral.received", "2024-05-01T09:00:00")
CLOSED = _entry("case.closed", "2024-05-10T09:00:00")


def test_a_case_with_no_events_or_no_closure_is_open() -> None:
    assert closure([]) is None
    assert closure([REFERRAL]) is None


def test_a_case_whose_latest_event_is_its_closure_is_closed_by_that_event() -> None:
    assert closure([REFERRAL, CLOSED]) is CLOSED


def test_a_later_event_reopens_the_case_even_when_stored_before_the_closure() -> None:
    later = _entry("panel.held", "2024-06-01T09:00:00")
    assert closure([REFERRAL, CLOSED, later]) is None
    assert closure([REFERRAL, later, CLOSED]) is None


def test_an_earlier_event_logged_after_the_closure_leaves_it_closed() -> None:
    backdated = _entry("panel.held", "2024-05-05T09:00:00")
    assert closure([REFERRAL, CLOSED, backdated]) is CLOSED


def test_a_voided_closure_does_not_close_and_a_voided_later_event_does_not_reopen() -> None:
    voided_closure = _entry("case.closed", "2024-05-10T09:00:00", voided=True)
    assert closure([REFERRAL, voided_closure]) is None
    voided_later = _entry("panel.held", "2024-06-01T09:00:00", voided=True)
    assert closure([REFERRAL, CLOSED, voided_later]) is CLOSED


def test_of_two_events_at_the_same_moment_the_one_stored_later_decides() -> None:
    same_moment = _entry("panel.held", "2024-05-10T09:00:00")
    assert closure([REFERRAL, same_moment, CLOSED]) is CLOSED
    assert closure([REFERRAL, CLOSED, same_moment]) is None


def test_a_void_in_the_history_is_not_the_latest_event() -> None:
    void = _entry("event.voided", "2024-06-01T09:00:00")
    assert closure([REFERRAL, CLOSED, void]) is CLOSED
