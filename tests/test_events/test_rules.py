"""The rules of spec §3 as pure decisions: no database, only lists of what happened before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from events.interchange import parse_event
from events.model import NewEvent
from events.rules import CaseEntry, RuleBroken, VoidTarget, check_case, check_scheme, check_void
from tests.helpers import event


def _new(type_: str, scheme: str, occurred_at: str, case: str | None = None,
         **data: Any) -> NewEvent:
    return parse_event(event(type_, scheme, occurred_at, case, **data), default_recorded_by="t")


def _entry(type_: str, occurred_at: str, notice: str | None = None,
           voided: bool = False) -> CaseEntry:
    return CaseEntry(event_id=f"{type_}-{occurred_at}", type=type_, notice=notice,
                     occurred_at=datetime.fromisoformat(f"{occurred_at}T12:00:00+00:00"),
                     voided=voided)


def _broken(check: Any, *args: Any) -> tuple[str, str]:
    with pytest.raises(RuleBroken) as raised:
        check(*args)
    return raised.value.field, raised.value.message


CPN = _new("notice.issued", "asb-casework", "2024-06-01", "ASB-1", notice="cpn")


def test_a_cpn_stands_on_an_earlier_cpw_that_is_not_voided() -> None:
    check_case(CPN, "asb-casework", [_entry("notice.issued", "2024-05-01", "cpw")])


@pytest.mark.parametrize("history", [
    [],
    [_entry("notice.issued", "2024-05-01", "cpw", voided=True)],
    [_entry("notice.issued", "2024-07-01", "cpw")],  # after the CPN
    [_entry("notice.issued", "2024-05-01", "cpn")],  # a CPN is not a CPW
], ids=["no CPW", "a voided CPW", "a later CPW", "another notice"])
def test_a_cpn_without_a_standing_earlier_cpw_is_refused_naming_the_notice(
    history: list[CaseEntry],
) -> None:
    field, message = _broken(check_case, CPN, "asb-casework", history)
    assert field == "data.notice" and "Log the CPW first" in message


def test_a_fixed_penalty_needs_a_cpn_and_a_cpw_alone_is_not_enough() -> None:
    fpn = _new("notice.issued", "asb-casework", "2024-06-01", "ASB-1", notice="cpn-fpn")
    assert _broken(check_case, fpn, "asb-casework",
                   [_entry("notice.issued", "2024-05-01", "cpw")])[0] == "data.notice"
    check_case(fpn, "asb-casework", [_entry("notice.issued", "2024-05-01", "cpw"),
                                     _entry("notice.issued", "2024-05-10", "cpn")])


def test_a_case_of_another_scheme_is_refused_in_the_same_words_whatever_it_holds() -> None:
    referral = _new("referral.received", "davss", "2024-06-01", "ASB-1", risk="high")
    empty = _broken(check_case, referral, "asb-casework", [])
    busy = _broken(check_case, referral, "asb-casework",
                   [_entry("notice.issued", "2024-05-01", "cpw")])
    assert empty == busy and empty[0] == "case"


def test_one_threshold_decision_per_application_and_none_before_it() -> None:
    decided = _new("threshold.decided", "asb-case-review", "2024-06-01", "ACR-1", met=True)
    field, message = _broken(check_case, decided, "asb-case-review", [])
    assert field == "case" and "Log the application first" in message
    applied = [_entry("application.received", "2024-05-01")]
    check_case(decided, "asb-case-review", applied)
    once = [*applied, _entry("threshold.decided", "2024-05-10")]
    assert "one decision per application" in _broken(check_case, decided, "asb-case-review", once)[1]
    # Voiding the wrong decision makes room for the right one.
    check_case(decided, "asb-case-review",
               [*applied, _entry("threshold.decided", "2024-05-10", voided=True)])


def test_an_event_without_a_case_passes_the_case_rules() -> None:
    check_case(_new("engagement.recorded", "kenward-trust", "2024-06-01", kind="outreach",
                    people=3), None, [])


TARGET = "7f1d2c3b-0a4e-4b6f-9c8d-1e2f3a4b5c6d"
VOID = _new("event.voided", "asb-casework", "2024-06-01", target=TARGET, reason="Wrong case")


def test_a_void_of_a_standing_event_in_its_scheme_passes() -> None:
    check_void(VOID, VoidTarget(TARGET, "notice.issued", "asb-casework", voided=False))


@pytest.mark.parametrize(("target", "said"), [
    (None, f"There is no event {TARGET} in the scheme 'asb-casework'"),
    (VoidTarget(TARGET, "referral.received", "davss", voided=False),
     f"There is no event {TARGET} in the scheme 'asb-casework'"),
    (VoidTarget(TARGET, "event.voided", "asb-casework", voided=False), "A void cannot be voided"),
    (VoidTarget(TARGET, "notice.issued", "asb-casework", voided=True), "already voided"),
], ids=["missing", "another scheme's", "a void", "voided already"])
def test_a_void_that_cannot_stand_is_refused_naming_its_target(
    target: VoidTarget | None, said: str,
) -> None:
    field, message = _broken(check_void, VOID, target)
    assert field == "data.target" and said in message


def test_a_retired_scheme_takes_an_erasure_and_nothing_else() -> None:
    referral = _new("referral.received", "davss", "2024-06-01", "D-1", risk="high")
    assert _broken(check_scheme, referral, {"davss": True})[0] == "scheme"
    assert "no scheme" in _broken(check_scheme, referral, {})[1]
    check_scheme(referral, {"davss": False})
