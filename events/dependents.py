"""Voids that keep the rules: which later events of a case need the event a void points at.

Derived from the case rules themselves (`events.rules.NEEDS`, `check_needs`): voiding an event
is refused when an event of its case that stands would then break one of them, so every rule
added there binds voids too, with no list of its own here.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from events.quarters import local_date
from events.rules import NEEDS, CaseEntry, Kind, RuleBroken, check_needs


class DependentsStand(RuleBroken):
    """A void refused because later standing events of the case need its target: names them."""

    def __init__(self, target_id: str, history: Sequence[CaseEntry],
                 dependents: Sequence[CaseEntry]):
        self.dependents = list(dependents)
        super().__init__("data.target", _dependents_message(target_id, history, dependents))


def check_dependents(target_id: str, history: Sequence[CaseEntry]) -> None:
    """Raise `DependentsStand` if a standing event of the target's case (`history`, the events
    the case rules look back at) would break a rule once the target is voided."""
    dependents = void_dependents(target_id, history)
    if dependents:
        raise DependentsStand(target_id, history, dependents)


def _failing(history: Sequence[CaseEntry], removed: AbstractSet[str]) -> list[CaseEntry]:
    """The standing events, less `removed`, that `NEEDS` would refuse as of when each happened.

    Each is checked against the others that happened at or before it, earliest first; one that
    fails leaves the others' checks (so of two decisions on one application only one fails).
    """
    kept = [e for e in history if not e.voided and e.event_id not in removed]
    failing: list[CaseEntry] = []
    for entry in sorted(kept, key=lambda e: e.occurred_at):
        others = [e for e in kept if e is not entry and e not in failing
                  and e.occurred_at <= entry.occurred_at]
        try:
            check_needs(entry.type, entry.notice, entry.occurred_at, others)
        except RuleBroken:
            failing.append(entry)
    return failing


def void_dependents(target_id: str, history: Sequence[CaseEntry]) -> list[CaseEntry]:
    """The standing events of the case that voiding `target_id` would leave breaking a rule.

    Only what the void itself breaks: an event that breaks a rule already (logged before the
    rule was checked on voids) is not laid at its door.
    """
    if not any(e.event_id == target_id for e in history):
        return []
    already = {e.event_id for e in _failing(history, frozenset())}
    return [e for e in _failing(history, {target_id}) if e.event_id not in already]


def void_chain(target_id: str, history: Sequence[CaseEntry]) -> list[CaseEntry]:
    """Every standing event that has to be voided with `target_id`, in an order in which their
    voids are accepted one after another (a fixed penalty before its CPN before its CPW), so
    they can go in one append with the target's void last. The target itself is not in it."""
    already = {e.event_id for e in _failing(history, frozenset())}
    removed = {target_id}
    while new := [e for e in _failing(history, removed) if e.event_id not in already]:
        removed |= {e.event_id for e in new}
    chain = [e for e in history if e.event_id in removed - {target_id}]
    ordered: list[CaseEntry] = []
    gone: set[str] = set()
    while chain:
        # The latest first: what depends on an event happened after it.
        for entry in sorted(chain, key=lambda e: e.occurred_at, reverse=True):
            if not any(e.event_id not in already
                       for e in _failing(history, gone | {entry.event_id})):
                break
        ordered.append(entry)
        gone.add(entry.event_id)
        chain.remove(entry)
    return ordered


def kind_of(entry: CaseEntry) -> Kind | None:
    """The kind a rule of `NEEDS` knows the event by, if any."""
    for need in NEEDS:
        for kind in (need.dependent, need.needed):
            if kind.matches(entry.type, entry.notice):
                return kind
    return None


def _dependents_message(target_id: str, history: Sequence[CaseEntry],
                        dependents: Sequence[CaseEntry]) -> str:
    target = next(e for e in history if e.event_id == target_id)
    target_kind = kind_of(target)
    named = [(kind_of(e), e) for e in dependents]
    words = _and([f"the {k.name if k else 'event'} of {_day(e.occurred_at)}" for k, e in named])
    shorts = {k.short if k else "event" for k, _ in named}
    first = "them" if len(named) > 1 else f"the {shorts.pop()}"
    depend = "depend" if len(named) > 1 else "depends"
    return (f"This {target_kind.name if target_kind else 'event'} cannot be voided: {words} in "
            f"this case {depend} on it. Void {first} first.")


def _day(moment: datetime) -> str:
    day = local_date(moment)
    return f"{day.day} {day:%B %Y}"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
