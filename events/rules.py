"""The rules of spec §3 as pure decisions over what is already known about a case or event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from events.acceptance import Acceptance
from events.model import NewEvent
from events.types import CASE_CLOSED, SUBJECT_ERASED, VOIDED


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


_NOTICE_NEEDS = {
    "cpn": ("cpw", "A Community Protection Notice needs an earlier Community Protection Warning "
            "(CPW) in the same case that has not been voided. Log the CPW first."),
    "cpn-fpn": ("cpn", "A fixed penalty for a CPN breach needs an earlier Community Protection "
                "Notice (CPN) in the same case that has not been voided. Log the CPN first."),
}


def check_scheme(event: NewEvent, known: dict[str, bool]) -> None:
    """The scheme must exist and not be retired (`known` maps scheme id to "retired")."""
    if event.scheme not in known:
        raise RuleBroken("scheme", f"There is no scheme {event.scheme!r}.")
    # An erasure must still be recordable once a scheme is retired: the duty to erase outlives it.
    if known[event.scheme] and event.type != SUBJECT_ERASED:
        raise RuleBroken("scheme", f"The scheme {event.scheme!r} is retired: nothing new is logged to it.")


def check_plan(event: NewEvent, acceptance: Acceptance) -> None:
    """The plan's rules: an enumerated value it has adopted, a type its scheme logs (spec §8)."""
    for name, value in event.data.items():
        problem = acceptance.value_problem(name, value)
        if problem is not None:
            raise RuleBroken(f"data.{name}", problem)
    problem = acceptance.type_problem(event.scheme, event.type, event.occurred_at)
    if problem is not None:
        raise RuleBroken("type", problem)


def check_case(event: NewEvent, case_scheme: str | None, history: Iterable[CaseEntry]) -> None:
    """The rules that depend on the case's earlier events."""
    if event.case_ref is None:
        return
    if case_scheme is not None and case_scheme != event.scheme:
        # The same words whatever the other case's scheme, version or state: the writer may not
        # be allowed to know any of them.
        raise RuleBroken(
            "case",
            f"This case reference cannot be used in the scheme {event.scheme!r}: check it, or "
            "use another reference.",
        )
    standing = [entry for entry in history if not entry.voided]
    if event.type == "notice.issued" and event.data.get("notice") in _NOTICE_NEEDS:
        needed, message = _NOTICE_NEEDS[event.data["notice"]]
        if not any(
            e.type == "notice.issued" and e.notice == needed and e.occurred_at <= event.occurred_at
            for e in standing
        ):
            raise RuleBroken("data.notice", message)
    if event.type == "threshold.decided":
        applications = [
            e for e in standing
            if e.type == "application.received" and e.occurred_at <= event.occurred_at
        ]
        decisions = [e for e in standing if e.type == "threshold.decided"]
        if not applications:
            raise RuleBroken(
                "case",
                "A threshold decision needs an earlier ASB Case Review application in the same "
                "case. Log the application first.",
            )
        if len(decisions) >= len(applications):
            raise RuleBroken(
                "case",
                "Every application in this case already has a threshold decision: there is one "
                "decision per application. Void the wrong decision first to correct it.",
            )


def check_void(event: NewEvent, target: VoidTarget | None) -> None:
    """A void must point at an existing event of the same scheme, not voided, not itself a void."""
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
