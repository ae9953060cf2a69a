"""The two plans `casebook init` adopts (spec §8): 2025/26 grouped as the Partnership Plan
2025-26 (seed 003), 2024/25 reproducing every published figure through its plan."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from events.db import reading
from events.quarters import FinancialYear
from projections.catalogue import figures_of_year, history, load_plans
from projections.definitions import default_figures
from projections.figures import FigureReader
from tests.helpers import import_jsonl
from tests.seed_events import PREVIOUS_2024_25, PUBLISHED_2024_25, published_2024_25_events

#: Seed 003's four priorities for 2025/26, in its order, with their schemes as §8 lists them.
PRIORITIES_2025_26 = [
    ("Acquisitive crime", ["safer-towns", "safer-spaces"]),
    ("Anti-social behaviour", ["asb-casework", "asb-case-review", "pspo-vehicles",
                               "asb-enforcement", "mobile-cctv", "community-events",
                               "mediation"]),
    ("Exploitation", ["channel", "soc-group", "schools-rrr", "youth-provision"]),
    ("Safeguarding people at risk of harm", ["davss", "idva", "freedom-programme",
                                             "own-my-life", "childrens-freedom", "cdap",
                                             "kenward-trust", "self-defence"]),
]

#: The priorities of §6, which the published 2024/25 figures are grouped by.
PRIORITIES_2024_25 = ["Anti-social behaviour", "Domestic abuse", "Preventing extremism and hate",
                      "Violent crime", "Safeguarding vulnerable people", "Acquisitive crime"]

Y2024 = FinancialYear.parse("2024/25")
Y2025 = FinancialYear.parse("2025/26")


def test_the_2025_26_default_plan_groups_the_schemes_as_seed_003(engine: Engine) -> None:
    with reading(engine) as connection:
        adopted = load_plans(connection).for_year(Y2025)
        figures = figures_of_year(connection, "2025/26")

    assert (adopted.version, adopted.adopted_by) == (1, "casebook init")
    assert [(p.name, list(p.schemes)) for p in adopted.plan.priorities] == PRIORITIES_2025_26
    # DAVSS moves to safeguarding, Prevent (Channel) and gangs (SOC group) to exploitation.
    priority = {f.id: f.priority for f in figures}
    assert priority["davss.referrals"] == "Safeguarding people at risk of harm"
    assert priority["channel.referrals"] == priority["soc.meetings"] == "Exploitation"
    assert priority["kenward.people"] == "Safeguarding people at risk of harm"
    # The same figures, reported in the order of the four priorities.
    assert {f.id for f in figures} == {f.id for f in default_figures()}
    order = [p for p, _ in PRIORITIES_2025_26]
    assert [order.index(f.priority) for f in figures] == sorted(
        order.index(f.priority) for f in figures)


def test_the_2024_25_default_plan_keeps_the_priorities_of_section_6(engine: Engine) -> None:
    with reading(engine) as connection:
        adopted = load_plans(connection).for_year(Y2024)
        adoptions = history(connection)
        earliest = load_plans(connection).for_year(FinancialYear.parse("2019/20"))

    assert [p.name for p in adopted.plan.priorities] == PRIORITIES_2024_25
    assert [(str(a.plan.year), a.version) for a in adoptions] == [("2024/25", 1), ("2025/26", 1)]
    # Every figure keeps the priority §6 gives it, and its packaged definition.
    assert {(f.id, f.priority, f.key) for f in adopted.plan.figures} == {
        (f.id, f.priority, f.id) for f in default_figures()}
    # Years before the earliest plan read the earliest one.
    assert earliest == adopted


def test_the_2024_25_plan_reproduces_every_published_figure(engine: Engine) -> None:
    report = import_jsonl(engine, published_2024_25_events())
    assert not report.errors

    with reading(engine) as connection:
        reader = FigureReader(connection, Y2024)
        assert reader.adopted.plan.year == Y2024
        values = reader.values([Y2024, Y2024.previous()])
        in_2025_26 = FigureReader(connection, Y2025).values([Y2024])

    for figure_id, published in PUBLISHED_2024_25.items():
        assert values[(figure_id, Y2024)].value == published, figure_id
        # 2025/26's plan defines each figure as 2024/25's does: a year earlier reads the same.
        assert in_2025_26[(figure_id, Y2024)].value == published, figure_id
    for figure_id, previous in PREVIOUS_2024_25.items():
        assert values[(figure_id, Y2024.previous())].value == previous, figure_id
