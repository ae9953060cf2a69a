"""The event types: their stable names, schema, current version, case policy and upcasters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

from events import schemas

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]


class CasePolicy(Enum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"
    #: notice.issued: required for the notices a case is built on (CPW, CPN, CPN-FPN).
    BY_NOTICE = "by-notice"


@dataclass(frozen=True)
class EventType:
    """One kind of event: the schema of its data and how older versions of it are read."""

    name: str
    title: str
    schema: type[schemas.EventData]
    case: CasePolicy
    version: int = 1
    #: upcasters[n] turns data of version n into version n + 1.
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)
    #: Types staff log by hand in the web form (voids have their own button).
    loggable: bool = True

    def upcast(self, data: Data, from_version: int) -> Data:
        """Bring stored data of an older version up to the current version."""
        if from_version > self.version:
            raise ValueError(f"{self.name} version {from_version} is newer than this casebook")
        for step in range(from_version, self.version):
            data = self.upcasters[step](data)
        return data

    def case_required(self, data: Data) -> bool:
        if self.case is CasePolicy.BY_NOTICE:
            return data.get("notice") in schemas.NOTICES_NEEDING_A_CASE
        return self.case is CasePolicy.REQUIRED

    @property
    def case_allowed(self) -> bool:
        return self.case is not CasePolicy.NONE


def upcast_referral_v1_v2(data: Data) -> Data:
    """Version 1 wrote the lowest DASH risk level as "low"; the sector's word is "standard"."""
    if data.get("risk") == "low":
        return {**data, "risk": "standard"}
    return data


_TYPES = [
    EventType(
        "referral.received",
        "Referral received",
        schemas.ReferralReceived,
        CasePolicy.REQUIRED,
        version=2,
        upcasters={1: upcast_referral_v1_v2},
    ),
    EventType("notice.issued", "Notice issued", schemas.NoticeIssued, CasePolicy.BY_NOTICE),
    EventType(
        "application.received",
        "ASB Case Review application received",
        schemas.ApplicationReceived,
        CasePolicy.REQUIRED,
    ),
    EventType(
        "threshold.decided",
        "ASB Case Review threshold decided",
        schemas.ThresholdDecided,
        CasePolicy.REQUIRED,
    ),
    EventType("panel.held", "Panel held", schemas.PanelHeld, CasePolicy.OPTIONAL),
    EventType("case.closed", "Case closed", schemas.CaseClosed, CasePolicy.REQUIRED),
    EventType("case.assigned", "Case assigned", schemas.CaseAssigned, CasePolicy.REQUIRED),
    EventType(
        "compliance.checked", "Compliance checked", schemas.ComplianceChecked, CasePolicy.REQUIRED
    ),
    EventType(
        "participant.enrolled", "Participant enrolled", schemas.NoData, CasePolicy.REQUIRED
    ),
    EventType("participant.left", "Participant left", schemas.NoData, CasePolicy.REQUIRED),
    EventType(
        "programme.delivered", "Course delivered", schemas.ProgrammeDelivered, CasePolicy.NONE
    ),
    EventType(
        "engagement.recorded",
        "Engagement recorded",
        schemas.EngagementRecorded,
        CasePolicy.NONE,
    ),
    EventType(
        "incident.reported", "Incident reported", schemas.IncidentReported, CasePolicy.NONE
    ),
    EventType("deployment.made", "Deployment made", schemas.DeploymentMade, CasePolicy.NONE),
    EventType("member.joined", "Member joined", schemas.MemberChanged, CasePolicy.NONE),
    EventType("member.left", "Member left", schemas.MemberChanged, CasePolicy.NONE),
    EventType(
        "return.submitted",
        "Quarterly return submitted",
        schemas.ReturnSubmitted,
        CasePolicy.NONE,
    ),
    EventType(
        "event.voided", "Event voided", schemas.EventVoided, CasePolicy.NONE, loggable=False
    ),
    EventType(
        "subject.erased", "Subject erased", schemas.SubjectErased, CasePolicy.NONE, loggable=False
    ),
]

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}

VOIDED = "event.voided"
SUBJECT_ERASED = "subject.erased"
#: Closes its case while it is the case's latest standing event (`events.rules.closure`).
CASE_CLOSED = "case.closed"
#: Makes its `officer` the case's owner while it is the case's latest standing one.
CASE_ASSIGNED = "case.assigned"
#: Meets a CPW's compliance check or a CPN's review; logged wherever notices are.
COMPLIANCE_CHECKED = "compliance.checked"
NOTICE_ISSUED = "notice.issued"


def event_type(name: str) -> EventType:
    """The event type called `name`; KeyError if there is none."""
    return EVENT_TYPES[name]


@cache
def schema_of(type_name: str) -> schemas.EventData:
    """The one schema instance of a type's data, for loading events and reading its fields
    (`.fields`): building one costs more than loading an event with it."""
    return EVENT_TYPES[type_name].schema()
