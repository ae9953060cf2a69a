"""Case references are case-insensitive, and another scheme's prefix opens no case (spec §3)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from casebook.database import migrate, migrations_config
from events.db import reading, writing
from events.interchange import parse_event
from events.store import EventsRefused, append, read_events
from events.tables import cases, schemes
from projections.rebuild import project
from tests.helpers import event, import_jsonl, log, notice, referral


def _cases(engine: Engine) -> list[tuple[Any, ...]]:
    with reading(engine) as connection:
        return [tuple(row) for row in connection.execute(
            sa.select(cases.c.case_ref, cases.c.scheme, cases.c.version).order_by(cases.c.case_ref))]


def _as_stored_before(engine: Engine, line: dict[str, Any]) -> None:
    """Store `line` with its reference exactly as written, as the store did before references
    were stored in capitals."""
    parsed = parse_event(line, default_recorded_by="tester")
    with writing(engine) as connection:
        append(connection, [dataclasses.replace(parsed, case_ref=line["case"])], project=project)


def _set_prefix(engine: Engine, scheme: str, prefix: str | None) -> None:
    with writing(engine) as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == scheme)
                           .values(case_prefix=prefix))


def test_lower_and_upper_case_open_one_case_stored_in_capitals(engine: Engine) -> None:
    log(engine, notice("cpw", case="asb-2026-9003"))
    log(engine, notice("cpn", case="ASB-2026-9003"), expected_versions={"asb-2026-9003": 1})
    report = import_jsonl(engine, [notice("cpn-fpn", case="Asb-2026-9003")])
    assert report.errors == []
    assert _cases(engine) == [("ASB-2026-9003", "asb-casework", 3)]
    with reading(engine) as connection:
        assert {e.case_ref for e in read_events(connection)} == {"ASB-2026-9003"}


def test_an_old_lower_case_reference_and_a_new_capital_one_are_one_case(engine: Engine) -> None:
    _as_stored_before(engine, notice("cpw", case="asb-1"))
    # The CPN's rule looks back at the CPW stored under "asb-1".
    log(engine, notice("cpn", case="ASB-1"), expected_versions={"ASB-1": 1})
    assert _cases(engine) == [("ASB-1", "asb-casework", 2)]
    with reading(engine) as connection:
        assert [e.case_ref for e in read_events(connection)] == ["asb-1", "ASB-1"]
    # An export of the old event imported again is the same event, not a reused id.
    with reading(engine) as connection:
        old = next(read_events(connection))
    again = event("notice.issued", "asb-casework", old.occurred_at.isoformat(), "asb-1",
                  event_id=old.event_id, notice="cpw")
    assert import_jsonl(engine, [again]).duplicates == [old.event_id]


@pytest.mark.parametrize("path", ["append", "import"])
def test_a_reference_with_another_schemes_prefix_is_refused(engine: Engine, path: str) -> None:
    line = referral(scheme="asb-casework", case="da-2026-0001", category="noise")
    if path == "append":
        with pytest.raises(EventsRefused) as refused:
            log(engine, line)
        errors = refused.value.errors
    else:
        errors = import_jsonl(engine, [line]).errors
    assert [(e.field, e.message) for e in errors] == [(
        "case", "Case reference cannot begin with DA-, the prefix of another scheme's cases: "
                "check it, or use a reference beginning ASB- for this scheme.")]
    assert _cases(engine) == []


def test_references_of_other_patterns_are_accepted(engine: Engine) -> None:
    refs = ["HOUSING/2019/77", "2015-0042", "ASB2019-1", "DAVID-3", "asb_old.9"]
    log(engine, *(referral(scheme="davss", case=ref) for ref in refs))
    assert {ref for ref, _, _ in _cases(engine)} == {r.upper() for r in refs}


def test_a_case_opened_before_its_prefix_was_anothers_goes_on(engine: Engine) -> None:
    _set_prefix(engine, "davss", None)
    log(engine, notice("cpw", case="DA-OLD-1"))
    _set_prefix(engine, "davss", "DA")
    log(engine, notice("cpn", case="da-old-1"))
    assert _cases(engine) == [("DA-OLD-1", "asb-casework", 2)]
    # The same reference is still refused to any other scheme, as before.
    with pytest.raises(EventsRefused):
        log(engine, referral(scheme="mediation", case="DA-OLD-1"))


def test_the_migration_merges_cases_that_differ_only_by_case(engine: Engine) -> None:
    _as_stored_before(engine, notice("cpw", case="asb-1", occurred_at="2024-05-01"))
    _as_stored_before(engine, notice("warning-letter", case="ASB-1", occurred_at="2024-05-09"))
    _as_stored_before(engine, referral(scheme="davss", case="y-9"))
    with reading(engine) as connection:
        kept = {row.case_ref: row for row in connection.execute(sa.select(cases))}
    with writing(engine) as connection:
        command.downgrade(migrations_config(connection), "0010")
        # The case index as the store kept it before 0011: one row per spelling.
        connection.execute(sa.delete(cases))
        old = [("asb-1", "asb-casework", 1, "2024-05-01"), ("ASB-1", "asb-casework", 1, "2024-05-09"),
               ("y-9", "davss", 1, "2024-05-03"), ("Y-9", "mediation", 1, "2024-05-04")]
        for ref, scheme, version, day in old:
            connection.execute(sa.insert(cases).values(
                case_ref=ref, scheme=scheme, version=version,
                opened_on=kept[ref.upper()].opened_on.replace(day=int(day[-2:])),
                last_occurred_at=kept[ref.upper()].last_occurred_at))
    migrate(engine)
    assert _cases(engine) == [("ASB-1", "asb-casework", 2), ("Y-9", "davss", 2)]
    with reading(engine) as connection:
        opened = connection.execute(sa.select(cases.c.opened_on)
                                    .where(cases.c.case_ref == "ASB-1")).scalar_one()
        prefixes = dict(connection.execute(
            sa.select(schemes.c.scheme_id, schemes.c.case_prefix)).all())
    assert opened.isoformat() == "2024-05-01"
    assert prefixes["asb-casework"] == "ASB" and prefixes["davss"] == "DA"
    log(engine, notice("cpn", case="asb-1"), expected_versions={"asb-1": 2})
    assert _cases(engine)[0] == ("ASB-1", "asb-casework", 3)
