"""What is due on a case, derived from its events alone (a pure function; no database).

The rules, over the case's standing events (a voided event counts as never logged, so a void
un-meets what its event met, and a voided CPW makes nothing due):

- A closed case (its latest standing event of its own is `case.closed`) has nothing due.
- A CPW's compliance check is due `cpw_compliance_days` calendar days after the warning's local
  date; met by a later compliance check of a CPW, a later CPN, or a later closure of the case.
- A CPN's review is due `cpn_review_months` months after the notice (the same day of the month,
  or the month's last day); met by a later compliance check of a CPN.
- An ASB Case Review's threshold decision is due `threshold_working_days` working days after the
  application (`projections.working_days`); met by a later decision, one per application.
- Its review panel is due `panel_working_days` working days after a decision that the threshold
  is met; met by a later case review panel held in, or listing, the case.
- A review of the case is due `inactive_days` days after its latest standing event of its own.

"Later" is by when events happened, the later stored of two at the same moment (as for a case's
closure, `events.rules.closure`). `projections.casework` stores the result in `case_due`
whenever a case's events change; each scheme's rules are kept on its row of `schemes`
(`due_rules`: JSON of the settings it changed from the defaults; NULL for none).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.model import StoredEvent
from events.references import case_key
from events.tables import schemes
from events.types import CASE_CLOSED, COMPLIANCE_CHECKED, NOTICE_ISSUED, VOIDED
from projections.working_days import add_working_days

APPLICATION = "application.received"
DECISION = "threshold.decided"
PANEL = "panel.held"


class DueKind(StrEnum):
    """What is due, in the words of the pages."""

    CPW_COMPLIANCE = "cpw-compliance"
    CPN_REVIEW = "cpn-review"
    ACR_THRESHOLD = "acr-threshold"
    ACR_PANEL = "acr-panel"
    INACTIVE = "inactive"


_KIND_ORDER = {kind: n for n, kind in enumerate(DueKind)}


@dataclass(frozen=True)
class DueRules:
    """A scheme's settings for what falls due and when (the defaults are the sector's usual)."""

    cpw_compliance_days: int = 28
    cpn_review_months: int = 6
    threshold_working_days: int = 10
    panel_working_days: int = 25
    inactive_days: int = 90

    def to_json(self) -> str | None:
        """The settings that differ from the defaults, as stored; None where none do."""
        changed = {name: value for name, value in asdict(self).items() if value != _DEFAULTS[name]}
        return json.dumps(changed, sort_keys=True) if changed else None

    @classmethod
    def from_json(cls, text: str | None) -> DueRules:
        """The rules stored as `to_json` made them (a setting this version lacks is ignored)."""
        stored = json.loads(text) if text else {}
        return cls(**{f.name: int(stored[f.name]) for f in fields(cls) if f.name in stored})


_DEFAULTS = asdict(DueRules())


def rules_for(connection: Connection, scheme: str) -> DueRules:
    """The scheme's rules for what falls due (the defaults for a scheme that changed none)."""
    stored = connection.execute(
        sa.select(schemes.c.due_rules).where(schemes.c.scheme_id == scheme)).scalar()
    return DueRules.from_json(stored)


def rules_by_scheme(connection: Connection) -> dict[str, DueRules]:
    """Every scheme's rules, for recomputing many cases at once."""
    rows = connection.execute(sa.select(schemes.c.scheme_id, schemes.c.due_rules))
    return {row.scheme_id: DueRules.from_json(row.due_rules) for row in rows}


@dataclass(frozen=True)
class DueItem:
    """One thing due on a case: what, by when, and the event that made it due."""

    kind: DueKind
    due_on: date
    because: str


