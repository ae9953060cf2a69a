"""Every figure's definition in words: no measure, field or type id, the names set in italics."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import fields

from casebook.database import default_schemes
from events.types import EVENT_TYPES, VOIDED, schema_of
from projections.definitions import MEASURES, Figure, default_figures, figure_from_dict
from projections.presentation.explain import (
    ENDING,
    explain,
    explain_html,
    explain_parts,
    sentence_case,
)

NAMES = {s["id"]: s["name"] for s in default_schemes()}
VOCABULARY = {"notice": {"closure-order": "Closure order"}, "kind": {"street-watch": "Street watch"}}
TYPES = [name for name, t in EVENT_TYPES.items() if t.loggable and name != VOIDED]
NUMBERS = {name: [f for f, d in schema_of(name).fields.items() if isinstance(d, fields.Integer)]
           for name in TYPES}
#: Fields whose values have labels (the schemas' choices, the plan's vocabulary).
LABELLED = {"notice", "panel", "kind", "source", "risk", "gender", "age_band", "applicant"}
STARTS_AND_ENDS = ["participant.enrolled", "participant.left", "member.joined", "member.left"]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz- ", min_size=1, max_size=20).map(str.strip)\
    .filter(bool)


def plain(sentence: str, figure: Figure) -> None:
    """The sentence speaks of the figure in words only, and names its scheme."""
    assert NAMES[figure.scheme] in sentence
    assert sentence.endswith(ENDING)
    assert not re.search(r"\w:\w", sentence), sentence  # distinct:case, sum:people
    for jargon in ("latest-return", "repeat-rate", figure.id):
        assert jargon not in sentence, (jargon, sentence)
    assert not re.search(r"[a-z]_[a-z]", sentence), sentence
    for type_name in EVENT_TYPES:
        assert type_name not in sentence, sentence


def test_the_community_protection_warning_figure_reads_as_the_issue_says() -> None:
    cpw = next(f for f in default_figures() if f.id == "asb.cpw")
    assert explain(cpw, NAMES) == (
        "Counts notice issued events in ASB casework where the notice is a Community "
        "Protection Warning; voided events are left out."
    )
    assert [p.text for p in explain_parts(cpw, NAMES) if p.emphasis] == ["notice issued"]
    assert "Counts <em>notice issued</em> events in ASB casework" in explain_html(cpw, NAMES)


@pytest.mark.parametrize("figure", default_figures(), ids=lambda f: f.id)
def test_every_default_figure_is_explained_in_words(figure: Figure) -> None:
    sentence = explain(figure, NAMES)
    plain(sentence, figure)
    assert sentence == "".join(p.text for p in explain_parts(figure, NAMES))


def test_each_measure_says_what_it_does() -> None:
    said = {f.id: explain(f, NAMES) for f in default_figures()}
    assert said["asb.cases"].startswith(
        "Counts the different cases with events of any kind in ASB casework")
    assert said["freedom.attendees"].startswith(
        "Adds up the attendees of course delivered events in Freedom Programme")
    assert said["cctv.locations"].startswith("Counts the different locations of deployment made")
    assert said["safer_towns.members"].startswith(
        "Counts the members of Safer Towns Partnership active at the end of the period: joined "
        "and not since left")
    assert said["cdap.active"].endswith(": enrolled and not since left" + ENDING)
    assert said["davss.repeat_rate"].startswith(
        "The share of referrals in Domestic Abuse Volunteer Support Service (DAVSS) whose "
        "subject was referred there before in the previous 12 months")
    assert said["idva.supported"].startswith(
        "The partner's latest return of people-supported for the quarter in IDVA")
    assert ", broken down by risk level and gender;" in said["davss.referrals"]
    assert "where the threshold was not met;" in said["case_review.threshold_not_met"]
    assert "where the number of recommendations made is at least 1;" in \
        said["case_review.with_recommendations"]
    assert "where the category is “flytipping”;" in said["enforcement.flytipping"]
    assert "where the notice is a warning letter;" in said["pspo.warning_letters"]


def test_an_adopted_value_reads_with_its_label_and_bounds_in_words() -> None:
    figure = figure_from_dict({
        "id": "asb.closure_orders", "label": "Closure orders", "scheme": "asb-casework",
        "types": ["notice.issued"], "measure": "count", "where": {"notice": "closure-order"},
    }, priority="Anti-social behaviour")
    assert "where the notice is a closure order;" in explain(figure, NAMES, VOCABULARY)
    assert "where the notice is a closure order;" in explain(figure, NAMES)  # its words anyway
    sized = figure_from_dict({
        "id": "big", "label": "Big courses", "scheme": "freedom-programme",
        "types": ["programme.delivered"], "measure": "sum:attendees",
        "where": {"attendees": {"min": 3, "max": 1000}}, "breakdown": ["location"],
    }, priority="P")
    assert explain(sized, NAMES) == (
        "Adds up the attendees of course delivered events in Freedom Programme where the number "
        "of attendees is at least 3 and at most 1,000, broken down by location; voided events "
        "are left out.")


def test_typed_text_is_escaped_in_the_html() -> None:
    figure = figure_from_dict({
        "id": "x", "label": "X", "scheme": "asb-enforcement", "types": ["incident.reported"],
        "measure": "count", "where": {"category": "<script>"},
    }, priority="P")
    html = explain_html(figure, NAMES)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_labels_read_mid_sentence() -> None:
    assert sentence_case("Warning letter") == "warning letter"
    assert sentence_case("Community Protection Warning") == "Community Protection Warning"
    assert sentence_case("ASB Case Review application received") == \
        "ASB Case Review application received"
    assert sentence_case("Fixed Penalty Notice for a CPN breach") == \
        "Fixed Penalty Notice for a CPN breach"


def _fields_of(types: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for type_name in types or TYPES:
        for name, declared in schema_of(type_name).fields.items():
            if not isinstance(declared, fields.List):
                found.setdefault(name, declared)
    return found


@st.composite
def definitions(draw: Any) -> dict[str, Any]:
    """A definition of any measure over types, fields and values its schemas have."""
    measure = draw(st.sampled_from(MEASURES))
    argument = ""
    if measure == "active":
        types = draw(st.lists(st.sampled_from(STARTS_AND_ENDS), min_size=1, unique=True))
    elif measure == "repeat-rate":
        types = ["referral.received"]
    elif measure == "latest-return":
        types, argument = ["return.submitted"], draw(WORDS).replace(" ", "-")
    elif measure == "sum":
        types = [draw(st.sampled_from([t for t in TYPES if NUMBERS[t]]))]
        argument = draw(st.sampled_from(NUMBERS[types[0]]))
    else:
        types = draw(st.lists(st.sampled_from(TYPES), max_size=3, unique=True))
    available = _fields_of(types)
    if measure == "distinct":
        argument = draw(st.sampled_from(["case", *available]))
    where = {}
    for name in draw(st.lists(st.sampled_from(sorted(available)), max_size=2, unique=True)
                     if available else st.just([])):
        where[name] = draw(_values(name, available[name]))
    breakdown = []
    if measure in ("count", "sum") and available:
        breakdown = draw(st.lists(st.sampled_from(sorted(available)), max_size=2, unique=True))
    return {"id": "drawn.figure", "label": "Drawn", "scheme": draw(st.sampled_from(sorted(NAMES))),
            "types": types, "measure": f"{measure}:{argument}" if argument else measure,
            "where": where, "breakdown": breakdown}


def _values(name: str, declared: Any) -> st.SearchStrategy[Any]:
    if isinstance(declared, fields.Boolean):
        return st.booleans()
    if isinstance(declared, fields.Integer):
        bound = st.integers(0, 10_000)
        return st.one_of(bound, st.fixed_dictionaries({"min": bound}),
                         st.fixed_dictionaries({"max": bound}),
                         st.fixed_dictionaries({"min": bound, "max": bound}))
    choices = [*declared.metadata.get("choices", {}), *VOCABULARY.get(name, {})]
    return st.sampled_from(choices) if choices else WORDS


@given(definitions())
def test_any_definition_of_any_measure_is_explained_in_words(raw: dict[str, Any]) -> None:
    figure = figure_from_dict(raw, priority="P")
    sentence = explain(figure, NAMES, VOCABULARY)
    plain(sentence, figure)
    assert sentence == "".join(p.text for p in explain_parts(figure, NAMES, VOCABULARY))
    if figure.measure in ("count", "sum", "distinct") and raw["types"]:
        for type_name in figure.types:
            assert sentence_case(EVENT_TYPES[type_name].title) in sentence
    if not raw["types"]:
        assert "events of any kind" in sentence
    for name, wanted in figure.where.items():
        if isinstance(wanted, str) and "-" in wanted and name in LABELLED:
            assert wanted not in sentence, sentence  # its label, not its key
        if isinstance(wanted, dict):
            for bound, words in (("min", "at least"), ("max", "at most")):
                if bound in wanted:
                    assert f"{words} {wanted[bound]:,}" in sentence
    if figure.breakdown:
        assert ", broken down by " in sentence
