"""One marshmallow schema per event type: the single definition of its data fields.

The web form, the JSON API and the file import all read these schemas. Field metadata carries
what a form needs (`label`, `hint`, plain-English `choices`); validators carry the rules.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates

from events.quarters import BadPeriod, Quarter

SOURCES = {
    "police": "Police",
    "self": "Self-referral",
    "housing": "Housing provider",
    "health": "Health",
    "social-care": "Social care",
    "school": "School",
    "council": "Council",
    "other": "Other",
}
RISKS = {"standard": "Standard", "medium": "Medium", "high": "High"}
GENDERS = {"female": "Female", "male": "Male", "other": "Other"}
AGE_BANDS = {
    "under-16": "Under 16",
    "16-17": "16 to 17",
    "18-24": "18 to 24",
    "25-34": "25 to 34",
    "35-49": "35 to 49",
    "50-64": "50 to 64",
    "65-plus": "65 and over",
}
NOTICES = {
    "warning-letter": "Warning letter",
    "cpw": "Community Protection Warning (CPW)",
    "cpn": "Community Protection Notice (CPN)",
    "cpn-fpn": "Fixed Penalty Notice for a CPN breach",
    "pspo-fpn": "Fixed Penalty Notice under a PSPO",
    "dispersal": "Dispersal order",
    "other": "Other notice",
}
APPLICANTS = {"victim": "The victim", "on-behalf": "Someone on the victim's behalf"}
PANELS = {
    "case-review": "ASB Case Review panel",
    "channel": "Channel panel",
    "marac": "MARAC",
    "soc-group": "Serious and Organised Crime Group",
    "young-persons": "Young Person's Group",
    "vulnerable-persons": "Vulnerable persons meeting",
    "other": "Other meeting",
}
#: The notices whose compliance is checked: a CPW's check, a CPN's review.
CHECKED_NOTICES = {
    "cpw": "Community Protection Warning (CPW)",
    "cpn": "Community Protection Notice (CPN)",
}
ENGAGEMENTS = {
    "outreach": "Outreach",
    "school": "School session",
    "community-event": "Community event",
    "training": "Training",
    "patrol": "Patrol",
}

#: Notices that must belong to a case (spec §3).
NOTICES_NEEDING_A_CASE = frozenset({"cpw", "cpn", "cpn-fpn"})

#: Most characters of a short text: a reference, a category, a place, the name of a site or run.
SHORT_TEXT = 200
#: Most characters of a text in sentences: a case's outcome, a void's reason.
LONG_TEXT = 2000
_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _choice(choices: dict[str, str], label: str, *, required: bool, hint: str = "") -> fields.Field:
    return fields.String(
        required=required,
        validate=validate.OneOf(list(choices)),
        metadata={"label": label, "choices": choices, "hint": hint},
    )


#: A value a plan may add to an enumerated field (spec §8): lower-case words joined by hyphens.
VOCABULARY_VALUE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _vocabulary(choices: dict[str, str], label: str, *, required: bool) -> fields.Field:
    """A choice the partnership's plan may add values to: the schema checks the value's form,
    the store checks it against the values adopted so far (`events.acceptance`)."""
    return fields.String(
        required=required,
        validate=[
            validate.Length(max=64, error=f"{label} must be 64 characters or fewer"),
            validate.Regexp(VOCABULARY_VALUE, error=f"Must be one of: {', '.join(choices)}."),
        ],
        metadata={"label": label, "choices": choices, "hint": "", "vocabulary": True},
    )


#: Said beside free text that is not sealed as personal data (field metadata `caution`).
NOT_PERSONAL = "Do not enter names or anything else that identifies a person."


def at_most(label: str, limit: int) -> validate.Length:
    """A maximum length whose message names the field, as forms, the API and import show it."""
    return validate.Length(max=limit, error=f"{label} must be {limit:,} characters or fewer")


def _text(label: str, *, required: bool, hint: str = "", personal: bool = False,
          limit: int = SHORT_TEXT) -> fields.Field:
    checks = [validate.Length(min=1), at_most(label, limit)]
    # Text that is not personal by design is stored unsealed and read by figures: forms say so.
    caution = "" if personal else NOT_PERSONAL
    return fields.String(
        required=required,
        validate=checks,
        metadata={"label": label, "hint": hint, "personal": personal, "caution": caution},
    )


def _count(label: str, *, required: bool, hint: str = "") -> fields.Field:
    return fields.Integer(
        required=required,
        strict=True,
        validate=validate.Range(min=0, max=1_000_000),
        metadata={"label": label, "hint": hint},
    )


class EventData(Schema):
    """Base for event data: unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE

    #: What a form calls the event's `occurred_at`, in its messages ("Date of the referral
    #: cannot be in the future"); types sharing a schema keep these neutral words.
    occurred_label: ClassVar[str] = "Date the event happened"


