"""Events that reproduce the figures the CSP published for 2024/25 (seed 000) and 2019/20 (seed 001)."""

# Each figure's events are spread over the year's quarters with a fixed random seed, so the file is
# the same on every run; the rules are respected (every CPN follows a CPW in its case, every
# threshold decision follows its application).

from __future__ import annotations

import json
import random
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_IDS = uuid.UUID("6f1d3c2a-8e44-4b7e-9a51-0c2f6d1e7b90")

#: What seed 000 publishes for 2024/25 (and the 2023/24 values it compares with).
PUBLISHED_2024_25: dict[str, int] = {
    "asb.complaints": 492,
    "asb.cpw": 12,
    "asb.cpn": 3,
    "case_review.applications": 3,
    "case_review.threshold_met": 0,
    "case_review.threshold_not_met": 3,
    "pspo.fpn": 51,
    "pspo.warning_letters": 24,
    "pspo.dispersals": 7,
    "enforcement.reports": 456,
    "enforcement.flytipping": 80,
    "cctv.cameras": 4,
    "cctv.locations": 8,
    "events.attended": 4,
    "mediation.clients": 22,
    "davss.referrals": 376,
    "idva.supported": 344,
    "freedom.programmes": 4,
    "freedom.attendees": 33,
    "own_my_life.courses": 4,
    "own_my_life.attendees": 43,
    "childrens_freedom.attendees": 7,
    "cdap.referrals": 6,
    "cdap.active": 7,
    "channel.referrals": 3,
    "soc.meetings": 12,
    "kenward.locations": 5,
    "youth.young_people": 185,
    "schools.pupils": 351,
    "schools.schools": 6,
    "safer_towns.members": 32,
    "safer_spaces.sites": 2,
}
#: Published as "over N".
PUBLISHED_OVER_2024_25: dict[str, int] = {"kenward.people": 500, "self_defence.attendees": 50}
PREVIOUS_2024_25: dict[str, int] = {
    "asb.complaints": 328,
    "davss.referrals": 310,
    "idva.supported": 335,
}
MEDIATION_2024_25 = {"neighbour": 11, "family": 3, "anger-management": 8}

#: What seed 001 publishes for 2019/20.
PUBLISHED_2019_20: dict[str, int] = {
    "asb.cases": 107,
    "asb.cpw": 17,
    "asb.cpn": 3,
    "asb.cpn_fpn": 0,
    "case_review.applications": 2,
    "case_review.threshold_met": 1,
    "case_review.threshold_not_met": 1,
    "case_review.reviews": 1,
    "case_review.with_recommendations": 0,
    "events.attended": 8,
}
#: davss.repeat_rate in 2019/20 Q4: 2 of 25 referrals were repeats.
REPEAT_RATE_2019_20_Q4 = 0.08


class _Writer:
    """Builds interchange lines with stable ids and random moments inside given periods."""

    def __init__(self, seed: int, name: str):
        self.random = random.Random(f"{seed}:{name}")
        self.name = name
        self.lines: list[dict[str, Any]] = []

    def moment(self, first: date, last: date) -> datetime:
        """A local moment on a day from `first` to `last`, in office hours."""
        day = first + timedelta(days=self.random.randrange((last - first).days + 1))
        clock = time(self.random.randrange(8, 19), self.random.randrange(60))
        return datetime.combine(day, clock, LONDON)

    def add(self, type_: str, scheme: str, at: datetime, case: str | None = None,
            **data: Any) -> dict[str, Any]:
        number = len(self.lines)
        line: dict[str, Any] = {
            "id": str(uuid.uuid5(_IDS, f"{self.name}/{number}")),
            "type": type_,
            "scheme": scheme,
            # Alternate the ways a time is written: offset, UTC "Z", or naive local time.
            "occurred_at": _written(at, number),
            "recorded_by": "csu.officer",
            "data": data,
        }
        if case is not None:
            line["case"] = case
        self.lines.append(line)
        return line


