"""Synthetic but plausible events from 1 April 2024 to yesterday, for a first look at casebook."""

# The days are simulated in order from one seeded random generator, and every event id is derived
# from the seed and the event's place in that order, so the same seed always gives the same events:
# running the demo again writes nothing new, and running it on a later day only adds the days since.

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from casebook.services.demo_base import (
    ASB_CATEGORIES,
    ENFORCEMENT_DAILY,
    LONDON,
    PLACES,
    START,
    DayBuilder,
    line_order,
    poisson,
)


class _Demo(DayBuilder):
    """One simulated day after another, scheme by scheme."""

    # -- one day ------------------------------------------------------------------------------

    def day(self, day: date) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        while self.later and self.later[0].day <= day:
            lines.append(heapq.heappop(self.later).line)
        lines += self.asb(day) + self.pspo(day) + self.enforcement(day) + self.domestic_abuse(day)
        lines += self.outreach(day) + self.meetings(day) + self.membership(day)
        if day.day == 12 and day.month in (1, 4, 7, 10):
            lines += self.idva_return(day)
        return sorted(lines, key=line_order)

    def asb(self, day: date) -> list[dict[str, Any]]:
        lines = []
        for _ in range(self.times("asb-complaint", day)):
            case = self.case_ref("ASB", day)
            complaint = self.line("referral.received", "asb-casework", day, case, "asb.officer",
                                  category=self.pick(ASB_CATEGORIES),
                                  source=self.pick(["police", "self", "housing", "council"]))
            lines.append(complaint)
            if self.maybe(0.012):
                self.schedule(day + timedelta(days=1), self.line(
                    "event.voided", "asb-casework", day + timedelta(days=1), by="asb.officer",
                    target=complaint["id"], reason="Logged twice"))
            if self.maybe(0.025):
                self.warn(day, case)
            elif self.maybe(0.4):
                closed = day + timedelta(days=self.random.randrange(20, 120))
                self.schedule(closed, self.line("case.closed", "asb-casework", closed, case,
                                                "asb.officer", outcome="Resolved"))
        for _ in range(self.times("mediation", day)):
            lines.append(self.line(
                "referral.received", "mediation", day, self.case_ref("MED", day), "mediation",
                category=self.pick(["neighbour"] * 5 + ["family"] * 2 + ["anger-management"] * 3)))
        for _ in range(self.times("case-review", day)):
            case = self.case_ref("ACR", day)
            lines.append(self.line("application.received", "asb-case-review", day, case,
                                   applicant=self.pick(["victim", "on-behalf"])))
            decided = day + timedelta(days=self.random.randrange(5, 25))
            met = self.maybe(0.3)
            self.schedule(decided, self.line("threshold.decided", "asb-case-review", decided,
                                             case, met=met))
            if met:
                held = decided + timedelta(days=self.random.randrange(14, 40))
                self.schedule(held, self.line("panel.held", "asb-case-review", held, case,
                                              panel="case-review",
                                              recommendations=self.random.randrange(0, 4)))
        return lines

    def warn(self, day: date, case: str) -> None:
        """A CPW some days after the complaint; sometimes a CPN after it, rarely a fixed penalty."""
        warned = day + timedelta(days=self.random.randrange(5, 30))
        self.schedule(warned, self.line("notice.issued", "asb-casework", warned, case,
                                        "asb.officer", notice="cpw"))
        if self.maybe(0.3):
            noticed = warned + timedelta(days=self.random.randrange(14, 60))
            self.schedule(noticed, self.line("notice.issued", "asb-casework", noticed, case,
                                             "asb.officer", notice="cpn"))
            if self.maybe(0.2):
                fined = noticed + timedelta(days=self.random.randrange(14, 60))
                self.schedule(fined, self.line("notice.issued", "asb-casework", fined, case,
                                               "asb.officer", notice="cpn-fpn"))

    def pspo(self, day: date) -> list[dict[str, Any]]:
        lines = []
        for kind, notice in (("pspo-fpn", "pspo-fpn"), ("pspo-warning-letter", "warning-letter"),
                             ("pspo-dispersal", "dispersal")):
            for _ in range(self.times(kind, day)):
                lines.append(self.line("notice.issued", "pspo-vehicles", day, by="pspo.officer",
                                       notice=notice))
        return lines

    def enforcement(self, day: date) -> list[dict[str, Any]]:
        if not 4 <= day.month <= 9:
            return []
        lines = []
        rate = ENFORCEMENT_DAILY * self.factor(day) * (0.3 if day.weekday() >= 5 else 1.2)
        for _ in range(poisson(self.random, rate)):
            category = "flytipping" if self.maybe(80 / 456) else self.pick(
                ["pspo-breach", "littering", "dog-fouling", "abandoned-vehicle", "graffiti"])
            report = self.line("incident.reported", "asb-enforcement", day, by="enforcement",
                               category=category, location=self.pick(PLACES))
            lines.append(report)
            if self.maybe(0.005):
                self.schedule(day + timedelta(days=2), self.line(
                    "event.voided", "asb-enforcement", day + timedelta(days=2), by="enforcement",
                    target=report["id"], reason="Outside the borough"))
        return lines

    def domestic_abuse(self, day: date) -> list[dict[str, Any]]:
        lines = []
        for _ in range(self.times("davss", day)):
            # Some people are referred again: pick from those referred in the last 18 months.
            while self.davss_subjects and self.davss_subjects[0][0] < day - timedelta(days=540):
                self.davss_subjects.popleft()
            if self.davss_subjects and self.maybe(0.08):
                subject = self.pick(self.davss_subjects)[1]
            else:
                self.subject_number += 1
                subject = f"S-{self.subject_number:06d}"
            self.davss_subjects.append((day, subject))
            referral = self.line(
                "referral.received", "davss", day, self.case_ref("DA", day), "davss.worker",
                subject=subject,
                risk=self.pick(["standard", "standard", "medium", "medium", "medium", "high",
                                None]),
                gender=self.pick(["female"] * 8 + ["male", None]),
                age_band=self.pick(["18-24", "25-34", "25-34", "35-49", "35-49", "50-64",
                                    "65-plus", None]),
                source=self.pick(["police", "police", "self", "health", "social-care",
                                  "housing", None]))
            lines.append(referral)
            if self.maybe(0.01):
                self.schedule(day + timedelta(days=3), self.line(
                    "event.voided", "davss", day + timedelta(days=3), by="davss.worker",
                    target=referral["id"], reason="Referred to the wrong service"))
        for _ in range(self.times("cdap", day)):
            case = self.case_ref("CDAP", day)
            lines.append(self.line("referral.received", "cdap", day, case, "cdap", gender="male"))
            if self.maybe(0.8):
                enrolled = day + timedelta(days=self.random.randrange(7, 30))
                self.schedule(enrolled, self.line("participant.enrolled", "cdap", enrolled, case,
                                                  "cdap"))
                if self.maybe(0.5):
                    left = enrolled + timedelta(days=self.random.randrange(90, 240))
                    self.schedule(left, self.line("participant.left", "cdap", left, case, "cdap"))
        for _ in range(self.times("channel", day)):
            lines.append(self.line("referral.received", "channel", day,
                                   self.case_ref("CH", day), "prevent"))
        # Recovery programmes: four Freedom Programmes and four Own My Life courses a year,
        # one Children's Freedom Programme.
        if day.day == 20 and day.month in (5, 8, 11, 2):
            run = f"{PLACES[day.month % 3]}, {day:%B %Y}"
            lines.append(self.line("programme.delivered", "freedom-programme", day, by="davss",
                                   run=run, attendees=self.random.randrange(6, 11),
                                   location="Tonbridge"))
            lines.append(self.line("programme.delivered", "own-my-life", day, by="davss",
                                   run=run, attendees=self.random.randrange(8, 14)))
        if day.day == 25 and day.month == 3:
            lines.append(self.line("programme.delivered", "childrens-freedom", day, by="davss",
                                   run=f"Spring {day.year}", attendees=self.random.randrange(5, 10)))
        return lines

    def idva_return(self, day: date) -> list[dict[str, Any]]:
        """Lookahead's return for the quarter just ended; now and then corrected a week later."""
        ended = day - timedelta(days=20)
        start_year = ended.year if ended.month >= 4 else ended.year - 1
        quarter = f"{start_year}/{(start_year + 1) % 100:02d} Q{(ended.month - 4) % 12 // 3 + 1}"
        value = round(self.random.randrange(75, 95) * self.factor(ended))
        lines = [self.line("return.submitted", "idva", day, by="lookahead",
                           indicator="people-supported", quarter=quarter, value=value)]
        if self.maybe(0.3):
            fixed = day + timedelta(days=7)
            self.schedule(fixed, self.line("return.submitted", "idva", fixed, by="lookahead",
                                           indicator="people-supported", quarter=quarter,
                                           value=value + self.random.randrange(1, 6)))
        return lines

    def outreach(self, day: date) -> list[dict[str, Any]]:
        lines = []
        for scheme, kind, engagement, people, places in (
            ("kenward-trust", "kenward", "outreach", (10, 35), PLACES[:5]),
            ("youth-provision", "youth", "outreach", (3, 12), PLACES[:3]),
            ("schools-rrr", "schools", "school", (40, 70), [f"School {n}" for n in range(1, 9)]),
            ("self-defence", "self-defence", "training", (8, 18), ["Tonbridge", "Larkfield"]),
            ("community-events", "community-event", "community-event", (40, 200), PLACES),
            ("community-events", "outreach", "outreach", (10, 40), PLACES),
        ):
            extra = 3.0 if kind == "youth" and day.month in (7, 8) else 1.0
            for _ in range(self.times(kind, day, extra)):
                lines.append(self.line("engagement.recorded", scheme, day, by=scheme,
                                       kind=engagement, people=self.random.randrange(*people),
                                       location=self.pick(places)))
        for _ in range(self.times("cctv", day)):
            lines.append(self.line("deployment.made", "mobile-cctv", day, by="asb.officer",
                                   asset=f"camera {self.random.randrange(1, 5)}",
                                   location=self.pick(PLACES[:8])))
        return lines

    def meetings(self, day: date) -> list[dict[str, Any]]:
        if day.day != 10:
            return []
        lines = [self.line("panel.held", "soc-group", day, by="police", panel="soc-group")]
        if day.month % 2 == 0:
            lines.append(self.line("panel.held", "channel", day, by="prevent", panel="channel"))
        return lines

    def membership(self, day: date) -> list[dict[str, Any]]:
        lines = []
        joins = self.times("safer-towns-join", day, 12.0 if day < date(2024, 5, 1) else 1.0)
        for _ in range(joins):
            lines.append(self.join("safer-towns", day))
        towns = self.members["safer-towns"]
        for _ in range(self.times("safer-towns-leave", day)):
            if towns:
                member = towns.pop(self.random.randrange(len(towns)))
                lines.append(self.line("member.left", "safer-towns", day, by="council",
                                       member=member))
        if day in (date(2024, 6, 3), date(2024, 11, 18), date(2025, 9, 8)):
            lines.append(self.join("safer-spaces", day))
        if day == date(2026, 2, 2) and len(self.members["safer-spaces"]) > 2:
            lines.append(self.line("member.left", "safer-spaces", day, by="council",
                                   member=self.members["safer-spaces"].pop(0)))
        return lines

    def join(self, scheme: str, day: date) -> dict[str, Any]:
        self.member_number += 1
        member = f"{'Business' if scheme == 'safer-towns' else 'Site'} {self.member_number:03d}"
        self.members[scheme].append(member)
        return self.line("member.joined", scheme, day, by="council", member=member)

    def run(self) -> Iterator[dict[str, Any]]:
        day = START
        while day <= self.today:
            yield from self.day(day)
            day += timedelta(days=1)


def demo_events(seed: int, today: date | None = None) -> Iterator[dict[str, Any]]:
    """The demo events in the interchange format, from 1 April 2024 to `today` (London date).

    Left out, it ends yesterday: an event later today would be in the future, which casebook
    refuses, and a day's events must not depend on the time the demo is written.
    """
    end = today or datetime.now(LONDON).date() - timedelta(days=1)
    yield from _Demo(seed, end).run()
