"""The published variant: small counts hidden, and never recoverable by subtraction."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.publish import count_text, hidden_cells, is_suppressed, publish, rate_text


def document(**figures: dict[str, Any]) -> dict[str, Any]:
    return {"year": "2024/25", "period": "Q1", "as_of": None, "figures": figures}


def count(value: int, previous: int | None = None, **breakdown: dict[str, int]) -> dict[str, Any]:
    figure: dict[str, Any] = {"label": "Referrals", "priority": "Safeguarding", "scheme": "davss",
                              "measure": "count", "value": value, "previous": previous}
    if breakdown:
        figure["breakdown"] = breakdown
    return figure


def test_counts_from_one_to_four_read_fewer_than_five_and_zero_and_five_are_shown() -> None:
    published = publish(document(a=count(0), b=count(1, 4), c=count(4, 5), d=count(5, 0)))
    shown = {k: (f["value"], f["previous"]) for k, f in published["figures"].items()}
    assert shown == {"a": (0, None), "b": ("fewer than 5", "fewer than 5"),
                     "c": ("fewer than 5", 5), "d": (5, 0)}
    assert published["published"] == {"threshold": 5}


def test_the_threshold_can_be_changed() -> None:
    published = publish(document(a=count(9), b=count(10)), threshold=10)
    assert [f["value"] for f in published["figures"].values()] == ["fewer than 10", 10]


def test_the_internal_document_is_left_as_it_was() -> None:
    internal = document(a=count(3, risk={"high": 3, "not-recorded": 0}))
    publish(internal)
    assert internal["figures"]["a"]["value"] == 3
    assert internal["figures"]["a"]["breakdown"]["risk"]["high"] == 3


def test_a_single_small_cell_takes_the_next_smallest_cell_with_it() -> None:
    published = publish(document(a=count(50, risk={"high": 2, "medium": 8, "standard": 40,
                                                    "not-recorded": 0})))
    assert published["figures"]["a"]["breakdown"]["risk"] == {
        "high": "fewer than 5", "medium": "fewer than 5", "standard": 40, "not-recorded": 0}


def test_two_small_cells_adding_up_to_less_than_the_threshold_take_a_third() -> None:
    cells = {"female": 1, "male": 2, "other": 30, "not-recorded": 7}
    assert hidden_cells(cells, 5) == {"female", "male", "not-recorded"}


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


cell_counts = st.dictionaries(st.sampled_from(["high", "medium", "standard", "not-recorded"]),
                              st.integers(min_value=0, max_value=40), min_size=1)


@given(cells=cell_counts, threshold=st.integers(min_value=2, max_value=10))
def test_no_hidden_cell_can_be_worked_out_from_the_total_and_the_cells_shown(
    cells: dict[str, int], threshold: int
) -> None:
    total = sum(cells.values())
    published = publish(document(a=count(total, risk=dict(cells))), threshold)["figures"]["a"]
    shown_cells = published["breakdown"]["risk"]
    for key, value in cells.items():
        if 0 < value < threshold:
            assert is_suppressed(shown_cells[key])
    hidden = [key for key, shown in shown_cells.items() if is_suppressed(shown)]
    if is_suppressed(published["value"]):
        assert all(cells[k] == 0 for k in cells if k not in hidden)
    elif hidden:
        remainder = total - sum(v for v in shown_cells.values() if not is_suppressed(v))
        assert len(hidden) >= 2
        assert remainder >= threshold


def test_an_annual_review_hides_a_second_quarter_so_the_year_total_gives_none_away() -> None:
    doc = document(a=count(33, 40))
    doc["period"] = "year"
    doc["history"] = {"quarters": [f"q{i}" for i in range(8)],
                      "figures": {"a": [10, 10, 10, 10, 10, 10, 10, 3]}, "bases": {}}
    history = publish(doc)["history"]["figures"]["a"]
    assert history[:4] == [10, 10, 10, 10] and history[7] == "fewer than 5"
    assert sum(is_suppressed(v) for v in history[4:]) == 2
    quarterly = document(a=count(3))
    quarterly["history"] = doc["history"]
    assert publish(quarterly)["history"]["figures"]["a"][4:] == [10, 10, 10, "fewer than 5"]