def _written(at: datetime, number: int) -> str:
    if number % 3 == 0:
        return at.isoformat()
    if number % 3 == 1:
        return at.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    return at.replace(tzinfo=None).isoformat()


def _year_bounds(start_year: int) -> tuple[date, date]:
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def _quarters(start_year: int) -> list[tuple[date, date]]:
    starts = [date(start_year, 4, 1), date(start_year, 7, 1), date(start_year, 10, 1),
              date(start_year + 1, 1, 1), date(start_year + 1, 4, 1)]
    return [(starts[i], starts[i + 1] - timedelta(days=1)) for i in range(4)]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` positive-ish whole numbers."""
    cuts = sorted(rng.randrange(total + 1) for _ in range(parts - 1))
    edges = [0, *cuts, total]
    return [edges[i + 1] - edges[i] for i in range(parts)]


def published_2024_25_events(seed: int = 2425) -> list[dict[str, Any]]:
    """Every event behind the 2024/25 review, with the 2023/24 events it compares with."""
    w = _Writer(seed, "2024-25")
    first, last = _year_bounds(2024)
    prior_first, prior_last = _year_bounds(2023)
    rng = w.random

    for n in range(328):
        w.add("referral.received", "asb-casework", w.moment(prior_first, prior_last),
              f"ASB-2023-{n + 1:04d}", source=rng.choice(["police", "self", "housing"]))
    for n in range(310):
        w.add("referral.received", "davss", w.moment(prior_first, prior_last),
              f"DA-2023-{n + 1:04d}", subject=f"S-{rng.randrange(1, 900):06d}",
              risk=rng.choice(["standard", "medium", "high"]))
    for (q_first, q_last), value in zip(_quarters(2023), [80, 84, 86, 85], strict=True):
        w.add("return.submitted", "idva", w.moment(q_last + timedelta(days=5), q_last + timedelta(days=20)),
              indicator="people-supported", quarter=_label(2023, q_first), value=value)

    complaints = []
    for n in range(492):
        category = rng.choice(["neighbour"] * 5 + ["noise", "youths", "vehicles"])
        complaints.append(w.add("referral.received", "asb-casework", w.moment(first, last),
                                f"ASB-2024-{n + 1:04d}", category=category,
                                source=rng.choice(["police", "self", "housing", "council"])))
    # 12 CPWs in 12 of the year's cases; three of those cases go on to a CPN.
    warned = rng.sample(complaints, 12)
    for number, complaint in enumerate(warned):
        opened = datetime.fromisoformat(_as_offset(complaint["occurred_at"]))
        cpw_at = min(opened + timedelta(days=rng.randrange(3, 30)),
                     datetime.combine(last, time(9), LONDON))
        w.add("notice.issued", "asb-casework", cpw_at, complaint["case"], notice="cpw")
        if number < 3:
            cpn_at = min(cpw_at + timedelta(days=rng.randrange(14, 60)),
                         datetime.combine(last, time(17), LONDON))
            w.add("notice.issued", "asb-casework", cpn_at, complaint["case"], notice="cpn")

    for n in range(3):
        at = w.moment(first, date(2025, 1, 31))
        case = f"ACR-2024-{n + 1:02d}"
        w.add("application.received", "asb-case-review", at, case, applicant="victim")
        w.add("threshold.decided", "asb-case-review", at + timedelta(days=rng.randrange(5, 25)),
              case, met=False)

    for notice_kind, count in (("pspo-fpn", 51), ("warning-letter", 24), ("dispersal", 7)):
        for _ in range(count):
            w.add("notice.issued", "pspo-vehicles", w.moment(first, last), notice=notice_kind)

    # The Enforcement Team ran from April to September 2024 only.
    categories = ["flytipping"] * 80 + [rng.choice(["pspo-breach", "littering", "dog-fouling",
                                                    "abandoned-vehicle"]) for _ in range(376)]
    rng.shuffle(categories)
    for category in categories:
        w.add("incident.reported", "asb-enforcement", w.moment(first, date(2024, 9, 30)),
              category=category, location=rng.choice(["Tonbridge", "Snodland", "Kings Hill"]))

    places = ["Tonbridge High St", "Larkfield", "Snodland", "Wouldham", "Kings Hill",
              "Aylesford", "West Malling", "Borough Green"]
    for n, place in enumerate(places + rng.sample(places, 4)):
        w.add("deployment.made", "mobile-cctv", w.moment(first, last),
              asset=f"camera {n % 4 + 1}", location=place)

    for place in ["Tonbridge", "Wouldham", "Snodland", "Snodland"]:
        w.add("engagement.recorded", "community-events", w.moment(first, last),
              kind="community-event", people=rng.randrange(40, 200), location=place)
    w.add("engagement.recorded", "community-events", w.moment(first, last),
          kind="outreach", people=12, location="Tonbridge")

    for category, count in MEDIATION_2024_25.items():
        for n in range(count):
            w.add("referral.received", "mediation", w.moment(first, last),
                  f"MED-{category[:3].upper()}-{n + 1:02d}", category=category)

    for n in range(376):
        w.add("referral.received", "davss", w.moment(first, last), f"DA-2024-{n + 1:04d}",
              subject=f"S-{rng.randrange(1, 900):06d}",
              risk=rng.choice(["standard", "standard", "medium", "medium", "high"]),
              gender=rng.choice(["female"] * 9 + ["male"]))
    # A referral logged twice by mistake, and voided.
    mistaken = w.add("referral.received", "davss", w.moment(first, last), "DA-2024-9999",
                     risk="high")
    mistaken_at = datetime.fromisoformat(_as_offset(mistaken["occurred_at"]))
    w.add("event.voided", "davss", mistaken_at + timedelta(hours=1),
          target=mistaken["id"], reason="Logged twice")

    # Lookahead's quarterly returns; Q2 was corrected by a later return for the same quarter.
    for (q_first, q_last), value in zip(_quarters(2024), [85, 90, 81, 88], strict=True):
        label = _label(2024, q_first)
        sent = w.moment(q_last + timedelta(days=5), q_last + timedelta(days=20))
        if q_first.month == 7:
            w.add("return.submitted", "idva", sent, indicator="people-supported",
                  quarter=label, value=value - 7)
            sent += timedelta(days=10)
        w.add("return.submitted", "idva", sent, indicator="people-supported", quarter=label,
              value=value)

    for scheme, attendees in (("freedom-programme", [8, 9, 7, 9]), ("own-my-life", [10, 12, 11, 10]),
                              ("childrens-freedom", [7])):
        for n, count in enumerate(attendees):
            w.add("programme.delivered", scheme, w.moment(first, last), run=f"Run {n + 1}",
                  attendees=count, location="Tonbridge")

    for n in range(6):
        w.add("referral.received", "cdap", w.moment(first, last), f"CDAP-2024-{n + 1:02d}",
              gender="male")
    for n in range(9):
        case = f"CDAP-P-{n + 1:02d}"
        joined = w.moment(first, date(2024, 12, 31))
        w.add("participant.enrolled", "cdap", joined, case)
        if n < 2:
            w.add("participant.left", "cdap", joined + timedelta(days=60), case)

    for n in range(3):
        w.add("referral.received", "channel", w.moment(first, last), f"CH-2024-{n + 1:02d}")

    for month in range(12):
        day = date(2024 + (month + 3) // 12, (month + 3) % 12 + 1, 10)
        w.add("panel.held", "soc-group", datetime.combine(day, time(10), LONDON),
              panel="soc-group")

    kenward = ["Tonbridge", "Snodland", "Larkfield", "Kings Hill", "East Malling"]
    for n, people in enumerate(_split(523, 15, rng)):
        w.add("engagement.recorded", "kenward-trust", w.moment(first, last), kind="outreach",
              people=people, location=kenward[n % 5])
    for people in _split(185, 9, rng):
        w.add("engagement.recorded", "youth-provision", w.moment(first, last), kind="outreach",
              people=people, location="Tonbridge")
    for n, pupils in enumerate([60, 55, 70, 48, 62, 56]):
        w.add("engagement.recorded", "schools-rrr", w.moment(first, last), kind="school",
              people=pupils, location=f"School {n + 1}")
    for place, people in (("Tonbridge", 29), ("Larkfield", 27)):
        w.add("engagement.recorded", "self-defence", w.moment(first, last), kind="training",
              people=people, location=place)

    for scheme, joined, left in (("safer-towns", 35, 3), ("safer-spaces", 2, 0)):
        for n in range(joined):
            at = w.moment(first, date(2025, 2, 28))
            w.add("member.joined", scheme, at, member=f"{scheme} member {n + 1}")
            if n < left:
                w.add("member.left", scheme, at + timedelta(days=20),
                      member=f"{scheme} member {n + 1}")

    return _in_time_order(w.lines)


def published_2019_20_events(seed: int = 1920) -> list[dict[str, Any]]:
    """Events behind the 2019/20 review (seed 001) for the figures it states plainly."""
    w = _Writer(seed, "2019-20")
    first, last = _year_bounds(2019)
    rng = w.random
    cases = [f"ASB-2019-{n + 1:04d}" for n in range(107)]
    opened = {case: w.add("referral.received", "asb-casework", w.moment(first, date(2020, 1, 31)), case)
              for case in cases}
    for number, case in enumerate(rng.sample(cases, 17)):
        at = datetime.fromisoformat(_as_offset(opened[case]["occurred_at"])) + timedelta(days=7)
        w.add("notice.issued", "asb-casework", at, case, notice="cpw")
        if number < 3:
            w.add("notice.issued", "asb-casework", at + timedelta(days=14), case, notice="cpn")
    for n, met in enumerate([True, False]):
        at = w.moment(first, date(2019, 12, 31))
        case = f"ACR-2019-{n + 1:02d}"
        w.add("application.received", "asb-case-review", at, case)
        w.add("threshold.decided", "asb-case-review", at + timedelta(days=10), case, met=met)
        if met:
            w.add("panel.held", "asb-case-review", at + timedelta(days=30), case,
                  panel="case-review", recommendations=0)
    for _ in range(8):
        w.add("engagement.recorded", "community-events", w.moment(first, last),
              kind="community-event", people=rng.randrange(30, 120))
    # 2019/20 Q4: 25 DAVSS referrals, two of them by someone referred in the past 12 months.
    q4_first, q4_last = date(2020, 1, 1), date(2020, 3, 31)
    for n in range(2):
        w.add("referral.received", "davss", w.moment(date(2019, 6, 1), date(2019, 11, 30)),
              f"DA-2019-R{n}", subject=f"S-R{n:05d}")
    for n in range(25):
        subject = f"S-R{n:05d}" if n < 2 else f"S-Q{n:05d}"
        w.add("referral.received", "davss", w.moment(q4_first, q4_last), f"DA-2019-{n:04d}",
              subject=subject)
    return _in_time_order(w.lines)


def _label(start_year: int, quarter_first: date) -> str:
    number = (quarter_first.month - 4) % 12 // 3 + 1
    return f"{start_year}/{(start_year + 1) % 100:02d} Q{number}"


def _as_offset(text: str) -> str:
    """A written occurred_at as an aware ISO text (naive means London)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.isoformat()


def _in_time_order(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines sorted by when they happened, as a log written day by day would be."""
    return sorted(lines, key=lambda line: datetime.fromisoformat(_as_offset(line["occurred_at"])))


def write_jsonl(lines: list[dict[str, Any]], path: Path) -> None:
    """Write interchange lines to a JSON Lines file."""
    with open(path, "w", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")
