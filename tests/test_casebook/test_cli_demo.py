"""`casebook demo`: plausible synthetic events from April 2024 to today, written once."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskCliRunner

from casebook.services.demo import demo_events
from events.quarters import FinancialYear

TODAY = datetime.now(ZoneInfo("Europe/London")).date()
CURRENT_YEAR = FinancialYear.of(TODAY)
YEARS = [CURRENT_YEAR.previous().previous(), CURRENT_YEAR.previous(), CURRENT_YEAR]
BUSY_FIGURES = ["asb.complaints", "asb.cases", "davss.referrals", "pspo.fpn", "idva.supported",
                "mediation.clients", "kenward.people", "soc.meetings", "safer_towns.members",
                "cctv.locations", "enforcement.reports", "cdap.active"]


def _summary(runner: FlaskCliRunner, year: FinancialYear) -> dict[str, Any]:
    result = runner.invoke(args=["casebook", "summary", "--year", str(year)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["figures"]


def test_the_demo_imports_cleanly_and_gives_figures_for_this_year_and_the_two_before(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["casebook", "demo"])

    assert result.exit_code == 0, result.output
    written = int(re.search(r"(\d+) demo events written, 0 already there", result.output)[1])
    assert written > 3000
    summaries = {year: _summary(runner, year) for year in YEARS}
    for year, figures in summaries.items():
        for figure_id in BUSY_FIGURES:
            assert figures[figure_id]["value"], (str(year), figure_id)
    last, this = summaries[YEARS[1]], summaries[YEARS[0]]
    assert last["asb.complaints"]["previous"] == this["asb.complaints"]["value"]
    assert last["asb.complaints"]["value"] != this["asb.complaints"]["value"]
    assert last["davss.referrals"]["value"] != this["davss.referrals"]["value"]
    first_year = summaries[FinancialYear(2024)]
    assert 300 <= first_year["asb.complaints"]["value"] <= 700
    assert 250 <= first_year["davss.referrals"]["value"] <= 500
    assert first_year["davss.repeat_rate"]["value"] > 0
    assert first_year["freedom.programmes"]["value"] == 4


def test_running_the_demo_twice_writes_nothing_the_second_time(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["casebook", "demo", "--seed", "7"])
    assert first.exit_code == 0, first.output
    written = int(re.search(r"(\d+) demo events written", first.output)[1])
    before = _summary(runner, CURRENT_YEAR)

    second = runner.invoke(args=["casebook", "demo", "--seed", "7"])

    assert second.exit_code == 0, second.output
    assert f"0 demo events written, {written} already there." in second.output
    assert _summary(runner, CURRENT_YEAR) == before


def test_the_same_seed_gives_the_same_events_and_a_later_day_only_adds_to_them() -> None:
    earlier = list(demo_events(3, today=date(2025, 6, 30)))
    again = list(demo_events(3, today=date(2025, 6, 30)))
    later = list(demo_events(3, today=date(2025, 9, 30)))
    other_seed = list(demo_events(4, today=date(2025, 6, 30)))

    assert earlier == again
    assert later[: len(earlier)] == earlier and len(later) > len(earlier)
    assert {line["id"] for line in other_seed}.isdisjoint(line["id"] for line in earlier)


def test_the_demo_keeps_to_the_rules_and_to_pseudonymous_subjects() -> None:
    lines = list(demo_events(2024, today=date(2026, 3, 31)))
    issued: dict[str, list[str]] = {}
    ids = set()
    for line in lines:
        if line["type"] == "notice.issued" and "case" in line:
            notice = line["data"]["notice"]
            earlier = issued.setdefault(line["case"], [])
            if notice == "cpn":
                assert "cpw" in earlier, line
            if notice == "cpn-fpn":
                assert "cpn" in earlier, line
            earlier.append(notice)
        if line["type"] == "event.voided":
            assert line["data"]["target"] in ids and line["data"]["reason"]
        subject = line["data"].get("subject")
        assert subject is None or re.fullmatch(r"S-\d{6}", subject)
        ids.add(line["id"])
    assert any(n == "cpn" for notices in issued.values() for n in notices)
    subjects = [line["data"]["subject"] for line in lines if line["data"].get("subject")]
    assert len(set(subjects)) < len(subjects)
    assert sum(line["type"] == "event.voided" for line in lines) >= 5
    assert {line["type"] for line in lines} >= {"member.joined", "member.left",
                                                "return.submitted", "threshold.decided"}
