"""What is due on a case: worked examples, and random histories against a naive computation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.model import StoredEvent
from events.quarters import LONDON, Quarter
from projections.due_items import DueItem, DueKind, DueRules, add_months, due_for_case
from projections.working_days import add_working_days, is_working_day
from tests.naive_due import BANK_HOLIDAYS, naive_due

CASE = "ASB-2026-0001"


class Case:
    """A case's events as the store would give them back, in log order."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []

    def log(self, type_: str, on: date | datetime, case: str | None = CASE, **data: Any) -> str:
        moment = on if isinstance(on, datetime) else datetime.combine(on, time(10), LONDON)
        position = len(self.events) + 1
        self.events.append(StoredEvent(
            position=position, event_id=f"e{position}", type=type_, version=1, scheme="asb-casework",
            case_ref=case, stream_version=position, occurred_at=moment.astimezone(UTC),
            local_date=moment.astimezone(LONDON).date(),
            period=Quarter.of(moment.astimezone(LONDON).date()).index,
            recorded_at=datetime(2028, 1, 1, tzinfo=UTC), recorded_by="j.smith", data=data))
        return f"e{position}"

    def __repr__(self) -> str:
        return "\n".join(f"{e.event_id} {e.type} {e.case_ref} {e.occurred_at:%Y-%m-%d %H} {e.data}"
                         for e in self.events)

    def due(self, voided: frozenset[str] = frozenset(), rules: DueRules | None = None) -> list[DueItem]:
        return due_for_case(self.events, voided, rules or DueRules())

    def due_of(self, kind: DueKind, voided: frozenset[str] = frozenset()) -> list[DueItem]:
        return [item for item in self.due(voided) if item.kind is kind]


def test_a_cpw_on_1_december_2026_has_its_compliance_check_due_on_29_december() -> None:
    case = Case()
    cpw = case.log("notice.issued", date(2026, 12, 1), notice="cpw")
    assert case.due_of(DueKind.CPW_COMPLIANCE) == [DueItem(DueKind.CPW_COMPLIANCE, date(2026, 12, 29), cpw)]


def test_an_application_on_18_december_2026_has_its_decision_due_after_the_christmas_bank_holidays() -> None:
    # Working days from Monday 21 December: 21, 22, 23, 24 (Christmas Day Friday 25 and the
    # substitute Boxing Day Monday 28 are bank holidays), 29, 30, 31 (New Year's Day Friday 1),
    # then 4, 5 and 6 January 2027: the tenth.
    case = Case()
    application = case.log("application.received", date(2026, 12, 18))
    assert case.due_of(DueKind.ACR_THRESHOLD) == [
        DueItem(DueKind.ACR_THRESHOLD, date(2027, 1, 6), application)]


def test_a_voided_compliance_check_no_longer_meets_the_cpw_check() -> None:
    case = Case()
    cpw = case.log("notice.issued", date(2026, 3, 2), notice="cpw")
    check = case.log("compliance.checked", date(2026, 3, 20), notice="cpw", complied=True)
    assert case.due_of(DueKind.CPW_COMPLIANCE) == []
    assert case.due_of(DueKind.CPW_COMPLIANCE, frozenset({check})) == [
        DueItem(DueKind.CPW_COMPLIANCE, date(2026, 3, 30), cpw)]


def test_a_voided_cpw_makes_nothing_due_and_a_voided_cpn_brings_back_the_cpw_check() -> None:
    case = Case()
    referral = case.log("referral.received", date(2026, 3, 1))
    cpw = case.log("notice.issued", date(2026, 3, 2), notice="cpw")
    cpn = case.log("notice.issued", date(2026, 3, 10), notice="cpn")
    assert [i.kind for i in case.due()] == [DueKind.INACTIVE, DueKind.CPN_REVIEW]
    assert [i.kind for i in case.due(frozenset({cpn}))] == [DueKind.CPW_COMPLIANCE, DueKind.INACTIVE]
    assert [(i.kind, i.because) for i in case.due(frozenset({cpw, cpn}))] == [(DueKind.INACTIVE, referral)]


