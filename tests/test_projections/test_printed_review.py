"""The printable review and its workbook, from summaries stored from real events: words a reader
reads (labels, never ids or stored keys or reason codes), "provisional" said at the top, numbers
as numbers in the workbook with what hides them in a note, and print settings that fit a page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from casebook.database import default_schemes
from events.db import reading, writing
from events.interchange import parse_event
from events.quarters import FinancialYear, Quarter, parse_occurred_at
from events.store import append
from projections.adopt import adopt
from projections.archive import CATCH_UP, StoredSummary, by_hand, generate
from projections.catalogue import load_plans
from projections.plan_check import read_plan
from projections.presentation.formats import render_stored
from projections.presentation.render import PROVISIONAL_NOTE
from projections.presentation.workbook import HEADINGS, PROVISIONAL
from projections.rebuild import project
from tests.helpers import log, referral

Q1 = Quarter(2024, 1)
#: After 2024/25 Q1 ended (the catch-up's run), and in the middle of Q2.
AFTER_Q1 = datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
MID_Q2 = datetime(2024, 8, 15, 12, 0, tzinfo=UTC)
PROVISIONAL_WORDS = "Provisional: the period had not ended when this was generated"


def seed_review(engine: Engine) -> None:
    """Referrals with and without a risk level and gender, mediation by typed-in category, a
    year earlier to compare with, and a few in Q2: recorded before the summaries are made."""
    davss = [referral(occurred_at="2024-05-03", risk=risk, gender="female")
             for risk in ("high",) * 6 + ("standard",) * 9]
    davss += [referral(occurred_at="2024-06-10"), referral(occurred_at="2023-05-03")]
    mediation = [referral(scheme="mediation", occurred_at="2024-05-20", category=category)
                 for category in ("anger-management",) * 6 + ("neighbour",) * 7]
    mediation.append(referral(scheme="mediation", occurred_at="2024-05-21"))
    later = [referral(occurred_at="2024-07-20", risk="medium") for _ in range(7)]
    log(engine, *davss, *mediation, *later, recorded_at="2024-08-01T10:00:00")


def rendered(engine: Engine, stored: StoredSummary, fmt: str, *, published: bool) -> bytes:
    """The stored summary's download, as the summaries page makes it (plan in force, threshold,
    the plans' vocabulary)."""
    with reading(engine) as connection:
        plans = load_plans(connection)
        figures = list(plans.for_year(FinancialYear.parse(stored.year)).plan.figures)
    return render_stored(stored, fmt, published=published, threshold=5, figures=figures,
                         vocabulary=plans.vocabulary)


