"""The published variant: small counts hidden, and never recoverable by subtraction."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import FinancialYear, Quarter
from projections.archive import SCHEDULED, generate
from projections.catalogue import load_figures
from projections.definitions import Figure, default_figures, figure_from_dict
from projections.figures import FigureValue
from projections.presentation.formats import render_stored
from projections.publish import count_text, is_suppressed, publish, rate_text
from projections.published_periods import published_to_date, published_year
from tests.helpers import event, log, referral

SECONDARY = "[c]"
DEFAULTS = {figure.id: figure for figure in default_figures()}


def document(**figures: dict[str, Any]) -> dict[str, Any]:
    return {"year": "2024/25", "period": "Q1", "as_of": None, "figures": figures}


def count(value: int, previous: int | None = None, scheme: str = "davss",
          **breakdown: dict[str, int]) -> dict[str, Any]:
    figure: dict[str, Any] = {"label": "Referrals", "priority": "Safeguarding", "scheme": scheme,
                              "measure": "count", "value": value, "previous": previous}
    if breakdown:
        figure["breakdown"] = breakdown
    return figure


def defined(figure_id: str, **changes: Any) -> Figure:
    """A figure definition like the default of that id, with some keys changed."""
    return figure_from_dict({**DEFAULTS[figure_id].as_dict(), "id": figure_id, **changes})


def test_counts_from_one_to_four_read_fewer_than_five_and_zero_and_five_are_shown() -> None:
    published = publish(document(a=count(0), b=count(1, 4), c=count(4, 5), d=count(5, 0)))
    shown = {k: (f["value"], f["previous"]) for k, f in published["figures"].items()}
    assert shown == {"a": (0, None), "b": ("fewer than 5", "fewer than 5"),
                     "c": ("fewer than 5", 5), "d": (5, 0)}
    assert published["published"]["threshold"] == 5


def test_the_threshold_can_be_changed() -> None:
    published = publish(document(a=count(9), b=count(10)), threshold=10)
    assert [f["value"] for f in published["figures"].values()] == ["fewer than 10", 10]


def test_the_internal_document_is_left_as_it_was() -> None:
    internal = document(a=count(3, risk={"high": 3, "not-recorded": 0}))
    publish(internal)
    assert internal["figures"]["a"]["value"] == 3
    assert internal["figures"]["a"]["breakdown"]["risk"]["high"] == 3


def test_a_cell_hidden_to_protect_another_is_marked_c_never_fewer_than_five() -> None:
    published = publish(document(a=count(50, risk={"high": 2, "medium": 8, "standard": 40,
                                                    "not-recorded": 0})),
                        figures=[defined("davss.referrals", id="a")])
    assert published["figures"]["a"]["breakdown"]["risk"] == {
        "high": "fewer than 5", "medium": SECONDARY, "standard": 40, "not-recorded": 0}


def test_the_eleven_of_the_report_cannot_be_worked_back() -> None:
    # A total of 11: one cell of 6, a not-recorded 0 and five cells of 1.
    cells = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 6, "not-recorded": 0}
    published = publish(document(x=count(11, risk=cells)), figures=[defined("davss.referrals",
                                                                            id="x")])
    shown = published["figures"]["x"]["breakdown"]["risk"]
    assert shown["f"] == SECONDARY
    for key, values in feasible_values(shown, 11, 5).items():
        assert len(values) >= 2, (key, values)


def test_two_small_cells_adding_up_to_less_than_the_threshold_take_a_third() -> None:
    cells = {"female": 1, "male": 2, "other": 30, "not-recorded": 7}
    published = publish(document(a=count(40, gender=cells)),
                        figures=[defined("davss.referrals", id="a")])
    assert published["figures"]["a"]["breakdown"]["gender"] == {
        "female": "fewer than 5", "male": "fewer than 5", "other": 30,
        "not-recorded": SECONDARY}


def test_the_breakdowns_of_a_hidden_figure_are_hidden_whole() -> None:
    published = publish(document(a=count(3, risk={"high": 3, "medium": 0, "not-recorded": 0})),
                        figures=[defined("davss.referrals", id="a")])
    assert published["figures"]["a"]["breakdown"]["risk"] == {
        "high": SECONDARY, "medium": SECONDARY, "not-recorded": SECONDARY}


def test_counts_of_things_are_published_in_full() -> None:
    cameras = {"label": "Cameras", "priority": "ASB", "scheme": "mobile-cctv",
               "measure": "distinct:asset", "value": 3, "previous": 2}
    doc = document(**{"cctv.cameras": cameras, "davss.referrals": count(3, 2)})
    doc["history"] = {"quarters": ["2024/25 Q1"], "bases": {},
                      "figures": {"cctv.cameras": [3], "davss.referrals": [3]}}
    published = publish(doc, figures=default_figures())
    assert published["figures"]["cctv.cameras"]["value"] == 3
    assert published["figures"]["cctv.cameras"]["previous"] == 2
    assert published["history"]["figures"]["cctv.cameras"] == [3]
    assert published["figures"]["davss.referrals"]["value"] == "fewer than 5"
    assert published["history"]["figures"]["davss.referrals"] == ["fewer than 5"]


def test_every_default_figure_says_whether_it_counts_people_or_things() -> None:
    things = {f.id for f in default_figures() if f.counts == "things"}
    assert {"cctv.cameras", "cctv.locations", "safer_spaces.sites", "soc.meetings",
            "freedom.programmes", "own_my_life.courses", "safer_towns.members",
            "schools.schools", "kenward.locations", "events.attended"} == things
    with pytest.raises(ValueError, match="counts"):
        defined("davss.referrals", counts="cats")


def test_free_text_labels_of_hidden_cells_are_not_published() -> None:
    cells = {"dispute with J Bloggs": 2, "family": 6, "neighbour": 30, "not-recorded": 0}
    published = publish(document(m=count(38, scheme="mediation", category=cells)),
                        figures=[defined("mediation.clients", id="m")])
    shown = published["figures"]["m"]["breakdown"]["category"]
    assert "dispute with J Bloggs" not in shown and "family" not in shown
    assert shown["neighbour"] == 30 and shown["not-recorded"] == 0
    assert sorted(v for k, v in shown.items() if k not in ("neighbour", "not-recorded")) == [
        SECONDARY, "fewer than 5"]
    # A label of a chosen value (risk, gender) is not free text, and stays.
    risk = publish(document(a=count(40, risk={"high": 2, "medium": 8, "standard": 30})),
                   figures=[defined("davss.referrals", id="a")])
    assert set(risk["figures"]["a"]["breakdown"]["risk"]) == {"high", "medium", "standard"}


def test_the_published_document_explains_its_markers() -> None:
    notes = publish(document(a=count(3)))["published"]["notes"]
    assert set(notes) >= {"fewer than 5", SECONDARY}
    assert "protect" in notes[SECONDARY]


def test_a_rate_on_a_small_base_is_hidden_with_its_base() -> None:
    rate = {"label": "Repeat rate", "priority": "Safeguarding", "scheme": "davss",
            "measure": "repeat-rate", "value": 0.5, "previous": 0.25, "base": 4,
            "previous_base": 20}
    published = publish(document(r=rate))["figures"]["r"]
    assert published["value"] == rate_text(5)
    assert published["base"] == count_text(5)
    assert published["previous"] == 0.25


def test_history_values_are_hidden_like_the_figures() -> None:
    doc = document(a=count(10))
    doc["history"] = {"quarters": ["2024/25 Q1", "2024/25 Q2"], "figures": {"a": [3, 10],
                      "r": [0.5, 0.1]}, "bases": {"r": [2, 30]}}
    history = publish(doc)["history"]
    assert history["figures"] == {"a": ["fewer than 5", 10], "r": [rate_text(5), 0.1]}
    assert history["bases"] == {"r": ["fewer than 5", 30]}


def test_an_annual_review_hides_a_second_quarter_so_the_year_total_gives_none_away() -> None:
    doc = document(a=count(33, 40))
    doc["period"] = "year"
    doc["history"] = {"quarters": [f"q{i}" for i in range(8)],
                      "figures": {"a": [10, 10, 10, 10, 10, 10, 10, 3]}, "bases": {}}
    history = publish(doc)["history"]["figures"]["a"]
    assert history[:4] == [10, 10, 10, 10] and history[7] == "fewer than 5"
    assert sum(is_suppressed(v) for v in history[4:]) == 2
    assert SECONDARY in history[4:]
    quarterly = document(a=count(3))
    quarterly["history"] = doc["history"]
    assert publish(quarterly)["history"]["figures"]["a"][4:] == [10, 10, 10, "fewer than 5"]


def feasible_values(shown: dict[str, Any], total: int | None, threshold: int
                    ) -> dict[str, set[int]]:
    """Every value each hidden cell could have, to someone who knows how cells are hidden.

    A "fewer than" cell is 1 to threshold - 1; a "[c]" cell is at least the threshold and no
    more than the smallest count shown (the next smallest are hidden first); where every cell
    reads "[c]" the breakdown was hidden whole and a cell could be anything. `total` is None
    where the figure itself reads "fewer than".
    """
    numbers = {k: v for k, v in shown.items() if not is_suppressed(v)}
    hidden = [k for k in shown if is_suppressed(shown[k])]
    cap = total if total is not None else threshold - 1
    whole = all(shown[k] == SECONDARY for k in shown)
    ceiling = min((v for v in numbers.values() if v > 0), default=cap)

    def domain(key: str) -> range:
        if whole:
            return range(0, cap + 1)
        if shown[key] == count_text(threshold):
            return range(1, threshold)
        return range(threshold, min(ceiling, cap) + 1)

    rest = sum(numbers.values())
    wanted = ({total - rest} if total is not None
              else set(range(1 - rest, threshold - rest)))
    found: dict[str, set[int]] = {}
    for key in hidden:
        sums = {0}
        for other in hidden:
            if other != key:
                sums = {s + v for s in sums for v in domain(other) if s + v <= cap}
        found[key] = {v for v in domain(key) if any(v + s in wanted for s in sums)}
    return found


cell_counts = st.dictionaries(st.sampled_from(["high", "medium", "standard", "a", "b",
                                               "not-recorded"]),
                              st.integers(min_value=0, max_value=30), min_size=1)


@given(cells=cell_counts, threshold=st.integers(min_value=3, max_value=11))
def test_no_hidden_cell_can_be_worked_out_and_every_shown_cell_is_true(
    cells: dict[str, int], threshold: int
) -> None:
    total = sum(cells.values())
    published = publish(document(a=count(total, risk=dict(cells))), threshold,
                        figures=[defined("davss.referrals", id="a")])["figures"]["a"]
    shown = published["breakdown"]["risk"]
    assert set(shown) == set(cells)
    whole = all(v == SECONDARY for v in shown.values())
    for key, value in shown.items():
        if not is_suppressed(value):
            assert value == cells[key]
            assert not 0 < value < threshold
        elif value == count_text(threshold):
            assert 0 < cells[key] < threshold
        else:
            assert value == SECONDARY and (whole or cells[key] >= threshold)
    known_total = None if is_suppressed(published["value"]) else total
    assert published["value"] == (total if known_total is not None else count_text(threshold))
    for key, values in feasible_values(shown, known_total, threshold).items():
        assert cells[key] in values
        assert len(values) >= 2, (key, values)
    hidden = [k for k, v in shown.items() if is_suppressed(v)]
    if known_total is not None:
        assert len(hidden) != 1


@given(quarters=st.lists(st.integers(min_value=0, max_value=25), min_size=4, max_size=4),
       threshold=st.integers(min_value=3, max_value=11))
def test_no_quarter_of_an_annual_review_can_be_worked_out_from_the_year(
    quarters: list[int], threshold: int
) -> None:
    doc = document(a=count(sum(quarters)))
    doc["period"] = "year"
    doc["history"] = {"quarters": [f"q{i}" for i in range(8)], "bases": {},
                      "figures": {"a": [0, 0, 0, 0, *quarters]}}
    published = publish(doc, threshold)
    shown = dict(zip("1234", published["history"]["figures"]["a"][4:], strict=True))
    for key, value in shown.items():
        if not is_suppressed(value):
            assert value == quarters[int(key) - 1]
    total = published["figures"]["a"]["value"]
    known_total = None if is_suppressed(total) else sum(quarters)
    for key, values in feasible_values(shown, known_total, threshold).items():
        assert len(values) >= 2, (key, values)


def test_a_stored_summary_published_from_the_database_shows_things_and_hides_labels(
    engine: Engine,
) -> None:
    log(engine, *[event("deployment.made", "mobile-cctv", "2024-05-01", asset=f"camera {i}",
                        location="High Street") for i in range(3)],
        referral(scheme="mediation", occurred_at="2024-05-02", category="J Bloggs next door"),
        *[referral(scheme="mediation", occurred_at="2024-05-03", category="neighbour")
          for _ in range(9)])
    stored = generate(engine, Quarter(2024, 1), SCHEDULED, only_if_missing=True)
    assert stored is not None
    with reading(engine) as connection:
        figures = load_figures(connection).figures
    body = render_stored(stored, "json", published=True, threshold=5, figures=figures)
    assert b"J Bloggs" not in body and b"neighbour" not in body
    shown = json.loads(body)["figures"]
    assert shown["cctv.cameras"]["value"] == 3
    assert sorted(shown["mediation.clients"]["breakdown"]["category"].values(),
                  key=str) == [0, SECONDARY, "fewer than 5"]


def test_a_part_year_sum_is_shown_only_where_it_splits_no_hidden_quarters() -> None:
    year = FinancialYear(2024)
    counts = dict(zip(year.quarters, (10, 10, 2, 0), strict=True))
    values = {("davss.referrals", q): FigureValue(v) for q, v in counts.items()}
    values[("davss.referrals", year)] = FigureValue(22)
    shown = published_year(values, DEFAULTS["davss.referrals"], year, 5)
    assert [shown[q] for q in year.quarters] == [SECONDARY, 10, "fewer than 5", 0]
    assert shown[year] == 22
    to_date = [published_to_date(shown, year, n, 5) for n in (1, 2, 3)]
    # Q1 alone reads as Q1; Q1 and Q2 would give Q1 and so Q3; all three less Q4 is the year.
    assert to_date == [SECONDARY, SECONDARY, 22]