def test_a_cpn_on_31_august_has_its_review_on_the_last_day_of_february() -> None:
    case = Case()
    case.log("notice.issued", date(2026, 8, 20), notice="cpw")
    cpn = case.log("notice.issued", date(2026, 8, 31), notice="cpn")
    assert case.due_of(DueKind.CPN_REVIEW) == [DueItem(DueKind.CPN_REVIEW, date(2027, 2, 28), cpn)]
    case.log("compliance.checked", date(2027, 2, 1), notice="cpn", complied=False)
    assert case.due_of(DueKind.CPN_REVIEW) == []


def test_a_threshold_met_makes_the_panel_due_until_a_case_review_panel_lists_the_case() -> None:
    case = Case()
    case.log("application.received", date(2026, 3, 23))
    decision = case.log("threshold.decided", date(2026, 3, 27), met=True)
    # 25 working days from Monday 30 March, skipping Good Friday and Easter Monday 2026.
    assert case.due_of(DueKind.ACR_PANEL) == [DueItem(DueKind.ACR_PANEL, date(2026, 5, 6), decision)]
    case.log("panel.held", date(2026, 4, 20), case=None, panel="marac", cases=[CASE])
    assert len(case.due_of(DueKind.ACR_PANEL)) == 1
    case.log("panel.held", date(2026, 4, 21), case="ASB-2026-0777", panel="case-review", cases=[CASE])
    assert case.due_of(DueKind.ACR_PANEL) == []
    assert case.due_of(DueKind.INACTIVE)[0].because == decision, "another case's panel is not this case's activity"


def test_a_closed_case_has_nothing_due_and_reopening_it_brings_back_all_but_its_cpw_check() -> None:
    case = Case()
    case.log("notice.issued", date(2026, 1, 5), notice="cpw")
    case.log("application.received", date(2026, 1, 6))
    closed = case.log("case.closed", date(2026, 1, 20))
    assert case.due() == []
    case.log("referral.received", date(2026, 2, 2))
    assert [i.kind for i in case.due()] == [DueKind.ACR_THRESHOLD, DueKind.INACTIVE]
    assert [i.kind for i in case.due(frozenset({closed}))] == [
        DueKind.ACR_THRESHOLD, DueKind.CPW_COMPLIANCE, DueKind.INACTIVE]


def test_a_check_logged_as_happening_before_the_cpw_does_not_meet_it() -> None:
    case = Case()
    case.log("notice.issued", date(2026, 5, 10), notice="cpw")
    case.log("compliance.checked", date(2026, 5, 9), notice="cpw", complied=True)
    assert len(case.due_of(DueKind.CPW_COMPLIANCE)) == 1


def test_each_decision_meets_one_application() -> None:
    case = Case()
    case.log("application.received", date(2026, 6, 1))
    second = case.log("application.received", date(2026, 6, 2))
    case.log("threshold.decided", date(2026, 6, 3), met=False)
    assert [i.because for i in case.due_of(DueKind.ACR_THRESHOLD)] == [second]


def test_the_inactivity_review_is_due_days_after_the_latest_standing_events_local_date() -> None:
    case = Case()
    first = case.log("referral.received", datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    late = case.log("case.assigned", date(2026, 7, 3), officer="j.smith")
    rules = DueRules(inactive_days=10)
    assert [(i.due_on, i.because) for i in case.due(rules=rules)] == [(date(2026, 7, 13), late)]
    assert [(i.due_on, i.because) for i in case.due(frozenset({late}), rules)] == [(date(2026, 7, 11), first)]


def test_the_calendar_knows_englands_bank_holidays_and_counts_from_the_next_day() -> None:
    assert not is_working_day(date(2027, 12, 28))
    assert not is_working_day(date(2026, 8, 31))
    assert is_working_day(date(2026, 12, 24))
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 1, 2), 1) == date(2026, 1, 5)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_rules_keep_only_what_differs_from_the_defaults() -> None:
    assert DueRules().to_json() is None
    changed = DueRules(cpw_compliance_days=21, inactive_days=60)
    assert changed.to_json() == '{"cpw_compliance_days": 21, "inactive_days": 60}'
    assert DueRules.from_json(changed.to_json()) == changed
    assert DueRules.from_json('{"a_setting_of_a_later_version": 3}') == DueRules()


