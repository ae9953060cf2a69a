"""The cases list's queries (casebook.services.case_list) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine

from casebook.services.case_list import (
    NEWEST,
    OLDEST,
    CaseFilter,
    CasePage,
    Cursor,
    due_on_case,
    due_this_week,
    list_cases,
)
from events.db import reading
from tests.helpers import event, log, notice, referral

TODAY = date(2024, 6, 10)
EVERYTHING_OPEN = CaseFilter()


def page(engine: Engine, chosen: CaseFilter = EVERYTHING_OPEN, readable: set[str] | None = None,
         *, order: str = NEWEST, after: Cursor | None = None, before: Cursor | None = None,
         size: int = 50) -> CasePage:
    with reading(engine) as connection:
        return list_cases(connection, chosen, readable, user="me", today=TODAY, order=order,
                          after=after, before=before, size=size)


def refs(found: CasePage) -> list[str]:
    return [c.case_ref for c in found.cases]


def walk(engine: Engine, order: str, size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    after: Cursor | None = None
    while True:
        found = page(engine, order=order, after=after, size=size)
        pages.append(refs(found))
        if found.next_after is None:
            return pages
        after = found.next_after


def test_pages_follow_last_activity_then_reference_each_case_once_both_ways(
    engine: Engine,
) -> None:
    start = date(2024, 1, 1)
    log(engine, *[referral(case=f"DA-{n:02}", occurred_at=(start + timedelta(days=n // 3)).isoformat())
                  for n in range(20)])
    newest = [f"DA-{n:02}" for n in sorted(range(20), key=lambda n: (n // 3, n), reverse=True)]
    forwards = walk(engine, NEWEST, 6)
    assert [len(p) for p in forwards] == [6, 6, 6, 2]
    assert [ref for p in forwards for ref in p] == newest
    assert [ref for p in walk(engine, OLDEST, 6) for ref in p] == list(reversed(newest))

    last = page(engine, after=None, size=6)
    for _ in range(3):
        assert last.next_after is not None
        last = page(engine, after=last.next_after, size=6)
    back = page(engine, before=last.cases[0].cursor, size=6)
    assert refs(back) == forwards[2]
    assert back.next_after is not None and back.next_after.case_ref == forwards[2][-1]
    assert back.previous_before is not None
    second = page(engine, before=back.previous_before, size=6)
    assert refs(second) == forwards[1] and second.previous_before is not None
    first = page(engine, before=second.previous_before, size=6)
    assert refs(first) == forwards[0] and first.previous_before is None


def test_the_readers_schemes_bound_every_filter(engine: Engine) -> None:
    log(engine, notice("cpw", case="ASB-1"), referral(case="DA-1"),
        referral(scheme="idva", case="ID-1"))
    assert sorted(refs(page(engine))) == ["ASB-1", "DA-1", "ID-1"]
    assert refs(page(engine, readable={"davss"})) == ["DA-1"]
    assert refs(page(engine, CaseFilter(schemes=frozenset({"asb-casework"})), {"davss"})) == []
    assert sorted(refs(page(engine, CaseFilter(schemes=frozenset({"davss", "idva"}))))) == [
        "DA-1", "ID-1"]
    assert refs(page(engine, readable=set())) == []


def test_status_owner_and_due_filters_read_the_casework_read_models(engine: Engine) -> None:
    log(engine, notice("cpw", case="ASB-1", occurred_at="2024-05-03"),
        notice("cpw", case="ASB-2", occurred_at="2024-06-03"),
        referral(case="DA-1", occurred_at="2024-05-01"),
        event("case.closed", "davss", "2024-05-02", "DA-1"))
    log(engine, event("case.assigned", "asb-casework", "2024-06-04", "ASB-2", officer="me"))
    assert refs(page(engine, CaseFilter(status="closed"))) == ["DA-1"]
    assert refs(page(engine, CaseFilter(owner="me"))) == ["ASB-2"]
    assert refs(page(engine, CaseFilter(owner="none", status="any"))) == ["ASB-1", "DA-1"]
    assert refs(page(engine, CaseFilter(due="overdue"))) == ["ASB-1"]
    assert sorted(refs(page(engine, CaseFilter(due="due")))) == ["ASB-1", "ASB-2"]
    [soonest] = [c.next_due for c in page(engine, CaseFilter(text="asb-1")).cases]
    assert soonest is not None and soonest.kind == "cpw-compliance"
    assert soonest.due_on == date(2024, 5, 31)


def test_a_subject_reference_finds_the_cases_linked_to_it_by_its_keyed_hash(
    engine: Engine,
) -> None:
    log(engine, referral(case="DA-8", subject="SUBJ-77"), referral(case="DA-9", subject="SUBJ-7"),
        referral(scheme="idva", case="ID-1", subject="SUBJ-77"))
    assert sorted(refs(page(engine, CaseFilter(subject="SUBJ-77")))) == ["DA-8", "ID-1"]
    assert refs(page(engine, CaseFilter(subject="SUBJ-77"), {"davss"})) == ["DA-8"]
    assert refs(page(engine, CaseFilter(subject="subj-77"))) == []
    assert refs(page(engine, CaseFilter(subject="SUBJ-77", text="ID"))) == ["ID-1"]


def test_what_is_due_this_week_on_an_owners_cases_counts_overdue_items_too(
    engine: Engine,
) -> None:
    log(engine, notice("cpw", case="ASB-1", occurred_at="2024-05-03"),
        notice("cpw", case="ASB-2", occurred_at="2024-05-16"),
        notice("cpw", case="ASB-3", occurred_at="2024-05-20"),
        notice("cpw", case="ASB-4", occurred_at="2024-05-03"))
    log(engine, *[event("case.assigned", "asb-casework", "2024-06-01", ref, officer="me")
                  for ref in ("ASB-1", "ASB-2", "ASB-3")])
    with reading(engine) as connection:
        due = due_this_week(connection, "me", None, TODAY)
        assert [(d.case_ref, d.due_on) for d in due] == [
            ("ASB-1", date(2024, 5, 31)), ("ASB-2", date(2024, 6, 13))]
        assert due_this_week(connection, "me", {"davss"}, TODAY) == []
        assert [d.kind for d in due_on_case(connection, "asb-4", TODAY)] == ["cpw-compliance"]
