"""A provisional summary as the pages, the command line and the API show it: "Generate now" on
2 December 2024, before 2024/25 Q3 ended, then the scheduler's final version on 1 January."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime

from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook.scheduler import generate_quarter_just_ended
from events.db import reading
from events.quarters import LONDON, Quarter
from projections.archive import list_summaries
from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import MakeToken, SignedIn, csrf_token_from

Q3 = Quarter(2024, 3)
MID_QUARTER = datetime(2024, 12, 2, 10, 30, tzinfo=LONDON)
NEW_YEAR = datetime(2025, 1, 1, 2, 0, tzinfo=LONDON)
LABEL = ("Provisional: generated on 2 December 2024, before the quarter ended. It will not be "
         "sent as the quarter's summary; the final version is generated after 31 December 2024.")


def seed(engine: Engine) -> None:
    log(engine, referral(occurred_at="2024-10-05"), referral(occurred_at="2024-11-20"),
        recorded_at="2024-11-30T09:00:00")


def text_of(page: str) -> str:
    """The page's words, tags dropped and spaces run together, as a reader sees them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def run(runner: FlaskCliRunner, *args: str) -> Result:
    result = runner.invoke(args=["casebook", "summaries", *args])
    assert result.exit_code == 0, result.output
    return result


@ON_SQLITE_ONLY
def test_generate_now_mid_quarter_says_what_it_stores_and_the_summary_is_labelled(
    client: FlaskClient, signed_in: SignedIn, engine: Engine,
) -> None:
    seed(engine)
    client.application.config["FROZEN_NOW"] = MID_QUARTER
    signed_in(client, "admin")
    form = client.get("/summaries").get_data(as_text=True)
    assert ("2024/25 Q3 and the year 2024/25 have not ended. A summary of either generated now "
            "is stored as provisional") in text_of(form)
    assert "(31 December 2024 for the quarter, 31 March 2025 for the year)" in text_of(form)
    response = client.post("/summaries/generate", data={
        "year": "2024/25", "quarter": "Q3", "csrf_token": csrf_token_from(form)})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert LABEL in text_of(page)
    assert "2024/25 Q3, version 1 Provisional" in text_of(page)
    assert "A provisional version restates nothing" in text_of(page)
    download = client.get(f"{response.headers['Location']}/published.csv")
    assert download.status_code == 200
    assert 'filename="casebook-2024-25-Q3-v1-published-provisional.csv"' in (
        download.headers["Content-Disposition"])
    listing = client.get("/summaries").get_data(as_text=True)
    row = re.search(r'<tr class="govuk-table__row" data-period="2024/25 Q3">.*?</tr>', listing,
                    re.S)
    assert row is not None and "Provisional" in row.group(0)
    assert "no final version yet" in text_of(row.group(0))

    (final,) = generate_quarter_just_ended(engine, NEW_YEAR)
    listing = client.get("/summaries").get_data(as_text=True)
    row = re.search(r'<tr class="govuk-table__row" data-period="2024/25 Q3">.*?</tr>', listing,
                    re.S)
    assert row is not None
    assert f'href="/summaries/{final.id}"' in row.group(0)
    assert "v1 (provisional)" in text_of(row.group(0)) and "data-provisional" not in row.group(0)
    shown = text_of(client.get(f"/summaries/{final.id}").get_data(as_text=True))
    assert "Provisional" not in shown
    assert "This is the first final version of 2024/25 Q3" in shown
    early = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{LABEL} The final version is version 2" in text_of(early)
    assert f'href="/summaries/{final.id}">version 2</a>' in early


@ON_SQLITE_ONLY
def test_a_year_summary_generated_mid_year_says_the_year(
    client: FlaskClient, signed_in: SignedIn, engine: Engine,
) -> None:
    seed(engine)
    client.application.config["FROZEN_NOW"] = MID_QUARTER
    signed_in(client, "admin")
    form = client.get("/summaries").get_data(as_text=True)
    response = client.post("/summaries/generate", data={
        "year": "2024/25", "quarter": "year", "csrf_token": csrf_token_from(form)})
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert ("Provisional: generated on 2 December 2024, before the year ended. It will not be "
            "sent as the year's summary; the final version is generated after 31 March 2025."
            ) in page