class _Text(HTMLParser):
    """The text a reader of the page sees or hears: everything but the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.parts.append(data)


def seen(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def raw_keys(document: dict[str, Any], text: str) -> list[str]:
    """The ids and stored keys of the document that its reader would see in `text`."""
    labels = " ".join(figure["label"] for figure in document["figures"].values())
    found = [figure_id for figure_id in document["figures"] if figure_id in text]
    for scheme in {figure["scheme"] for figure in document["figures"].values()}:
        if scheme not in labels and re.search(rf"(?<![\w-]){re.escape(scheme)}(?![\w-])", text):
            found.append(scheme)
    for figure in document["figures"].values():
        for name, counts in figure.get("breakdown", {}).items():
            found += [f"{name}: {key}" for key in counts if f"{name}: {key}" in text]
            found += [key for key in counts if "-" in key and key in text]
            if f"{name}:" in text:
                found.append(f"{name}:")
    found += [code for code in ("catch-up", "by hand:", "scheduled") if code in text]
    return sorted(set(found))


@pytest.fixture
def after_q1(engine: Engine) -> StoredSummary:
    seed_review(engine)
    stored = generate(engine, Q1, CATCH_UP, only_if_missing=True, now=AFTER_Q1)
    assert stored is not None and stored.final
    return stored


@pytest.mark.parametrize("published", [False, True])
def test_the_printable_review_says_labels_never_ids_keys_or_reason_codes(
    engine: Engine, after_q1: StoredSummary, published: bool
) -> None:
    html = rendered(engine, after_q1, "html", published=published).decode()
    text = seen(html)
    assert raw_keys(after_q1.document, text) == []
    assert "Risk level: Not recorded" in text and "Gender: Female" in text
    assert "generated 2 July 2024 at 10am, automatically after the quarter ended." in text
    assert PROVISIONAL_WORDS not in text and "so-far" not in html
    if published:
        assert "Risk level: Not recorded fewer than 5" in text and "Risk level: High [c]" in text
        assert "Category: [not named 1]" in text and "anger" not in text.lower()
    else:
        assert "Risk level: High 6" in text and "Category: Anger management 6" in text


def test_a_reason_asked_for_by_hand_reads_as_who_asked(engine: Engine) -> None:
    seed_review(engine)
    stored = generate(engine, Q1, by_hand("csp.manager"), only_if_missing=False, now=AFTER_Q1)
    assert stored is not None
    text = seen(rendered(engine, stored, "html", published=False).decode())
    assert "generated 2 July 2024 at 10am, on request by csp.manager." in text


def test_the_print_layout_numbers_pages_and_never_forces_a_break_or_cuts_a_label(
    engine: Engine, after_q1: StoredSummary
) -> None:
    html = rendered(engine, after_q1, "html", published=False).decode()
    style = html[html.index("<style>"):html.index("</style>")]
    assert re.search(r"@page\s*\{[^}]*@bottom-right\s*\{[^}]*counter\(page\)", style)
    for forbidden in ("overflow:hidden", "ellipsis", "break-after:page", "break-before:page",
                      "page-break-after:always", "page-break-before:always", "avoid-page",
                      "width:240px"):
        assert forbidden not in style.replace(" ", "")
    # The title is followed straight away by what it is about, with no section wrapped whole.
    assert re.search(r"</h1>\s*<p class=\"meta\">", html)


def test_a_quarter_in_progress_says_provisional_and_charts_its_figures_so_far(
    engine: Engine
) -> None:
    seed_review(engine)
    stored = generate(engine, Quarter(2024, 2), by_hand("csp.manager"), only_if_missing=False,
                      now=MID_Q2)
    assert stored is not None and stored.provisional
    html = rendered(engine, stored, "html", published=False).decode()
    text = seen(html)
    assert text.index(PROVISIONAL_WORDS) < text.index("Figures as recorded by")
    assert "So far Same period last year" in text
    chart = html[html.index('id="chart-davss-referrals-title"'):]
    chart = chart[:chart.index("</svg>")]
    assert 'fill="url(#chart-davss-referrals-so-far)"' in chart
    assert "<title>2024/25 Q2: 7 so far</title>" in chart


def test_a_year_in_progress_hatches_its_current_quarter_and_draws_nothing_after_it(
    engine: Engine
) -> None:
    seed_review(engine)
    stored = generate(engine, FinancialYear(2024), by_hand("csp.manager"),
                      only_if_missing=False, now=MID_Q2)
    assert stored is not None and stored.provisional
    html = rendered(engine, stored, "html", published=True).decode()
    assert PROVISIONAL_WORDS in seen(html)
    chart = html[html.index('id="chart-davss-referrals-title"'):]
    chart = chart[:chart.index("</svg>")]
    assert "<title>2024/25 Q2: 7 so far</title>" in chart
    assert "2024/25 Q3" not in chart and "2024/25 Q4" not in chart
    assert chart.count("<rect") == 6  # 2023/24 Q1 to 2024/25 Q2


@pytest.mark.parametrize("published", [False, True])
def test_the_workbook_reads_label_first_number_under_value_ids_last_and_notes_apart(
    engine: Engine, after_q1: StoredSummary, published: bool
) -> None:
    book = load_workbook(io.BytesIO(rendered(engine, after_q1, "xlsx", published=published)))
    document = after_q1.document
    sheet = book["Domestic abuse"]
    assert [c.value for c in sheet[2]] == HEADINGS
    assert HEADINGS[0] == "Figure" and HEADINGS[2] == "Value" and HEADINGS[-3] == "Figure id"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert rows
    for label, _part, number, before, _change, note, figure_id, _field, _key in rows:
        assert label == document["figures"][figure_id]["label"]
        assert all(v is None or isinstance(v, int | float) for v in (number, before))
        assert not re.search(r"fewer than|\[c\]|not shown", f"{number}{before}")
        # A note stands for the number its cell leaves out.
        assert number is None or "This period:" not in (note or "")
        assert before is None or "Same period last year:" not in (note or "")
    by_part = {(row[6], row[7], row[8]): row for row in rows}
    high = by_part[("davss.referrals", "risk", "high")]
    assert high[1] == "Risk level: High"
    not_recorded = by_part[("davss.referrals", "risk", "not-recorded")]
    assert not_recorded[1] == "Risk level: Not recorded"
    referrals = by_part[("davss.referrals", None, None)]
    assert referrals[2] == 16
    if published:
        # Last year's single referral is hidden: the number cell is empty, the note says why.
        assert referrals[3] is None and referrals[5] == "Same period last year: fewer than 5"
        assert not_recorded[2] is None and not_recorded[5] == "This period: fewer than 5"
        assert high[2] is None and high[5] == "This period: [c]"
    else:
        assert referrals[3] == 1 and referrals[5] is None and not_recorded[2] == 1
        assert high[2] == 6 and high[5] is None
    rate = by_part[("davss.repeat_rate", None, None)]
    rate_cell = sheet.cell(rows.index(rate) + 3, 3)
    assert rate_cell.value is None or rate_cell.number_format == "0.0%"
    assert sheet.cell(rows.index(referrals) + 3, 3).number_format == "#,##0"


def test_every_sheet_prints_to_the_page_width_with_its_headings_on_every_page(
    engine: Engine, after_q1: StoredSummary
) -> None:
    book = load_workbook(io.BytesIO(rendered(engine, after_q1, "xlsx", published=True)))
    assert book.sheetnames[0] == "Contents" and len(book.sheetnames) > 2
    for sheet in book.worksheets:
        assert sheet.sheet_properties.pageSetUpPr is not None
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        if sheet.title != "Contents":
            assert sheet.print_title_rows == "$1:$2"
            assert sheet["A2"].value == "Figure" and sheet["A3"].alignment.wrap_text


def test_a_provisional_workbook_says_so_on_its_contents_and_each_sheet(engine: Engine) -> None:
    seed_review(engine)
    stored = generate(engine, Quarter(2024, 2), by_hand("csp.manager"), only_if_missing=False,
                      now=MID_Q2)
    assert stored is not None
    book = load_workbook(io.BytesIO(rendered(engine, stored, "xlsx", published=False)))
    contents = [row[0] for row in book["Contents"].iter_rows(max_col=1, values_only=True)]
    assert contents[1] == PROVISIONAL
    assert "Version 1, generated 15 August 2024 at 1pm, on request by csp.manager" in contents
    assert book["Domestic abuse"]["B1"].value == "Quarterly summary 2024/25 Q2 (provisional)"


def test_a_value_a_plan_added_reads_with_the_label_the_plan_gave_it(engine: Engine) -> None:
    """"gp" is no value the forms know: only the adopted plan says it reads "GP surgery"."""
    with writing(engine) as connection:
        plans = load_plans(connection)
        document = plans.for_year(FinancialYear(2024)).plan.as_file()
        document["vocabulary"].append({"field": "source", "value": "gp", "label": "GP surgery"})
        document["figure"].append({"id": "davss.by_source", "label": "DAVSS referrals by source",
                                   "scheme": "davss", "types": ["referral.received"],
                                   "measure": "count", "breakdown": ["source"]})
        checked = read_plan(document, schemes=[s["id"] for s in default_schemes()],
                            adopted=plans.vocabulary)
        assert checked.plan is not None, [str(p) for p in checked.problems]
        adopt(connection, checked.plan, by="tests", reason="GP referrals",
              now=datetime(2024, 4, 1, tzinfo=UTC))
    lines = [referral(occurred_at="2024-05-03", source=source)
             for source in ("gp",) * 6 + ("police",) * 7]
    with writing(engine) as connection:
        # Read as the forms read them: with the values the plan adopted.
        accepts = load_plans(connection).acceptance
        append(connection, [parse_event(line, default_recorded_by="tester", acceptance=accepts)
                            for line in lines],
               project=project, recorded_at=parse_occurred_at("2024-06-30T10:00:00"),
               acceptance=accepts)
    stored = generate(engine, Q1, CATCH_UP, only_if_missing=True, now=AFTER_Q1)
    assert stored is not None
    assert stored.document["figures"]["davss.by_source"]["breakdown"]["source"]["gp"] == 6
    text = seen(rendered(engine, stored, "html", published=False).decode())
    assert "Referred by: GP surgery 6" in text and "Referred by: Police 7" in text
    assert "Gp" not in text
    book = load_workbook(io.BytesIO(rendered(engine, stored, "xlsx", published=False)))
    parts = {row[8]: row[1] for row in book["Domestic abuse"].iter_rows(min_row=3, values_only=True)
             if row[6] == "davss.by_source" and row[7] == "source"}
    assert parts["gp"] == "Referred by: GP surgery"
    rows = csv.DictReader(io.StringIO(rendered(engine, stored, "csv", published=False).decode()))
    said = {row["key"]: row["breakdown_label"] for row in rows if row["breakdown"] == "source"}
    assert said["gp"] == "Referred by: GP surgery"


def test_a_provisional_csv_says_so_in_its_first_note(engine: Engine) -> None:
    seed_review(engine)
    stored = generate(engine, Quarter(2024, 2), by_hand("csp.manager"), only_if_missing=False,
                      now=MID_Q2)
    assert stored is not None
    rows = list(csv.DictReader(io.StringIO(rendered(engine, stored, "csv", published=False)
                                           .decode())))
    notes = [row["note"] for row in rows if row["figure"] == "note"]
    assert notes[0] == PROVISIONAL_NOTE
