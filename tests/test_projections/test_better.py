"""Which way is better (`better = "lower" | "higher" | "neither"`): read, checked, written back,
and never part of what a figure counts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from casebook.database import default_schemes
from projections.definitions import BadDefinition, default_figures, definitions_hash, figure_from_dict
from projections.plan import figure_entry, figure_key, to_toml
from projections.plan_check import read_plan_text
from projections.plan_diff import plan_changes
from projections.presentation.labels import breakdown_tables, value_label

SCHEMES = [s["id"] for s in default_schemes()]
COMPLAINTS = {"id": "asb.complaints_made", "label": "Complaints", "scheme": "asb-casework",
              "types": ["referral.received"], "measure": "count"}


def plan_text(**figure: object) -> str:
    return to_toml({"year": "2025/26",
                    "priority": [{"name": "Anti-social behaviour", "schemes": ["asb-casework"]}],
                    "figure": [{**COMPLAINTS, **figure}]})


def test_a_figure_is_neither_unless_it_says_and_a_bad_value_is_named() -> None:
    assert figure_from_dict({**COMPLAINTS, "priority": "P"}).better == "neither"
    assert figure_from_dict({**COMPLAINTS, "priority": "P", "better": "lower"}).better == "lower"
    with pytest.raises(BadDefinition, match=r'better: must be "lower", "higher" or "neither", '
                                            r"not 'down'"):
        figure_from_dict({**COMPLAINTS, "priority": "P", "better": "down"})
    reading = read_plan_text(plan_text(better="fewer"), schemes=SCHEMES, adopted={})
    assert [str(p) for p in reading.problems] == [
        "figure asb.complaints_made: better: must be \"lower\", \"higher\" or \"neither\", "
        "not 'fewer'"]


def test_the_plan_file_keeps_better_and_leaves_out_the_default() -> None:
    reading = read_plan_text(plan_text(better="lower"), schemes=SCHEMES, adopted={})
    assert reading.plan is not None
    written = reading.plan.as_file()
    assert written["figure"][0]["better"] == "lower"
    again = read_plan_text(to_toml(written), schemes=SCHEMES, adopted={}).plan
    assert again is not None and again.figures == reading.plan.figures
    neither = replace(reading.plan.figures[0], better="neither")
    assert "better" not in figure_entry(neither, "Anti-social behaviour")


def test_changing_only_which_way_is_better_keeps_the_figures_counts() -> None:
    for figure in default_figures():
        for better in ("lower", "higher", "neither"):
            turned = replace(figure, better=better)
            assert figure_key(turned) == figure_key(figure) == figure.id
    figures = default_figures()
    assert definitions_hash([replace(f, better="higher") for f in figures]) == \
        definitions_hash(figures)
    # …and yet it is a change of the plan, shown as one, not "nothing changes".
    before = read_plan_text(plan_text(), schemes=SCHEMES, adopted={}).plan
    after = read_plan_text(plan_text(better="lower"), schemes=SCHEMES, adopted={}).plan
    assert before is not None and after is not None
    assert [c.how for c in plan_changes(before, after).figures] == [("reoriented",)]
    assert after.figures[0].key == before.figures[0].key


def test_the_default_figures_say_a_fall_in_complaints_is_good_news() -> None:
    better = {f.id: f.better for f in default_figures()}
    assert better["asb.complaints"] == "lower"
    assert better["davss.repeat_rate"] == better["davss.referrals"] == "neither"


def test_breakdown_keys_read_as_the_forms_label_them() -> None:
    types = ["referral.received"]
    assert value_label("risk", "high", types) == "High"
    assert value_label("risk", "not-recorded", types) == "Not recorded"
    assert value_label("category", "anger-management", types) == "Anger management"
    assert value_label("category", "[not named 1]", types) == "[not named 1]"
    assert value_label("notice", "closure-order", ["notice.issued"],
                       {"notice": {"closure-order": "Closure order"}}) == "Closure order"
    assert value_label("met", "true", ["threshold.decided"]) == "Yes"
    tables = breakdown_tables({"risk": {"high": 3, "not-recorded": 0, "standard": 12345},
                               "gender": {"female": 2, "not-recorded": 1}}, types)
    assert [(t.label, [(r.label, r.count) for r in t.rows]) for t in tables] == [
        ("Risk level", [("Standard", "12,345"), ("High", "3")]),
        ("Gender", [("Female", "2"), ("Not recorded", "1")]),
    ]
