"""The dashboard, a stored summary and the drill-down say what each figure counts, in words."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from casebook.services.reads import scheme_names
from events.clock import utc_now
from events.db import reading, writing
from events.quarters import FinancialYear, Quarter
from projections.adopt import adopt
from projections.archive import SCHEDULED, generate
from projections.catalogue import figures_of_year, load_plans
from projections.definitions import Figure
from projections.plan_check import read_plan
from projections.presentation.explain import explain
from tests.helpers import ON_SQLITE_ONLY, adopt_figures, log, notice, referral
from tests.test_casebook.conftest import SignedIn
from tests.test_casebook.page_reading import text_of

pytestmark = ON_SQLITE_ONLY

CPW = ("Counts notice issued events in ASB casework where the notice is a Community Protection "
       "Warning; voided events are left out.")


def words_of(response: TestResponse) -> str:
    """The page's text, with no space left before punctuation where a tag ended."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.sub(r"\s+([,;.:)])", r"\1", text_of(response))


def figures_and_names(engine: Engine, year: str = "2024/25") -> tuple[list[Figure], dict[str, str]]:
    with reading(engine) as connection:
        return figures_of_year(connection, year), scheme_names(connection)


def no_jargon(page: str, figures: list[Figure]) -> None:
    """No measure as the definitions write it ("distinct:case", "repeat-rate") is on the page."""
    jargon = {f.as_dict()["measure"] for f in figures} - {"count", "active"}
    assert jargon, "the figures have no measure written in jargon"
    for measure in jargon:
        assert measure not in page, measure


def test_the_dashboard_says_what_every_figure_counts(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, notice("cpw", case="A-1", occurred_at="2024-05-01"))
    figures, names = figures_and_names(engine)
    signed_in(client, "viewer")
    page = words_of(client.get("/dashboard?year=2024/25"))
    assert page.count("What this counts") == len(figures)
    assert CPW in page
    for figure in figures:
        assert explain(figure, names) in page, figure.id
    no_jargon(page, figures)


def test_every_drill_down_opens_with_what_its_figure_counts(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, notice("cpw", case="A-1", occurred_at="2024-05-01"),
        referral(occurred_at="2024-05-02", subject="S-1"))
    figures, names = figures_and_names(engine)
    signed_in(client, "officer")
    for figure in figures:
        response = client.get(f"/dashboard/figures/{figure.id}?year=2024/25")
        page = words_of(response)
        assert f"What this counts {explain(figure, names)}" in page, figure.id
        assert 'id="figure-definition"' in response.get_data(as_text=True)
        no_jargon(page, figures)


def test_a_stored_summary_says_what_its_figures_counted_when_it_was_stored(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    log(engine, notice("cpw", case="A-1", occurred_at="2024-05-01"))
    figures, names = figures_and_names(engine)
    stored = generate(engine, Quarter(2024, 1), SCHEDULED, only_if_missing=True)
    assert stored is not None
    # The plan changes afterwards: the stored summary still says what it counted then.
    adopt_figures(engine, {"id": "asb.cpw", "label": "Community Protection Notices again",
                           "scheme": "asb-casework", "types": ["notice.issued"],
                           "measure": "count", "where": {"notice": "cpn"}},
                  without=["asb.cpw", "asb.cases"])
    signed_in(client, "viewer")
    page = words_of(client.get(f"/summaries/{stored.id}"))
    assert page.count("What this counts") == len(figures)
    assert CPW in page
    for figure in figures:
        assert explain(figure, names) in page, figure.id
    no_jargon(page, figures)
    later = generate(engine, Quarter(2024, 1), SCHEDULED, only_if_missing=False)
    assert later is not None
    page = words_of(client.get(f"/summaries/{later.id}"))
    assert CPW not in page and "where the notice is a Community Protection Notice" in page
    assert "Counts the different cases" not in page  # a figure the plan no longer has


def test_an_adopted_value_is_said_with_its_label(
    client: FlaskClient, signed_in: SignedIn, engine: Engine
) -> None:
    with writing(engine) as connection:
        plans = load_plans(connection)
        document = plans.for_year(FinancialYear(2024)).plan.as_file()
        document["vocabulary"].append({"field": "notice", "value": "respect-order",
                                       "label": "Respect Order"})
        document["figure"].append({"id": "asb.respect_orders", "label": "Respect Orders issued",
                                   "scheme": "asb-casework", "types": ["notice.issued"],
                                   "measure": "count", "where": {"notice": "respect-order"}})
        checked = read_plan(document, schemes=list(scheme_names(connection)),
                            adopted=plans.vocabulary)
        assert checked.plan is not None, [str(p) for p in checked.problems]
        adopt(connection, checked.plan, by="tests", reason="Respect Orders", now=utc_now())
    signed_in(client, "viewer")
    page = words_of(client.get("/dashboard?year=2024/25"))
    assert ("Counts notice issued events in ASB casework where the notice is a Respect Order; "
            "voided events are left out.") in page
