"""A summary stored after an adoption lists the figures the plan changed, apart from values."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import FinancialYear
from projections.archive import generate, previous_version
from projections.restatement import restatement
from tests.helpers import adopt_figures, log, notice, referral

YEAR = "2025/26"
CPW_AND_LETTERS = {
    "id": "asb.cpw", "label": "Warnings issued", "scheme": "asb-casework",
    "types": ["notice.issued"], "measure": "count", "where": {"notice": "warning-letter"},
}
DISPERSALS = {
    "id": "asb.dispersals", "label": "Dispersal orders", "scheme": "asb-casework",
    "types": ["notice.issued"], "measure": "count", "where": {"notice": "dispersal"},
}


def test_a_summary_after_an_adoption_lists_the_figures_added_removed_relabelled_redefined(
    engine: Engine,
) -> None:
    log(engine, notice("cpw", case="ASB-1", occurred_at="2025-05-01"),
        notice("warning-letter", case="ASB-1", occurred_at="2025-05-02"),
        referral(scheme="mediation", occurred_at="2025-05-03"))
    quarter = FinancialYear.parse(YEAR).quarter(1)
    first = generate(engine, quarter, "by hand", only_if_missing=False)
    adopt_figures(engine, CPW_AND_LETTERS, DISPERSALS, year=YEAR,
                  without=["asb.cpw", "mediation.clients"])
    second = generate(engine, quarter, "after the new plan", only_if_missing=False)
    assert first is not None and second is not None
    with reading(engine) as connection:
        restated = restatement(connection, second, previous_version(connection, second))
    assert restated is not None
    how = {d["figure"]: d["how"] for d in restated["definitions"]}
    assert how == {
        "asb.cpw": ["redefined", "relabelled"],
        "asb.dispersals": ["added"],
        "mediation.clients": ["removed"],
    }
    texts = {d["figure"]: d["text"] for d in restated["definitions"]}
    assert texts["asb.cpw"] == ("Warnings issued: counted differently, relabelled "
                                "(was “Community Protection Warnings issued”)")
    # The redefined figure's value moved (1 CPW, then 1 letter): a definition change, not a
    # restatement of the same figure's value.
    assert first.document["figures"]["asb.cpw"]["value"] == 1
    assert second.document["figures"]["asb.cpw"]["value"] == 1
    assert all(c["figure"] not in how for c in restated["changes"])
    assert second.document["plan"] == {"year": YEAR, "version": 2}
    assert first.document["plan"] == {"year": YEAR, "version": 1}


def test_a_summary_with_no_adoption_between_lists_no_definition_change(engine: Engine) -> None:
    log(engine, notice("cpw", case="ASB-1", occurred_at="2025-05-01"))
    quarter = FinancialYear.parse(YEAR).quarter(1)
    generate(engine, quarter, "by hand", only_if_missing=False)
    log(engine, notice("cpw", case="ASB-2", occurred_at="2025-05-02"))
    second = generate(engine, quarter, "again", only_if_missing=False)
    assert second is not None
    with reading(engine) as connection:
        restated = restatement(connection, second, previous_version(connection, second))
    assert restated is not None
    assert restated["definitions"] == []
    values = {c["figure"]: (c["old"], c["new"]) for c in restated["changes"]}
    assert values["asb.cpw"] == (1, 2)
