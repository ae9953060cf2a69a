"""The measures page: every measure of the figure engine, the default schemes and the default figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from casebook.database import default_schemes
from casebook.reference.markdown import code, header, table
from events.types import EVENT_TYPES, VOIDED
from projections.definitions import Figure, default_figures
from projections.fold import _MEASURES

#: How each measure is written in a definition, its value for a quarter, and for a year.
MEASURES = {
    "count": ("`count`", "the matching events in the quarter",
              "the sum of the quarters"),
    "sum": ("`sum:FIELD`", "the sum of FIELD over the matching events (an event without it adds nothing)",
            "the sum of the quarters"),
    "distinct": ("`distinct:FIELD` or `distinct:case`",
                 "how many different values of FIELD (or case references) the matching events have",
                 "the different values seen in the year, not the sum of the quarters"),
    "active": ("`active`", "members or participants at the end of the quarter's last day: every join or "
               "enrolment so far less every leaving (types `member.joined`/`member.left` or "
               "`participant.enrolled`/`participant.left` only)", "the value at the end of Q4"),
    "repeat-rate": ("`repeat-rate`", "the share (0 to 1, four places) of the quarter's referrals whose subject "
                    "had another referral counted by the same figure in the 12 months before; a referral without "
                    "a subject counts, never as a repeat; null without referrals (type `referral.received` "
                    "only)", "repeats in the year ÷ referrals in the year"),
    "latest-return": ("`latest-return:INDICATOR`", "the value of the return for INDICATOR stored last for the "
                      "quarter (type `return.submitted` only)", "the sum of the quarters"),
}


def _where(where: Mapping[str, Any]) -> str:
    """A figure's filter on data fields, in words."""
    parts = []
    for name, wanted in where.items():
        if isinstance(wanted, Mapping):
            bounds = [f"≥ {wanted['min']}" if "min" in wanted else "", f"≤ {wanted['max']}" if "max" in wanted else ""]
            parts.append(f"{name} {' and '.join(bound for bound in bounds if bound)}")
        else:
            parts.append(f"{name} = {str(wanted).lower() if isinstance(wanted, bool) else wanted}")
    return ", ".join(parts)


def _types(figure: Figure) -> str:
    """The event types a figure counts; "any" where its definition names none."""
    if set(figure.types) == set(EVENT_TYPES) - {VOIDED}:
        return "any"
    return ", ".join(figure.types)


def _measure_rows(figures: list[Figure]) -> list[tuple[str, str, str, str]]:
    """One row per measure of the engine, with the default figures that use it."""
    undescribed = sorted(set(_MEASURES) - set(MEASURES))
    if undescribed:
        raise LookupError(f"describe the measures {undescribed} in casebook/reference/measures.py (MEASURES)")
    rows = []
    for name in _MEASURES:
        written, quarter, year = MEASURES[name]
        users = ", ".join(code(f.id) for f in figures if f.measure == name)
        rows.append((written, quarter, year, users))
    return rows


def page() -> str:
    """The whole measures page."""
    figures = default_figures()
    parts = [
        header("Measures and the default figures", ["projections/fold.py", "projections/figures.toml",
                                                      "events/schemes.toml", "casebook/reference/measures.py"]),
        "A figure counts the events of one scheme and of the types it names that pass its `where` filter, by "
        "one measure (how to write a definition: [the plan](plan.md)). Voided events count nowhere. An event "
        "counts in the quarter of its local (Europe/London) date, except `return.submitted`, which counts in "
        "the quarter it names.\n",
        "## Measures\n",
        table(("measure", "value for a quarter", "value for a year", "default figures"), _measure_rows(figures)),
        "A breakdown (`count` and `sum` only) gives the value per value of each field named, with "
        "`not-recorded` for events without it, so each breakdown adds up to the figure.\n",
        "## Default schemes\n",
        "`casebook init` adds those that are missing; administrators add, rename and retire schemes at Admin.\n",
        table(("scheme", "name", "lead", "priority"),
              [(code(s["id"]), s["name"], s["lead"], s["priority"]) for s in default_schemes()]),
        "## Default figures\n",
        "In the order they are reported. `counts` is `people` (small numbers hidden when published) or "
        "`things` (published as they are).\n",
        table(("figure", "label", "priority", "scheme", "types", "measure", "where", "breakdown", "counts"),
              [(code(f.id), f.label, f.priority, code(f.scheme), _types(f), code(f.as_dict()["measure"]),
                _where(f.where), ", ".join(f.breakdown), f.counts) for f in figures]),
    ]
    return "\n".join(parts)
