"""What changed between two versions of a period's summary, and the late events behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.tables import event_voids, events
from events.types import VOIDED
from projections.archive import StoredSummary
from projections.figures import Period, quarters_of
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
    changes = figure_changes(previous.document, summary.document)
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
    }
