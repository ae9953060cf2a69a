"""What changed between two versions of a period's summary, and the late events behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.quarters import FinancialYear
from events.tables import event_voids, events
from events.types import VOIDED
from projections.archive import StoredSummary
from projections.catalogue import plan_version
from projections.figures import Period, quarters_of
from projections.plan import Plan
from projections.plan_diff import plan_changes
from projections.presentation.text import format_value


@dataclass(frozen=True)
class FigureChange:
    """One figure whose value differs between two versions."""

    figure_id: str
    label: str
    old: Any
    new: Any

    def sentence(self, period_label: str) -> str:
        """Like "DAVSS referrals Q1 95 → 97"."""
        return f"{self.label} {period_label} {format_value(self.old)} → {format_value(self.new)}"


@dataclass(frozen=True)
class LateEvent:
    """An event counted in a closed period but recorded after a summary of it was stored."""

    position: int
    event_id: str
    type: str
    scheme: str
    case_ref: str | None
    occurred_at: str
    recorded_at: str
    recorded_by: str
    voids: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def figure_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FigureChange]:
    """Every figure whose value differs between two summary documents, in the newer order."""
    changes = []
    for figure_id, figure in new["figures"].items():
        before = old["figures"].get(figure_id, {}).get("value")
        if before != figure["value"]:
            changes.append(FigureChange(figure_id, figure["label"], before, figure["value"]))
    return changes


_HOW = {"added": "added", "removed": "removed", "redefined": "counted differently",
        "relabelled": "relabelled", "moved": "moved to another priority",
        "reoriented": "which way is better changed"}


def definition_changes(connection: Connection, old: dict[str, Any],
                       new: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures added, removed, relabelled or redefined between two summary documents by a
    plan adopted in between (spec §8), apart from any change of value."""
    before, after = _plan_of(connection, old), _plan_of(connection, new)
    if before is not None and after is not None:
        found = [(c.figure_id, c.how, c.old.label if c.old else None,
                  c.new.label if c.new else None) for c in plan_changes(before, after).figures]
    else:
        # A document stored before plans were versioned: what the documents themselves say.
        found = []
        for figure_id in {**old["figures"], **new["figures"]}:
            was, now = old["figures"].get(figure_id), new["figures"].get(figure_id)
            how = (("added",) if was is None else ("removed",) if now is None else
                   tuple(h for h, differs in (
                       ("redefined", (was["measure"], was["scheme"]) != (now["measure"],
                                                                         now["scheme"])),
                       ("relabelled", was["label"] != now["label"])) if differs))
            if how:
                found.append((figure_id, how, was and was["label"], now and now["label"]))
    return [
        {"figure": figure_id, "how": list(how), "old_label": old_label, "new_label": new_label,
         "text": f"{new_label or old_label}: {', '.join(_HOW[h] for h in how)}"
                 + (f" (was “{old_label}”)" if "relabelled" in how else "")}
        for figure_id, how, old_label, new_label in found
    ]


def _plan_of(connection: Connection, document: dict[str, Any]) -> Plan | None:
    stamp = document.get("plan")
    if not stamp:
        return None
    adopted = plan_version(connection, FinancialYear.parse(stamp["year"]), stamp["version"])
    return adopted.plan if adopted is not None else None


def late_events(
    connection: Connection, period: Period, after: int, up_to: int | None = None
) -> list[LateEvent]:
    """Events of the period stored at positions after `after` (up to `up_to`), voids included."""
    indexes = [q.index for q in quarters_of(period)]
    window = events.c.position > after
    if up_to is not None:
        window = window & (events.c.position <= up_to)
    own = connection.execute(
        sa.select(events).where(window, events.c.type != VOIDED, events.c.period.in_(indexes))
    ).all()
    target = events.alias("target")
    voiding = connection.execute(
        sa.select(events, event_voids.c.target_id)
        .join(event_voids, event_voids.c.void_id == events.c.event_id)
        .join(target, target.c.event_id == event_voids.c.target_id)
        .where(window, target.c.period.in_(indexes))
    ).all()
    found = [_late(row, None) for row in own] + [_late(row, row.target_id) for row in voiding]
    return sorted(found, key=lambda e: e.position)


def _late(row: Any, voids: str | None) -> LateEvent:
    return LateEvent(
        position=row.position,
        event_id=row.event_id,
        type=row.type,
        scheme=row.scheme,
        case_ref=row.case_ref,
        occurred_at=row.occurred_at.isoformat(),
        recorded_at=row.recorded_at.isoformat(),
        recorded_by=row.recorded_by,
        voids=voids,
    )


def restatement(
    connection: Connection, summary: StoredSummary, previous: StoredSummary | None
) -> dict[str, Any] | None:
    """What this version restates of the previous one: changed figures and late events."""
    if previous is None:
        return None
    period_label = summary.quarter if summary.quarter != "year" else summary.year
    definitions = definition_changes(connection, previous.document, summary.document)
    shown_anew = {"relabelled", "moved", "reoriented"}
    counted_anew = {d["figure"] for d in definitions if set(d["how"]) - shown_anew}
    changes = [c for c in figure_changes(previous.document, summary.document)
               if c.figure_id not in counted_anew]
    late = late_events(connection, summary.period, previous.position, summary.position)
    return {
        "previous_id": previous.id,
        "previous_version": previous.version,
        "previous_as_of": previous.as_of.isoformat() if previous.as_of else None,
        "changes": [
            {"figure": c.figure_id, "label": c.label, "old": c.old, "new": c.new,
             "text": c.sentence(period_label)}
            for c in changes
        ],
        "late_events": [event.as_dict() for event in late],
        "definitions": definitions,
    }
