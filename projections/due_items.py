"""What is due on a case, derived from its events alone (a pure function; no database).

(Interface fixed; the rules are to be written.) `projections.casework` stores the result in
`case_due` whenever a case's events change, and `casebook rebuild` recomputes every case.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from events.model import StoredEvent


class DueKind(str, Enum):
    """What is due, in the words of the pages."""

    CPW_COMPLIANCE = "cpw-compliance"
    CPN_REVIEW = "cpn-review"
    ACR_THRESHOLD = "acr-threshold"
    ACR_PANEL = "acr-panel"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class DueRules:
    """A scheme's settings for what falls due and when (the defaults are the sector's usual)."""

    cpw_compliance_days: int = 28
    cpn_review_months: int = 6
    threshold_working_days: int = 10
    panel_working_days: int = 25
    inactive_days: int = 90


@dataclass(frozen=True)
class DueItem:
    """One thing due on a case: what, by when, and the event that made it due."""

    kind: DueKind
    due_on: date
    because: str


def due_for_case(
    events: Sequence[StoredEvent], voided: Collection[str], rules: DueRules
) -> list[DueItem]:
    """What is due on one case, from its events in log order (`voided`: ids of voided events,
    which count as never logged; the voids themselves are not in `events`)."""
    return []