@ON_SQLITE_ONLY
def test_generate_now_on_a_quarter_not_begun_stores_nothing_and_says_why(
    client: FlaskClient, signed_in: SignedIn, engine: Engine,
) -> None:
    client.application.config["FROZEN_NOW"] = MID_QUARTER
    signed_in(client, "admin")
    form = client.get("/summaries").get_data(as_text=True)
    response = client.post("/summaries/generate", data={
        "year": "2024/25", "quarter": "Q4", "csrf_token": csrf_token_from(form)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/summaries")
    assert "2024/25 Q4 has not begun" in client.get("/summaries").get_data(as_text=True)
    with reading(engine) as connection:
        assert list_summaries(connection) == []


def test_the_command_line_lists_final_false_then_the_catch_up_stores_the_final_version(
    engine: Engine, runner: FlaskCliRunner,
) -> None:
    seed(engine)
    made = run(runner, "generate", "--year", "2024/25", "--quarter", "Q3", "--as", "manager",
               "--now", "2024-12-02T10:30:00")
    assert made.output.splitlines() == [
        "Generated 2024/25 Q3 version 1 (id 1).",
        "It is provisional: 2024/25 Q3 had not ended. The final version is generated after "
        "31 December 2024."]
    listed = json.loads(run(runner, "list", "--format", "json").output)
    assert [(s["version"], s["final"]) for s in listed] == [(1, False)]
    assert "final: false" in run(runner, "list").output
    shown = json.loads(run(runner, "show", "1").output)
    assert shown["provisional"] is True and shown["summary"]["final"] is False

    assert run(runner, "run-due", "--now", "2024-12-02T10:30:00").output == (
        "0 summaries generated.\n")
    assert run(runner, "run-due", "--now", "2025-01-01T02:00:00").output.splitlines() == [
        "Generated 2024/25 Q3 version 2 (id 2).", "1 summaries generated."]
    listed = json.loads(run(runner, "list", "--format", "json").output)
    assert [(s["version"], s["final"]) for s in listed] == [(2, True), (1, False)]
    lines = run(runner, "list").output.splitlines()
    assert "final: true" in lines[0] and "final: false" in lines[1]
    assert json.loads(run(runner, "show", "2").output)["provisional"] is False
    assert run(runner, "run-due", "--now", "2025-01-01T02:00:00").output == (
        "0 summaries generated.\n")


def test_generating_a_quarter_not_begun_on_the_command_line_is_refused(
    runner: FlaskCliRunner,
) -> None:
    result = runner.invoke(args=["casebook", "summaries", "generate", "--year", "2024/25",
                                 "--quarter", "Q4", "--now", "2024-12-02T10:30:00"])
    assert result.exit_code == 1 and "2024/25 Q4 has not begun" in result.output


def test_the_api_summary_says_provisional_for_a_period_in_progress(
    client: FlaskClient, make_token: MakeToken, engine: Engine,
) -> None:
    seed(engine)
    client.application.config["FROZEN_NOW"] = MID_QUARTER
    viewer = make_token("viewer")
    found = {query: client.get(f"/api/summary?{query}", headers=viewer.headers).get_json()
             for query in ("year=2024/25&quarter=Q3", "year=2024/25&quarter=Q2", "year=2024/25",
                           "year=2023/24")}
    assert {query: body["provisional"] for query, body in found.items()} == {
        "year=2024/25&quarter=Q3": True, "year=2024/25&quarter=Q2": False,
        "year=2024/25": True, "year=2023/24": False}
    assert found["year=2024/25&quarter=Q3"]["figures"]["davss.referrals"]["value"] == 2