class ReferralReceived(EventData):
    occurred_label = "Date of the referral"
    subject = _text(
        "Subject reference",
        required=False,
        hint="A pseudonymous reference for the person, never their name",
        personal=True,
    )
    source = _vocabulary(SOURCES, "Referred by", required=False)
    risk = _choice(RISKS, "Risk level", required=False)
    gender = _choice(GENDERS, "Gender", required=False)
    age_band = _choice(AGE_BANDS, "Age band", required=False)
    category = _text("Category", required=False, hint="For example neighbour, family")


class NoticeIssued(EventData):
    occurred_label = "Date the notice was issued"
    notice = _vocabulary(NOTICES, "Notice", required=True)


class ApplicationReceived(EventData):
    occurred_label = "Date the application was received"
    applicant = _choice(APPLICANTS, "Applicant", required=False)


class ThresholdDecided(EventData):
    occurred_label = "Date of the threshold decision"
    met = fields.Boolean(
        required=True,
        truthy={True},
        falsy={False},
        metadata={"label": "Threshold met", "choices": {"true": "Yes", "false": "No"}},
    )


class PanelHeld(EventData):
    occurred_label = "Date of the panel"
    panel = _vocabulary(PANELS, "Panel", required=True)
    cases = fields.List(
        fields.String(validate=[validate.Length(min=1), at_most("Each case reference", 64)]),
        required=False,
        validate=validate.Length(max=200, error="List at most 200 cases discussed"),
        metadata={"label": "Cases discussed", "hint": "Case references, one per line"},
    )
    recommendations = _count("Recommendations made", required=False)


class CaseClosed(EventData):
    occurred_label = "Date the case was closed"
    outcome = _text("Outcome", required=False, personal=True, limit=LONG_TEXT)


class CaseAssigned(EventData):
    occurred_label = "Date the case was assigned"
    officer = fields.String(
        required=True,
        validate=[validate.Length(min=1, error="Officer cannot be blank"), at_most("Officer", 128)],
        metadata={"label": "Officer", "hint": "The casebook user name of whoever now owns the case"},
    )


class ComplianceChecked(EventData):
    occurred_label = "Date of the check"
    notice = _choice(CHECKED_NOTICES, "Notice checked", required=True,
                     hint="A warning's compliance check, or a notice's review")
    complied = fields.Boolean(
        required=True,
        truthy={True},
        falsy={False},
        metadata={"label": "Complied", "choices": {"true": "Yes", "false": "No"}},
    )
    notes = _text("Notes", required=False, personal=True, limit=LONG_TEXT)


class NoData(EventData):
    """Types with no data fields."""


class ProgrammeDelivered(EventData):
    occurred_label = "Date the course was delivered"
    run = _text("Course run", required=True, hint="For example 'Tonbridge, spring 2025'")
    attendees = _count("Attendees", required=True)
    location = _text("Location", required=False)


class EngagementRecorded(EventData):
    occurred_label = "Date of the engagement"
    kind = _vocabulary(ENGAGEMENTS, "Kind of engagement", required=True)
    people = _count("People engaged", required=True)
    location = _text("Location", required=False)


class IncidentReported(EventData):
    occurred_label = "Date of the incident"
    category = _text("Category", required=True, hint="For example flytipping")
    location = _text("Location", required=True)


class DeploymentMade(EventData):
    occurred_label = "Date of the deployment"
    asset = _text("Asset", required=True, hint="For example camera 3")
    location = _text("Location", required=True)


class MemberChanged(EventData):
    member = _text("Member", required=True, hint="The business or site")


class ReturnSubmitted(EventData):
    occurred_label = "Date the return was submitted"
    indicator = _text("Indicator", required=True, hint="For example people-supported")
    quarter = fields.String(
        required=True,
        validate=at_most("Quarter reported on", 20),
        metadata={"label": "Quarter reported on", "hint": "For example 2024/25 Q3"},
    )
    value = _count("Value", required=True)

    @validates("quarter")
    def _quarter_is_financial(self, value: str, **_: Any) -> None:
        try:
            Quarter.parse(value)
        except BadPeriod as error:
            raise ValidationError(str(error)) from error


class EventVoided(EventData):
    target = fields.String(
        required=True,
        validate=validate.Regexp(_UUID, flags=re.IGNORECASE, error="Not a valid event id."),
        metadata={"label": "Event voided", "hint": "The id of the event"},
    )
    reason = fields.String(
        required=True,
        validate=[validate.Regexp(r"\S", error="Give a reason."), at_most("Reason", LONG_TEXT)],
        metadata={"label": "Reason", "personal": True},
    )

    @post_load
    def _target_as_stored(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Ids are stored in lower case, so a target written in capitals must be found as well.
        return {**data, "target": data["target"].lower()}


class SubjectErased(EventData):
    """The subject's key was destroyed: only its random id is recorded, never the reference."""

    key = fields.String(
        required=True,
        validate=validate.Regexp(_UUID, flags=re.IGNORECASE, error="Not a valid key id."),
        metadata={"label": "Subject key erased"},
    )
