"""One way to say a value, a change, a period, a date and a time, on every page and in every file."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from projections.presentation.chart import bar_chart, trend_points
from projections.presentation.render import summary_csv, summary_html
from projections.presentation.text import (
    Change,
    change,
    format_value,
    local_day,
    local_time,
    period_title,
)
from projections.presentation.workbook import summary_workbook

ROOT = Path(__file__).resolve().parents[2]
#: Each shared formatter, and the one module allowed to define it.
SHARED = {
    "format_value": "projections/presentation/text.py",
    "change": "projections/presentation/text.py",
    "local_time": "projections/presentation/text.py",
    "local_day": "projections/presentation/text.py",
    "period_title": "projections/presentation/text.py",
    "bar_chart": "projections/presentation/chart.py",
    "summary_html": "projections/presentation/render.py",
    "reason_words": "projections/presentation/text.py",
    "number_cell": "projections/presentation/text.py",
    "hidden_note": "projections/presentation/text.py",
}


def document(**changes: Any) -> dict[str, Any]:
    """A stored summary's document with a count, a rate and an eight-quarter history."""
    quarters = [f"{year} Q{n}" for year in ("2023/24", "2024/25") for n in (1, 2, 3, 4)]
    return {
        "year": "2024/25", "period": "Q1", "as_of": "2024-07-01T01:00:00+00:00",
        "figures": {
            "davss.referrals": {"label": "Referrals to DAVSS", "priority": "Domestic abuse",
                                "scheme": "davss", "measure": "count", "value": 1234,
                                "previous": 1000, "breakdown": {"risk": {"high": 12}}},
            "davss.repeat_rate": {"label": "DAVSS repeat victim rate", "priority": "Domestic abuse",
                                  "scheme": "davss", "measure": "repeat-rate", "value": 0.1234,
                                  "previous": 0.1, "base": 81},
        },
        "history": {"quarters": quarters, "bases": {},
                    "figures": {"davss.referrals": [5, 6, 7, 8, 9, 10, 11, 1234],
                                "davss.repeat_rate": [0.1, None, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1234]}},
        **changes,
    }


@pytest.mark.parametrize(("value", "text"), [
    (0.1234, "12.3%"), (0.5, "50.0%"), (0.0, "0.0%"), (1.0, "100.0%"),
    (1234567, "1,234,567"), (0, "0"), (None, "–"), ("fewer than 5", "fewer than 5"), ("[c]", "[c]"),
])
def test_a_value_reads_with_thousands_commas_and_a_rate_as_a_percentage_to_one_place(
    value: Any, text: str
) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(("value", "previous", "expected"), [
    (20, 6, Change("up 14 (+233%)", "up")),
    (1000, 1234, Change("down 234 (\u221219%)", "down")),
    (13_345, 1000, Change("up 12,345 (+1,234%)", "up")),
    (3, 0, Change("up 3", "up")),
    (7, 7, Change("no change")),
    (0.1234, 0.1, Change("up 2.3 points", "up")),
    (0.25, 0.5, Change("down 25.0 points", "down")),
    (0.5, 0.5, Change("no change")),
    ("fewer than 5", 6, Change("–")),
    (6, None, Change("–")),
])
def test_a_change_from_a_year_earlier_reads_the_same_wherever_it_is_shown(
    value: Any, previous: Any, expected: Change
) -> None:
    assert change(value, previous) == expected
    assert change(value, previous).known == (expected.text != "–")


@pytest.mark.parametrize(("value", "previous", "better", "tone", "said", "tag"), [
    (9, 12, "lower", "good", ", better", "govuk-tag--green"),
    (12, 9, "lower", "bad", ", worse", "govuk-tag--red"),
    (12, 9, "higher", "good", ", better", "govuk-tag--green"),
    (0.1, 0.2, "higher", "bad", ", worse", "govuk-tag--red"),
    (12, 9, "neither", "", "", ""),
    (9, 9, "lower", "", "", ""),
    ("[c]", 9, "lower", "", "", ""),
])
def test_which_way_is_better_gives_a_change_its_tone_but_never_its_words(
    value: Any, previous: Any, better: str, tone: str, said: str, tag: str
) -> None:
    moved = change(value, previous, better)
    assert (moved.tone, moved.tone_words, moved.tag) == (tone, said, tag)
    assert moved.text == change(value, previous).text


def test_a_period_is_titled_as_an_annual_review_or_a_quarterly_summary() -> None:
    assert period_title("2024/25", "year") == "Annual review 2024/25"
    assert period_title("2024/25", "Q1") == "Quarterly summary 2024/25 Q1"


