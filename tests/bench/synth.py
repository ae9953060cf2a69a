"""Deterministic synthetic events: several financial years of a busy partnership's work."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

#: The log starts on the first day of 2021/22 and spreads its events evenly over five years.
START = datetime(2021, 4, 1, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)

_REFERRAL_SCHEMES = ["asb-casework", "davss", "mediation", "channel"]
_ENGAGEMENT_SCHEMES = {
    "kenward-trust": "outreach",
    "youth-provision": "outreach",
    "schools-rrr": "school",
    "community-events": "community-event",
    "self-defence": "training",
}
_PREFIX = {"asb-casework": "ASB", "davss": "DA", "mediation": "MED", "channel": "CH",
           "idva": "IDVA", "cdap": "CDAP", "asb-case-review": "CR"}
_RISKS = ["standard", "standard", "medium", "high", None]
_GENDERS = ["female", "female", "female", "male", None]
_SOURCES = ["police", "self", "housing", "health", "social-care", "school", "council", "other"]
_LOCATIONS = [f"Ward {n}" for n in range(1, 25)]
#: One case with many events (the SOC group's standing panel) spread over the whole log, so the
#: pages bench has a case page of the same 500 events at every size of log.
LONG_CASE = "SOC-2021-000001"
LONG_CASE_EVENTS = 500


class Synthetic:
    """Yields `count` interchange lines in the order they happened; same seed, same events."""

    def __init__(self, count: int, seed: int = 5):
        self.count = count
        self.rng = random.Random(seed)
        self.step = SPAN / max(count, 1)
        self.case_numbers: dict[str, int] = {}
        #: Open cases with what has happened in them so far.
        self.open_asb: list[tuple[str, int]] = []  # case, notices so far (0 none, 1 cpw, 2 cpn)
        self.open_reviews: list[str] = []
        self.enrolled: list[str] = []
        self.members: list[str] = []
        self.voidable: list[tuple[str, str]] = []  # (event id, scheme) of engagements/incidents
        self.subjects = [f"S{n:06d}" for n in range(max(count // 8, 50))]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # Logs too small to spare them (the tests') leave the long case out.
        stride = self.count // LONG_CASE_EVENTS if self.count >= 10 * LONG_CASE_EVENTS else 0
        for n in range(self.count):
            when = START + self.step * n
            if stride and n % stride == stride // 2 and n // stride < LONG_CASE_EVENTS:
                yield self._line(when, "panel.held", "soc-group", {"panel": "soc-group"}, LONG_CASE)
            else:
                yield self._next(when)

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _case(self, scheme: str, when: datetime) -> str:
        self.case_numbers[scheme] = self.case_numbers.get(scheme, 0) + 1
        return f"{_PREFIX[scheme]}-{when.year}-{self.case_numbers[scheme]:06d}"

    def _line(self, when: datetime, type_: str, scheme: str, data: dict[str, Any],
              case: str | None = None) -> dict[str, Any]:
        line: dict[str, Any] = {"id": self._id(), "type": type_, "scheme": scheme}
        if case is not None:
            line["case"] = case
        line["occurred_at"] = when.isoformat()
        line["recorded_by"] = self.rng.choice(["j.smith", "a.khan", "m.jones", "davss.team"])
        line["data"] = data
        return line

    def _next(self, when: datetime) -> dict[str, Any]:
        roll = self.rng.random()
        if roll < 0.30:
            return self._referral(when)
        if roll < 0.40 and self.open_asb:
            return self._notice(when)
        if roll < 0.45 and self.open_asb:
            case, _ = self.open_asb.pop(self.rng.randrange(len(self.open_asb)))
            return self._line(when, "case.closed", "asb-casework", {"outcome": "resolved"}, case)
        if roll < 0.47:
            return self._review(when)
        if roll < 0.62:
            scheme = self.rng.choice(list(_ENGAGEMENT_SCHEMES))
            line = self._line(when, "engagement.recorded", scheme, {
                "kind": _ENGAGEMENT_SCHEMES[scheme], "people": self.rng.randint(1, 40),
                "location": self.rng.choice(_LOCATIONS)})
            self.voidable.append((line["id"], scheme))
            return line
        if roll < 0.74:
            line = self._line(when, "incident.reported", "asb-enforcement", {
                "category": self.rng.choice(["flytipping", "graffiti", "abandoned-vehicle"]),
                "location": self.rng.choice(_LOCATIONS)})
            self.voidable.append((line["id"], "asb-enforcement"))
            return line
        if roll < 0.78:
            return self._line(when, "notice.issued", "pspo-vehicles", {
                "notice": self.rng.choice(["pspo-fpn", "warning-letter", "dispersal"])})
        if roll < 0.80:
            return self._line(when, "deployment.made", "mobile-cctv", {
                "asset": f"camera {self.rng.randint(1, 6)}", "location": self.rng.choice(_LOCATIONS)})
        if roll < 0.84:
            return self._membership(when)
        if roll < 0.88:
            return self._programme(when)
        if roll < 0.90:
            quarter = _quarter_label(when)
            return self._line(when, "return.submitted", "idva", {
                "indicator": "people-supported", "quarter": quarter,
                "value": self.rng.randint(60, 120)})
        if roll < 0.92:
            return self._line(when, "panel.held", "soc-group", {"panel": "soc-group"})
        if roll < 0.93 and self.voidable:
            target, scheme = self.voidable.pop(self.rng.randrange(len(self.voidable)))
            return self._line(when, "event.voided", scheme, {
                "target": target, "reason": "Logged twice"})
        return self._referral(when)

    def _referral(self, when: datetime) -> dict[str, Any]:
        scheme = self.rng.choice(_REFERRAL_SCHEMES)
        case = self._case(scheme, when)
        data: dict[str, Any] = {"subject": self.rng.choice(self.subjects),
                                "source": self.rng.choice(_SOURCES)}
        risk, gender = self.rng.choice(_RISKS), self.rng.choice(_GENDERS)
        if risk is not None:
            data["risk"] = risk
        if gender is not None:
            data["gender"] = gender
        if scheme == "mediation":
            data["category"] = self.rng.choice(["neighbour", "family", "anger-management"])
        if scheme == "asb-casework":
            self.open_asb.append((case, 0))
        return self._line(when, "referral.received", scheme, data, case)

    def _notice(self, when: datetime) -> dict[str, Any]:
        i = self.rng.randrange(len(self.open_asb))
        case, stage = self.open_asb[i]
        # A CPN only ever follows a CPW in the same case, and a CPN fixed penalty a CPN.
        notice = ["cpw", "cpn", "cpn-fpn"][min(stage, 2)]
        self.open_asb[i] = (case, stage + 1)
        if stage >= 2:
            self.open_asb.pop(i)
        return self._line(when, "notice.issued", "asb-casework", {"notice": notice}, case)

    def _review(self, when: datetime) -> dict[str, Any]:
        if self.open_reviews and self.rng.random() < 0.5:
            case = self.open_reviews.pop()
            return self._line(when, "threshold.decided", "asb-case-review",
                              {"met": self.rng.random() < 0.4}, case)
        case = self._case("asb-case-review", when)
        self.open_reviews.append(case)
        return self._line(when, "application.received", "asb-case-review",
                          {"applicant": "victim"}, case)

    def _membership(self, when: datetime) -> dict[str, Any]:
        if self.rng.random() < 0.5:
            if self.enrolled and self.rng.random() < 0.4:
                case = self.enrolled.pop(self.rng.randrange(len(self.enrolled)))
                return self._line(when, "participant.left", "cdap", {}, case)
            case = self._case("cdap", when)
            self.enrolled.append(case)
            return self._line(when, "participant.enrolled", "cdap", {}, case)
        scheme = self.rng.choice(["safer-towns", "safer-spaces"])
        if self.members and self.rng.random() < 0.3:
            member = self.members.pop(self.rng.randrange(len(self.members)))
            return self._line(when, "member.left", member.split(":")[0], {"member": member.split(":")[1]})
        member = f"Business {self.rng.randint(1, 10**6)}"
        self.members.append(f"{scheme}:{member}")
        return self._line(when, "member.joined", scheme, {"member": member})

    def _programme(self, when: datetime) -> dict[str, Any]:
        scheme = self.rng.choice(["freedom-programme", "own-my-life", "childrens-freedom"])
        return self._line(when, "programme.delivered", scheme, {
            "run": f"{self.rng.choice(_LOCATIONS)}, {when:%B %Y}",
            "attendees": self.rng.randint(3, 14)})


def _quarter_label(when: datetime) -> str:
    start = when.year if when.month >= 4 else when.year - 1
    number = ((when.month - 4) % 12) // 3 + 1
    return f"{start}/{(start + 1) % 100:02d} Q{number}"


def synthetic_events(count: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """`count` realistic events across the default schemes, oldest first."""
    return iter(Synthetic(count, seed))
