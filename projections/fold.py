"""Folding events into changes to the read models: what each measure adds, before anything is written.

`gather` turns a batch of stored events into `Changes` (voids subtract what their target added);
`projections.projector` writes them. The rebuild folds groups of like events at once
(`projections.replay`), so every measure here takes a weight, not just +1 or -1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from events.model import StoredEvent
from events.quarters import Quarter, one_year_before
from events.references import case_key
from events.types import VOIDED
from projections.definitions import NOT_RECORDED, Figure, FigureIndex

TotalKey = tuple[str, str, int, str, str]  # figure, kind, period, field, value_key
MemberKey = tuple[str, str, int, str]  # figure, kind, period, member

#: Kinds of period a read-model row is kept for: a quarter (by its index), a financial year (by
#: its start year, for distinct counts) and a local day (by its ordinal, for the headline value
#: only), so that a period still in progress compares with the same days a year earlier.
QUARTER, YEAR, DAY = "q", "y", "d"


@dataclass
class Referral:
    """A referral with a subject, as the repeat-rate measure sees it."""

    event_id: str
    subject: str
    occurred_at: datetime
    position: int
    local_date: date
    period: int
    repeat: bool = False

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.occurred_at, self.position)


@dataclass
class Changes:
    """Everything one batch of events changes in the read models, before it is written."""

    totals: defaultdict[TotalKey, int] = field(default_factory=lambda: defaultdict(int))
    members: defaultdict[MemberKey, int] = field(default_factory=lambda: defaultdict(int))
    activity: defaultdict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    #: (figure, subject) -> event id -> the referral, or None where a void removed it.
    referrals: dict[tuple[str, str], dict[str, Referral | None]] = field(default_factory=dict)
    #: (figure, period) -> event id -> (position, value), or None where a void removed it.
    returns: dict[tuple[str, int], dict[str, tuple[int, int] | None]] = field(default_factory=dict)


def mark_repeats(referrals: list[Referral]) -> None:
    """Flag each referral whose subject had another referral in the 12 months before it."""
    ordered = sorted(referrals, key=lambda r: r.order)
    for i, referral in enumerate(ordered):
        since = one_year_before(referral.local_date)
        referral.repeat = i > 0 and ordered[i - 1].local_date >= since


def gather(
    index: FigureIndex, batch: Sequence[StoredEvent], targets: dict[str, StoredEvent]
) -> Changes:
    """The changes a batch makes; `targets` holds the events its voids point at."""
    changes = Changes()
    for event in batch:
        if event.type == VOIDED:
            target = targets[event.data["target"]]
            fold_event(changes, index, target, sign=-1)
        else:
            fold_event(changes, index, event, sign=1)
    return changes


def fold_event(changes: Changes, index: FigureIndex, event: StoredEvent, sign: int) -> None:
    """Fold one event, its scheme's activity included, with weight `sign` (-1 for a voided one)."""
    changes.activity[(event.scheme, event.period)] += sign
    fold_figures(changes, index.for_event(event.scheme, event.type), event, sign)


def fold_figures(changes: Changes, figures: Sequence[Figure], event: Any, sign: int) -> None:
    """Fold `event` into `figures` with weight `sign`.

    `sign` is -1 for a voided event and may be any count where `event` stands for that many
    events alike in everything the figures read (a rebuild folds such groups at once); the
    repeat-rate and latest-return measures need each event's identity and take one at a time.
    """
    for figure in figures:
        if figure.matches(event.data):
            _MEASURES[figure.measure](changes, figure, event, sign)


def _count(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    _add_with_breakdown(changes, figure, event, sign)


def _sum(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    amount = event.data.get(figure.argument or "", 0)
    if amount:
        _add_with_breakdown(changes, figure, event, sign * amount)


def _add_with_breakdown(changes: Changes, figure: Figure, event: StoredEvent, amount: int) -> None:
    changes.totals[(figure.id, QUARTER, event.period, "", "")] += amount
    changes.totals[(figure.id, DAY, event.local_date.toordinal(), "", "")] += amount
    for name in figure.breakdown:
        value = event.data.get(name)
        changes.totals[(figure.id, QUARTER, event.period, name, breakdown_key(value))] += amount


def breakdown_key(value: Any) -> str:
    """The key a data value is counted under in a breakdown."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _distinct(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    member = event.case_ref if figure.argument == "case" else event.data.get(figure.argument or "")
    if member is None:
        return
    # A case is one case however its reference was typed ("asb-1" logged before references
    # were stored upper case, "ASB-1" since).
    member = case_key(str(member)) if figure.argument == "case" else str(member)
    changes.members[(figure.id, QUARTER, event.period, member)] += sign
    changes.members[(figure.id, YEAR, Quarter.from_index(event.period).start_year, member)] += sign
    changes.members[(figure.id, DAY, event.local_date.toordinal(), member)] += sign


def _active(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    step = sign * figure.active_step(event.type)
    changes.totals[(figure.id, QUARTER, event.period, "", "")] += step
    changes.totals[(figure.id, DAY, event.local_date.toordinal(), "", "")] += step


def _repeat_rate(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    changes.totals[(figure.id, QUARTER, event.period, "#base", "")] += sign
    changes.totals[(figure.id, DAY, event.local_date.toordinal(), "#base", "")] += sign
    if event.data.get("subject") is None:
        return
    # The key id, not the reference: stable, not personal, and unchanged by an erasure.
    subject = event.key_id or event.data["subject"]
    slot = changes.referrals.setdefault((figure.id, subject), {})
    slot[event.event_id] = (
        Referral(
            event.event_id, subject, event.occurred_at, event.position, event.local_date,
            event.period,
        )
        if sign > 0
        else None
    )


def _latest_return(changes: Changes, figure: Figure, event: StoredEvent, sign: int) -> None:
    if event.data.get("indicator") != figure.argument:
        return
    slot = changes.returns.setdefault((figure.id, event.period), {})
    slot[event.event_id] = (event.position, event.data["value"]) if sign > 0 else None


_MEASURES = {
    "count": _count,
    "sum": _sum,
    "distinct": _distinct,
    "active": _active,
    "repeat-rate": _repeat_rate,
    "latest-return": _latest_return,
}