def due_for_case(
    events: Sequence[StoredEvent], voided: Collection[str], rules: DueRules,
    case_ref: str | None = None,
) -> list[DueItem]:
    """What is due on one case, soonest first, from its own events and the `panel.held` events
    of its scheme that list it, in log order (`voided`: the ids of voided events; `case_ref`,
    which tells the two kinds apart, is worked out from the events when not given)."""
    standing = sorted((e for e in events if e.event_id not in voided and e.type != VOIDED),
                      key=lambda e: (e.occurred_at, e.position))
    key = case_key(case_ref) if case_ref is not None else _own_key(events)
    own = [e for e in standing if e.case_ref is not None and case_key(e.case_ref) == key]
    if not own or own[-1].type == CASE_CLOSED:
        return []
    items = [*_compliance(standing, rules), *_case_review(standing, rules),
             *_inactivity(own, rules)]
    return sorted(items, key=lambda i: (i.due_on, _KIND_ORDER[i.kind], i.because))


def _compliance(standing: Sequence[StoredEvent], rules: DueRules) -> list[DueItem]:
    """Each standing CPW's compliance check and each standing CPN's review not yet met."""
    items: list[DueItem] = []
    for n, event in enumerate(standing):
        notice = _notice(event)
        if event.type != NOTICE_ISSUED or notice not in ("cpw", "cpn"):
            continue
        later = standing[n + 1:]
        if notice == "cpw":
            if not any(_meets_cpw_check(e) for e in later):
                items.append(DueItem(DueKind.CPW_COMPLIANCE,
                                     event.local_date + timedelta(days=rules.cpw_compliance_days),
                                     event.event_id))
        elif not any(e.type == COMPLIANCE_CHECKED and _notice(e) == "cpn" for e in later):
            items.append(DueItem(DueKind.CPN_REVIEW,
                                 add_months(event.local_date, rules.cpn_review_months),
                                 event.event_id))
    return items


def _meets_cpw_check(event: StoredEvent) -> bool:
    return (event.type == CASE_CLOSED
            or (event.type == COMPLIANCE_CHECKED and _notice(event) == "cpw")
            or (event.type == NOTICE_ISSUED and _notice(event) == "cpn"))


def _case_review(standing: Sequence[StoredEvent], rules: DueRules) -> list[DueItem]:
    """Each application's threshold decision and each met threshold's panel not yet met."""
    waiting: list[StoredEvent] = []
    items: list[DueItem] = []
    for n, event in enumerate(standing):
        if event.type == APPLICATION:
            waiting.append(event)
        elif event.type == DECISION:
            if waiting:
                waiting.pop(0)
            if event.data.get("met") is True and not any(
                e.type == PANEL and e.data.get("panel") == "case-review"
                for e in standing[n + 1:]
            ):
                items.append(DueItem(DueKind.ACR_PANEL,
                                     add_working_days(event.local_date, rules.panel_working_days),
                                     event.event_id))
    items.extend(DueItem(DueKind.ACR_THRESHOLD,
                         add_working_days(a.local_date, rules.threshold_working_days), a.event_id)
                 for a in waiting)
    return items


def _inactivity(own: Sequence[StoredEvent], rules: DueRules) -> list[DueItem]:
    """The review of the case for no new events, there whatever else is due (the pages show it
    only when it is near)."""
    latest = own[-1]
    return [DueItem(DueKind.INACTIVE, latest.local_date + timedelta(days=rules.inactive_days),
                    latest.event_id)]


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day if it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _notice(event: StoredEvent) -> str | None:
    notice = event.data.get("notice")
    return notice if isinstance(notice, str) else None


def _own_key(events: Sequence[StoredEvent]) -> str | None:
    """The case's reference (keyed): the one every event has but panels listing it (voided
    events count, being the case's still; only a case of panels alone is ambiguous)."""
    refs = [case_key(e.case_ref) for e in events if e.case_ref is not None]
    listed = [ref for e in events if e.type == PANEL for ref in sorted(_listed(e))]
    for candidate in dict.fromkeys([*refs, *listed]):
        if all(e.case_ref is not None and case_key(e.case_ref) == candidate
               or (e.type == PANEL and candidate in _listed(e)) for e in events):
            return candidate
    return refs[0] if refs else None


def _listed(event: StoredEvent) -> set[str]:
    return {case_key(ref) for ref in event.data.get("cases") or () if isinstance(ref, str)}