def test_a_time_is_said_in_london_time_gov_uk_style_in_summer_and_in_winter() -> None:
    assert local_time(datetime(2024, 7, 1, 13, 30, tzinfo=UTC)) == "1 July 2024 at 2:30pm"  # BST
    assert local_time(datetime(2024, 1, 15, 14, 5, tzinfo=UTC)) == "15 January 2024 at 2:05pm"  # GMT
    assert local_time(datetime(2024, 3, 4, 9, 0, tzinfo=UTC)) == "4 March 2024 at 9am"
    assert local_time("2024-06-30T23:30:00+00:00") == "1 July 2024 at 12:30am"
    assert local_time(None) == ""


def test_noon_and_midnight_are_midday_and_midnight() -> None:
    assert local_time(datetime(2024, 7, 1, 11, 0, tzinfo=UTC)) == "1 July 2024 at midday"
    assert local_time(datetime(2024, 12, 1, 0, 0, tzinfo=UTC)) == "1 December 2024 at midnight"
    assert local_time(datetime(2024, 12, 1, 12, 0, tzinfo=UTC)) == "1 December 2024 at midday"
    assert local_time(datetime(2024, 6, 30, 23, 0, tzinfo=UTC)) == "1 July 2024 at midnight"


def test_a_date_is_said_without_a_leading_zero_and_in_london() -> None:
    assert local_day(date(2024, 5, 3)) == "3 May 2024"
    assert local_day(datetime(2024, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2024"
    assert local_day("2024-01-05T10:00:00+00:00") == "5 January 2024"


def test_the_web_app_registers_the_same_formatters_for_the_dashboard_and_summary_pages(
    app: Flask
) -> None:
    page = app.jinja_env.from_string(
        "{{ rate|format_value }} | {{ (rate|change(previous)).text }} | {{ when|local_time }}"
        " | {{ day|local_day }} | {{ '2024/25'|period_title('year') }}")
    assert page.render(rate=0.1234, previous=0.1, when=datetime(2024, 7, 1, 11, 0, tzinfo=UTC),
                       day=date(2024, 5, 3)) == (
        "12.3% | up 2.3 points | 1 July 2024 at midday | 3 May 2024 | Annual review 2024/25")
    why = app.jinja_env.from_string("{{ reason|reason_words(period)|upper_first }}")
    assert why.render(reason="catch-up", period="Q1") == "Automatically after the quarter ended"
    assert why.render(reason="scheduled", period="year") == "Automatically when the year ended"
    assert why.render(reason="by hand: Sam", period="Q2") == "On request by Sam"


def test_the_dashboard_chart_and_the_printable_review_say_a_rate_alike() -> None:
    dashboard_chart = bar_chart(trend_points([("2024/25 Q1", 0.1234)]), title="Rate", chart_id="c")
    assert '<desc id="c-desc">2024/25 Q1: 12.3%</desc>' in dashboard_chart
    review = summary_html(document())
    rate_row = re.search(r"<tr id='davss.repeat_rate'>(.*?)</tr>", review)
    assert rate_row is not None
    assert re.findall(r"<td[^>]*>([^<]*)</td>", rate_row.group(1)) == [
        "DAVSS repeat victim rate", "12.3%", "10.0%", "up 2.3 points"]
    assert "2024/25 Q4: 12.3%" in review


def test_the_printable_review_is_one_template_with_one_chart_per_figure() -> None:
    review = summary_html(document(), {"version": 2, "generated_at": "2024-07-01T01:00:00+00:00",
                                       "reason": "scheduled"})
    assert review.startswith("<!doctype html>")
    assert "<title>Community Safety Partnership: Quarterly summary 2024/25 Q1</title>" in review
    assert ("Figures as recorded by 1 July 2024 at 2am; version 2, generated 1 July 2024 at 2am, "
            "automatically when the quarter ended.") in review
    assert "<td class=\"n\">1,234</td>" in review and "up 234 (+23%)" in review
    assert review.count("<svg") == 2
    assert "Referrals to DAVSS: 1,234, up from 1,000 in the same period last year." in review


def test_the_printable_review_escapes_what_people_typed() -> None:
    typed = document()
    typed["figures"]["davss.referrals"]["breakdown"] = {"category": {"<script>x</script>": 3}}
    typed["figures"]["davss.referrals"]["label"] = "A & B <i>"
    review = summary_html(typed)
    assert "<script>" not in review and "&lt;script&gt;x&lt;/script&gt;" in review
    assert "A &amp; B &lt;i&gt;" in review and "<i>" not in review


def test_a_summary_without_history_or_events_still_prints() -> None:
    review = summary_html(document(history=None, as_of=None, period="year"))
    assert "Community Safety Partnership: Annual review 2024/25" in review
    assert "Figures as recorded by no events yet." in review
    assert "<svg" not in review


def test_the_csv_and_the_workbook_keep_numbers_as_numbers_and_use_the_shared_titles() -> None:
    rows = list(csv.DictReader(io.StringIO(summary_csv(
        document(), types_of={"davss.referrals": ["referral.received"]},
        scheme_names={"davss": "Domestic Abuse Victim Support Service"}))))
    rate = next(row for row in rows if row["figure"] == "davss.repeat_rate")
    assert rate == {"label": "DAVSS repeat victim rate", "breakdown_label": "", "value": "0.1234",
                    "previous": "0.1", "change": "up 2.3 points", "note": "",
                    "value_text": "12.3%", "priority": "Domestic abuse",
                    "scheme_name": "Domestic Abuse Victim Support Service",
                    "figure": "davss.repeat_rate", "scheme": "davss", "breakdown": "", "key": ""}
    high = next(row for row in rows if row["key"] == "high")
    assert (high["label"], high["breakdown_label"], high["value"], high["breakdown"]) == (
        "Referrals to DAVSS", "Risk level: High", "12", "risk")
    book = load_workbook(io.BytesIO(summary_workbook(document())))
    contents = [row[0] for row in book["Contents"].iter_rows(max_col=1, values_only=True)]
    assert contents[:2] == ["Community Safety Partnership: Quarterly summary 2024/25 Q1",
                            "Figures as recorded by 1 July 2024 at 2am"]
    sheet = book["Domestic abuse"]
    assert sheet["B1"].value == "Quarterly summary 2024/25 Q1"
    # The label first, the number under "Value", the ids last (tests/…/test_printed_review.py).
    by_id = {row[6].value: row for row in sheet.iter_rows(min_row=3) if not row[1].value}
    assert [c.value for c in by_id["davss.repeat_rate"][2:5]] == [0.1234, 0.1, "up 2.3 points"]
    assert [c.value for c in by_id["davss.referrals"][2:5]] == [1234, 1000, "up 234 (+23%)"]
    # A spreadsheet shows the rate to one decimal place too.
    assert by_id["davss.repeat_rate"][2].number_format == "0.0%"


def test_a_hidden_value_leaves_the_csv_number_columns_empty_and_is_said_in_the_note() -> None:
    published = document()
    published["figures"]["davss.referrals"].update(
        value="fewer than 5", previous="[c]",
        breakdown={"risk": {"high": "[c]", "not-recorded": 7}})
    published["published"] = {"threshold": 5, "notes": {"fewer than 5": "a count from 1 to 4.",
                                                        "[c]": "hidden beside a small count."}}
    rows = list(csv.DictReader(io.StringIO(summary_csv(
        published, types_of={"davss.referrals": ["referral.received"]}))))
    for row in rows:
        for column in ("value", "previous"):
            assert re.fullmatch(r"(-?\d+(\.\d+)?)?", row[column]), (column, row)
    figures = {(row["figure"], row["key"]): row for row in rows if row["figure"] != "note"}
    referrals = figures[("davss.referrals", "")]
    assert (referrals["value"], referrals["previous"], referrals["value_text"]) == (
        "", "", "fewer than 5")
    assert referrals["note"] == "This period: fewer than 5; Same period last year: [c]"
    high, not_recorded = figures[("davss.referrals", "high")], figures[("davss.referrals",
                                                                        "not-recorded")]
    assert (high["value"], high["note"]) == ("", "This period: [c]")
    assert (not_recorded["value"], not_recorded["note"]) == ("7", "")
    assert not_recorded["breakdown_label"] == "Risk level: Not recorded"
    notes = [row["note"] for row in rows if row["figure"] == "note"]
    assert "fewer than 5: a count from 1 to 4." in notes
    assert all(row["label"] == "About this edition" for row in rows if row["figure"] == "note")


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_no_other_module_defines_its_own_formatter_chart_or_summary_page() -> None:
    offences = []
    for package in ("projections", "casebook"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            offences.extend(f"{relative} defines {name}"
                            for name in defined_functions(path) & set(SHARED)
                            if SHARED[name] != relative)
    assert offences == []
    for name, relative in SHARED.items():
        assert name in defined_functions(ROOT / relative)


def test_no_date_is_formatted_with_a_glibc_only_directive() -> None:
    glibc_only = re.compile(r"%-[a-zA-Z]")
    found = [str(path.relative_to(ROOT)) for package in ("events", "projections", "casebook")
             for path in sorted((ROOT / package).rglob("*")) if path.suffix in (".py", ".html")
             and glibc_only.search(path.read_text("utf-8"))]
    assert found == []
