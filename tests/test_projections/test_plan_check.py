"""`plan check` reads a plan file and names every problem in it (spec §8), with no database."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook.database import default_schemes
from projections.plan import default_plan_files, to_toml
from projections.plan_check import Problem, Reading, read_plan, read_plan_text

SCHEMES = [s["id"] for s in default_schemes()]

POLICE = {"id": "davss.from_police", "label": "Referrals from the police", "scheme": "davss",
          "types": ["referral.received"], "measure": "count", "where": {"source": "police"}}
CLOSURE_ORDER = {"field": "notice", "value": "closure-order", "label": "Closure order"}


def _read(document: Mapping[str, Any],
          adopted: Mapping[str, Mapping[str, str]] | None = None) -> Reading:
    """Read the document as `plan check` reads a file: through its TOML text."""
    return read_plan_text(to_toml(document), schemes=SCHEMES, adopted=adopted or {})


def _plan(*figures: Mapping[str, Any], **tables: Any) -> dict[str, Any]:
    """A small 2025/26 plan: two priorities, these figures and any other tables."""
    return {
        "year": "2025/26",
        "priority": [{"name": "Anti-social behaviour", "schemes": ["asb-casework"]},
                     {"name": "Safeguarding", "schemes": ["davss", "freedom-programme"]}],
        **tables,
        "figure": [dict(f) for f in figures],
    }


def _figure(figure_id: str = "asb.things", **changes: Any) -> dict[str, Any]:
    return {"id": figure_id, "label": "Things", "scheme": "asb-casework",
            "types": ["notice.issued"], "measure": "count", **changes}


def _only(reading: Reading) -> Problem:
    assert reading.plan is None
    assert len(reading.problems) == 1, reading.problems
    return reading.problems[0]


def test_the_small_plan_the_tests_start_from_has_no_problem() -> None:
    reading = _read(_plan(_figure(), POLICE))
    assert reading.problems == []
    assert reading.plan is not None and len(reading.plan.figures) == 2


def test_an_unknown_event_type_is_named_with_its_figure() -> None:
    problem = _only(_read(_plan(_figure(types=["notice.sent"]))))
    assert (problem.about, problem.field) == ("figure asb.things", "types")
    assert "'notice.sent'" in problem.message


def test_types_that_are_not_names_are_a_problem_of_the_figure_not_a_crash() -> None:
    reading = _read(_plan(_figure(types=["notice.issued", 3])))
    problems = [(p.about, p.field) for p in reading.problems]
    assert reading.plan is None
    assert ("figure asb.things", "types") in problems
    assert any(p.message == "must be a list of event type names" for p in reading.problems)


def test_an_unknown_event_type_in_a_scheme_entry_is_named_with_its_scheme() -> None:
    entry = {"id": "asb-casework", "types": ["notice.issued", "notice.sent"]}
    problem = _only(_read(_plan(_figure(), scheme=[entry])))
    assert problem == Problem("scheme asb-casework", "types", "unknown event type 'notice.sent'")


@pytest.mark.parametrize(("changes", "field"), [
    ({"where": {"colour": "red"}}, "where.colour"),
    ({"types": ["programme.delivered"], "scheme": "freedom-programme",
      "measure": "sum:people"}, "measure"),
    ({"types": ["programme.delivered"], "scheme": "freedom-programme",
      "measure": "distinct:colour"}, "measure"),
    ({"breakdown": ["colour"]}, "breakdown"),
])
def test_an_unknown_field_is_named_with_its_figure_and_the_field_at_fault(
    changes: dict[str, Any], field: str
) -> None:
    problem = _only(_read(_plan(_figure(**changes))))
    assert (problem.about, problem.field) == ("figure asb.things", field)
    assert problem.message.startswith("unknown field '")
    assert "people" in problem.message or "colour" in problem.message


def test_a_breakdown_field_of_another_types_schema_is_refused() -> None:
    # risk is a field of referral.received: a notice has none.
    problem = _only(_read(_plan(_figure(breakdown=["risk"]))))
    assert problem == Problem("figure asb.things", "breakdown",
                              "unknown field 'risk': notice.issued has notice")


def test_adding_up_a_field_that_is_not_a_number_is_refused() -> None:
    figure = _figure(types=["programme.delivered"], scheme="freedom-programme",
                     measure="sum:location")
    assert _only(_read(_plan(figure))) == Problem("figure asb.things", "measure",
                                                  "location is not a number field")


def test_an_unknown_value_of_a_vocabulary_field_asks_for_a_vocabulary_entry() -> None:
    problem = _only(_read(_plan(_figure(where={"notice": "closure-order"}))))
    assert (problem.about, problem.field) == ("figure asb.things", "where.notice")
    assert problem.message.startswith("unknown value 'closure-order' (add it in a "
                                      "[[vocabulary]] entry); known: cpn, cpn-fpn, cpw")


def test_an_unknown_value_of_a_choice_field_is_refused() -> None:
    figure = {**POLICE, "where": {"risk": "critical"}}
    problem = _only(_read(_plan(figure)))
    assert problem == Problem("figure davss.from_police", "where.risk",
                              "unknown value 'critical'; known: high, medium, standard")


def test_a_value_the_same_file_adds_to_the_vocabulary_is_known() -> None:
    figure = _figure(where={"notice": "closure-order"})

    reading = _read(_plan(figure, vocabulary=[CLOSURE_ORDER]))

    assert reading.problems == []
    assert reading.plan is not None
    assert [(w.field, w.value, w.label) for w in reading.plan.vocabulary] == [
        ("notice", "closure-order", "Closure order")]
    # Once adopted, a later plan may use the value without adding it again.
    adopted = {"notice": {"closure-order": "Closure order"}}
    assert _read(_plan(figure), adopted=adopted).problems == []


def test_a_vocabulary_entry_for_a_field_that_has_none_is_named_by_its_entry() -> None:
    entry = {"field": "colour", "value": "red", "label": "Red"}
    problem = _only(_read(_plan(_figure(), vocabulary=[entry])))
    assert (problem.about, problem.field) == ("vocabulary colour=red", "field")
    assert problem.message == "must be one of: notice, panel, kind, source"


def test_a_vocabulary_value_that_is_not_a_code_is_named_by_its_entry() -> None:
    entry = {"field": "notice", "value": "Closure Order", "label": "Closure order"}
    problem = _only(_read(_plan(_figure(), vocabulary=[entry])))
    assert (problem.about, problem.field) == ("vocabulary notice=Closure Order", "value")


def test_an_unknown_measure_is_refused() -> None:
    assert _only(_read(_plan(_figure(measure="tally")))) == Problem(
        "figure asb.things", "measure", "unknown measure 'tally'")


def test_an_unknown_scheme_of_a_figure_is_named_with_the_figure() -> None:
    assert _only(_read(_plan(_figure(scheme="asb-nowhere")))) == Problem(
        "figure asb.things", "scheme", "unknown scheme 'asb-nowhere'")


def test_an_unknown_scheme_of_a_priority_is_named_with_the_priority() -> None:
    document = _plan(_figure())
    document["priority"][1]["schemes"].append("davss-north")
    assert _only(_read(document)) == Problem("priority Safeguarding", "schemes",
                                             "unknown scheme 'davss-north'")


def test_an_unknown_scheme_entry_is_named_with_the_scheme() -> None:
    entry = {"id": "asb-nowhere", "types": ["notice.issued"]}
    assert _only(_read(_plan(_figure(), scheme=[entry]))) == Problem(
        "scheme asb-nowhere", "id", "unknown scheme 'asb-nowhere'")


def test_a_figure_whose_scheme_is_in_no_priority_is_refused() -> None:
    figure = _figure(scheme="mediation", types=["referral.received"])
    assert _only(_read(_plan(figure))) == Problem(
        "figure asb.things", "scheme", "mediation is in no priority of the plan")


def test_two_figures_with_one_id_are_refused() -> None:
    problem = _only(_read(_plan(_figure(), POLICE, {**POLICE, "label": "Again"})))
    assert problem == Problem("figure davss.from_police", "id", "two figures have this id")


def test_a_scheme_in_two_priorities_is_refused() -> None:
    document = _plan(_figure())
    document["priority"].append({"name": "Violent crime", "schemes": ["davss"]})
    assert _only(_read(document)) == Problem("priority Violent crime", "schemes",
                                             "davss is also in priority Safeguarding")


def test_malformed_toml_names_its_line() -> None:
    text = to_toml(_plan(_figure())).replace('measure = "count"', 'measure = count', 1)
    line = text.splitlines().index("measure = count") + 1

    reading = read_plan_text(text, schemes=SCHEMES, adopted={})

    problem = _only(reading)
    assert (problem.about, problem.field) == ("plan file", f"line {line}")
    assert problem.message.startswith("not valid TOML: ")


def test_a_file_with_many_problems_reports_all_of_them_in_one_reading() -> None:
    document = _plan(
        _figure(types=["notice.sent"]),
        _figure("asb.colours", where={"colour": "red"}, breakdown=["risk"]),
        _figure("asb.closures", where={"notice": "closure-order"}, measure="tally"),
        {**POLICE, "scheme": "davss-north"},
        {**POLICE, "id": "asb.things"},
        vocabulary=[{"field": "colour", "value": "red", "label": "Red"}],
        scheme=[{"id": "asb-nowhere", "types": ["notice.issued"]}],
    )
    document["priority"].append({"name": "Violent crime", "schemes": ["davss", "soc-nowhere"]})

    reading = _read(document)

    assert reading.plan is None
    assert sorted((p.about, p.field) for p in reading.problems) == sorted([
        ("figure asb.things", "types"),
        ("figure asb.colours", "where.colour"),
        ("figure asb.colours", "breakdown"),
        ("figure asb.closures", "measure"),
        ("figure asb.closures", "where.notice"),
        ("figure davss.from_police", "scheme"),
        ("figure asb.things", "id"),
        ("vocabulary colour=red", "field"),
        ("scheme asb-nowhere", "id"),
        ("priority Violent crime", "schemes"),
        ("priority Violent crime", "schemes"),
    ])
    assert len(reading.problems) == 11


@pytest.mark.parametrize("document", default_plan_files(), ids=lambda d: d["year"])
def test_the_default_plans_have_no_problem(document: dict[str, Any]) -> None:
    reading = read_plan(document, schemes=SCHEMES, adopted={})
    assert reading.problems == []
    assert reading.plan is not None and len(reading.plan.figures) == 39
    assert _read(document).problems == []


@pytest.mark.parametrize("document", default_plan_files(), ids=lambda d: d["year"])
def test_a_default_plan_written_as_toml_reads_back_as_the_same_plan(
    document: dict[str, Any]
) -> None:
    plan = read_plan(document, schemes=SCHEMES, adopted={}).plan
    assert plan is not None
    again = read_plan_text(to_toml(plan.as_file()), schemes=SCHEMES, adopted={}).plan
    assert again == plan


_TEXT = st.text(min_size=1, max_size=12).filter(lambda t: t.strip() != "")


@st.composite
def _edited_plans(draw: st.DrawFn) -> dict[str, Any]:
    """The 2025/26 default plan with a few small edits a partnership might make."""
    document = copy.deepcopy(default_plan_files()[1])
    figures = document["figure"]
    for _ in range(draw(st.integers(0, 3))):
        figures.pop(draw(st.integers(0, len(figures) - 1)))
    for figure in draw(st.lists(st.sampled_from(figures), max_size=3)):
        figure["label"] = draw(_TEXT)
    priorities = document["priority"]
    if draw(st.booleans()):
        source, target = draw(st.permutations(priorities))[:2]
        if source["schemes"]:
            target["schemes"].append(source["schemes"].pop())
    if draw(st.booleans()):
        figure = draw(st.sampled_from(figures))
        figure["priority"] = draw(st.sampled_from(priorities))["name"]
    document["priority"] = draw(st.permutations(priorities))
    if draw(st.booleans()):
        document["vocabulary"] = [{**CLOSURE_ORDER, "label": draw(_TEXT)}]
        figures.append(_figure("asb.closures", where={"notice": "closure-order"},
                               label=draw(_TEXT)))
    if draw(st.booleans()):
        figures.append({**POLICE, "breakdown": ["risk"],
                        "where": {"source": draw(st.sampled_from(["police", "self"]))}})
    reason = draw(st.none() | _TEXT)
    document.pop("reason", None)
    if reason is not None:
        document["reason"] = reason
    return document


@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(_edited_plans())
def test_an_edited_plan_written_as_toml_reads_back_as_the_same_plan(
    document: dict[str, Any]
) -> None:
    reading = read_plan(document, schemes=SCHEMES, adopted={})
    assert reading.problems == [], reading.problems
    plan = reading.plan
    assert plan is not None

    again = read_plan_text(to_toml(plan.as_file()), schemes=SCHEMES, adopted={})

    assert again.problems == []
    assert again.plan == plan
