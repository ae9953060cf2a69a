"""The rules of spec §3 as pure decisions over what is already known about a case or event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from events.acceptance import Acceptance
from events.model import NewEvent
from events.references import prefix_problem
from events.types import CASE_ASSIGNED, CASE_CLOSED, SUBJECT_ERASED, VOIDED


class RuleBroken(ValueError):
    """An event that is well formed but not allowed given what has happened: names the field."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class CaseEntry:
    """What the rules need to know of one earlier event in a case."""

    event_id: str
    type: str
    notice: str | None
    occurred_at: datetime
    voided: bool


@dataclass(frozen=True)
class VoidTarget:
    """What the rules need to know of the event a void points at."""

    event_id: str
    type: str
    scheme: str
    voided: bool


class PastEvent(Protocol):
    """What deciding whether a case is closed needs of one of its events."""

    @property
    def type(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def voided(self) -> bool: ...


Past = TypeVar("Past", bound=PastEvent)


def closure(history: Iterable[Past]) -> Past | None:
    """The event that closed the case, or None while it is open.

    A case is closed when its latest standing (not voided) event is `case.closed`: latest by
    when it happened, the later stored of two at the same moment, so `history` is the case's
    events in the order stored. Any later event reopens the case.
    """
    latest: Past | None = None
    for entry in history:
        if entry.voided or entry.type == VOIDED:
            continue
        if latest is None or entry.occurred_at >= latest.occurred_at:
            latest = entry
    return latest if latest is not None and latest.type == CASE_CLOSED else None


@dataclass(frozen=True)
class Kind:
    """A kind of event a rule of §3 speaks of: a type, and for a notice which notice it is."""

    type: str
    notice: str | None
    #: Its name in words, for messages ("Community Protection Warning").
    name: str
    #: How a message's closing advice calls it ("notice", "decision").
    short: str

    def matches(self, type_: str, notice: str | None) -> bool:
        return type_ == self.type and (self.notice is None or notice == self.notice)


@dataclass(frozen=True)
class Need:
    """A rule of §3: an event of the `dependent` kind needs an earlier standing `needed` one.

    Logging checks it for the new event; voiding checks that every standing event still meets
    it once the target is gone (`void_dependents`), so a rule added here binds both at once.
    """

    dependent: Kind
    needed: Kind
    field: str
    message: str
    #: Set where each needed event carries at most one dependent: the refusal when all do.
    one_each: str | None = None


_CPW = Kind("notice.issued", "cpw", "Community Protection Warning", "warning")
_CPN = Kind("notice.issued", "cpn", "Community Protection Notice", "notice")
_FPN = Kind("notice.issued", "cpn-fpn", "fixed penalty for a CPN breach", "fixed penalty")
_APPLICATION = Kind("application.received", None, "ASB Case Review application", "application")
_DECISION = Kind("threshold.decided", None, "threshold decision", "decision")
_CPW_CHECK = Kind("compliance.checked", "cpw", "compliance check of a CPW", "compliance check")
_CPN_REVIEW = Kind("compliance.checked", "cpn", "review of a CPN", "review")

#: The case rules of §3, in the order a new event is checked against them.
NEEDS: tuple[Need, ...] = (
    Need(_CPN, _CPW, "data.notice",
         "A Community Protection Notice needs an earlier Community Protection Warning (CPW) in "
         "the same case that has not been voided. Log the CPW first."),
    Need(_FPN, _CPN, "data.notice",
         "A fixed penalty for a CPN breach needs an earlier Community Protection Notice (CPN) "
         "in the same case that has not been voided. Log the CPN first."),
    Need(_DECISION, _APPLICATION, "case",
         "A threshold decision needs an earlier ASB Case Review application in the same case. "
         "Log the application first.",
         one_each="Every application in this case already has a threshold decision: there is "
                  "one decision per application. Void the wrong decision first to correct it."),
    Need(_CPW_CHECK, _CPW, "data.notice",
         "A compliance check of a CPW needs an earlier Community Protection Warning (CPW) in the "
         "same case that has not been voided. Log the CPW first."),
    Need(_CPN_REVIEW, _CPN, "data.notice",
         "A review of a CPN needs an earlier Community Protection Notice (CPN) in the same case "
         "that has not been voided. Log the CPN first."),
)


def check_scheme(event: NewEvent, known: dict[str, bool]) -> None:
    """The scheme must exist and not be retired (`known` maps scheme id to "retired")."""
    if event.scheme not in known:
        raise RuleBroken("scheme", f"There is no scheme {event.scheme!r}.")
    # An erasure must still be recordable once a scheme is retired: the duty to erase outlives it.
    if known[event.scheme] and event.type != SUBJECT_ERASED:
        raise RuleBroken("scheme", f"The scheme {event.scheme!r} is retired: nothing new is logged to it.")


def check_plan(event: NewEvent, acceptance: Acceptance) -> None:
    """The plan's rules: an enumerated value it has adopted, a type its scheme logs (spec §8),
    and an officer who is a user (`Acceptance.officers`)."""
    for name, value in event.data.items():
        problem = acceptance.value_problem(name, value)
        if problem is not None:
            raise RuleBroken(f"data.{name}", problem)
    problem = acceptance.type_problem(event.scheme, event.type, event.occurred_at)
    if problem is not None:
        raise RuleBroken("type", problem)
    if event.type == CASE_ASSIGNED and (problem := acceptance.officer_problem(event.data["officer"])):
        raise RuleBroken("data.officer", problem)


def check_case(event: NewEvent, case_scheme: str | None, history: Iterable[CaseEntry],
               prefixes: dict[str, str | None] | None = None) -> None:
    """The rules that depend on the case's earlier events (and the schemes' prefixes)."""
    if event.case_ref is None:
        return
    # Checked before whether another scheme uses the reference, and for a case of any scheme
    # but the event's own: the refusal is the same whether the reference is in use or not. A
    # case already in the event's scheme (imported before prefixes were set) goes on.
    if case_scheme != event.scheme and prefixes and (
        problem := prefix_problem(event.case_ref, event.scheme, prefixes)
    ):
        raise RuleBroken("case", problem)
    if case_scheme is not None and case_scheme != event.scheme:
        # The same words whatever the other case's scheme, version or state: the writer may not
        # be allowed to know any of them.
        raise RuleBroken(
            "case",
            f"This case reference cannot be used in the scheme {event.scheme!r}: check it, or "
            "use another reference.",
        )
    standing = [entry for entry in history if not entry.voided]
    check_needs(event.type, event.data.get("notice"), event.occurred_at, standing)


def check_needs(type_: str, notice: str | None, occurred_at: datetime,
                standing: Sequence[CaseEntry]) -> None:
    """Raise `RuleBroken` if an event of this kind at `occurred_at` lacks what `NEEDS` asks,
    given the case's other `standing` events."""
    for need in NEEDS:
        if not need.dependent.matches(type_, notice):
            continue
        needed = [e for e in standing
                  if need.needed.matches(e.type, e.notice) and e.occurred_at <= occurred_at]
        if not needed:
            raise RuleBroken(need.field, need.message)
        if need.one_each is not None:
            taken = [e for e in standing if need.dependent.matches(e.type, e.notice)]
            if len(taken) >= len(needed):
                raise RuleBroken(need.field, need.one_each)


def check_void(event: NewEvent, target: VoidTarget | None) -> None:
    """A void must point at an existing event of the same scheme, not voided, not itself a void
    (and one no later event needs: `events.dependents`, from the `NEEDS` here)."""
    if event.type != VOIDED:
        return
    target_id = event.data["target"]
    # Another scheme's event is one that does not exist, checked before anything else about it,
    # so the answer tells nothing of whether it exists, what it is or whether it is voided.
    if target is None or target.scheme != event.scheme:
        raise RuleBroken(
            "data.target", f"There is no event {target_id} in the scheme {event.scheme!r}: check "
            "the id.",
        )
    if target.type == VOIDED:
        raise RuleBroken("data.target", "A void cannot be voided: record the right event instead.")
    if target.voided:
        raise RuleBroken("data.target", f"The event {target_id} is already voided.")