# Days that put events and due dates around Christmas, New Year and Easter, and anywhere else.
_AROUND = [date(2024, 12, 20), date(2025, 4, 15), date(2025, 12, 22), date(2026, 3, 31),
           date(2026, 12, 21), date(2027, 3, 23)]
_DAYS = st.one_of(
    st.builds(lambda d, n: d + timedelta(days=n), st.sampled_from(_AROUND), st.integers(-12, 12)),
    st.dates(date(2024, 1, 1), date(2027, 6, 30)),
)
_STEPS: list[tuple[str, dict[str, Any], str | None]] = [
    ("notice.issued", {"notice": "cpw"}, CASE),
    ("notice.issued", {"notice": "cpn"}, CASE),
    ("notice.issued", {"notice": "dispersal"}, CASE),
    ("compliance.checked", {"notice": "cpw", "complied": True}, CASE),
    ("compliance.checked", {"notice": "cpn", "complied": False}, CASE),
    ("application.received", {}, CASE),
    ("threshold.decided", {"met": True}, CASE),
    ("threshold.decided", {"met": False}, CASE),
    ("panel.held", {"panel": "case-review"}, CASE.lower()),
    ("panel.held", {"panel": "case-review", "cases": [CASE]}, None),
    ("panel.held", {"panel": "case-review", "cases": [CASE]}, "DA-2026-0002"),
    ("panel.held", {"panel": "marac", "cases": [CASE]}, None),
    ("case.closed", {}, CASE),
    ("case.assigned", {"officer": "a.khan"}, CASE.lower()),
    ("referral.received", {}, CASE),
]


@st.composite
def _histories(draw: Callable[[st.SearchStrategy[Any]], Any]) -> tuple[Case, frozenset[str]]:
    case = Case()
    for _ in range(draw(st.integers(1, 14))):
        type_, data, ref = draw(st.sampled_from(_STEPS))
        # Whole hours only, so that events at the same moment (stored in turn) come up; late
        # hours in UTC are the next day in London in summer.
        moment = datetime.combine(draw(_DAYS), time(draw(st.sampled_from([0, 9, 23]))), UTC)
        case.log(type_, moment, case=ref, **data)
    voided = draw(st.sets(st.sampled_from([e.event_id for e in case.events])))
    return case, frozenset(voided)


_RULES = st.one_of(st.just(DueRules()), st.builds(
    DueRules, st.integers(1, 60), st.integers(1, 6), st.integers(1, 30), st.integers(1, 30),
    st.integers(1, 120)))


@settings(max_examples=400, deadline=None)
@given(history=_histories(), rules=_RULES)
def test_what_is_due_equals_the_naive_computation_for_any_history_with_voids(
    history: tuple[Case, frozenset[str]], rules: DueRules,
) -> None:
    case, voided = history
    expected = naive_due(case.events, voided, CASE, rules.cpw_compliance_days, rules.cpn_review_months,
                         rules.threshold_working_days, rules.panel_working_days, rules.inactive_days)
    found = due_for_case(case.events, voided, rules, case_ref=CASE.lower())
    assert sorted((i.kind.value, i.due_on, i.because) for i in found) == expected
    if any(e.case_ref and e.case_ref.upper() == CASE for e in case.events):
        assert due_for_case(case.events, voided, rules) == found, "the case worked out from its events"
    assert [i.due_on for i in found] == sorted(i.due_on for i in found)


def test_the_calendar_agrees_with_govuks_bank_holidays_2024_to_2027() -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range((date(2027, 12, 31) - date(2024, 1, 1)).days)]
    assert {d for d in days if d.weekday() < 5 and not is_working_day(d)} == BANK_HOLIDAYS
