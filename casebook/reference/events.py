"""The event types page: every type, its case policy and versions, and its data fields from its schema."""

from __future__ import annotations

from collections.abc import Iterator

from marshmallow import fields, validate

from casebook.reference.markdown import code, header, table
from events import schemas
from events.types import EVENT_TYPES, CasePolicy, EventType

#: What each type records and the rules it is checked against (events/rules.py), in words.
ABOUT = {
    "referral.received": "A complaint, a referral or a new client. Repeat referrals are found through "
                         "`subject`.",
    "notice.issued": "A notice, warning or order. A `cpn` needs a `cpw` in the same case that happened no "
                     "later and is not voided (the law requires a written warning first); a `cpn-fpn` needs "
                     "a `cpn` in the same case in the same way.",
    "application.received": "An ASB Case Review application (formerly the Community Trigger).",
    "threshold.decided": "Whether an ASB Case Review application meets the threshold. Needs an "
                         "`application.received` in the same case that happened no later and is not voided; "
                         "one decision per application (void a wrong decision to correct it).",
    "panel.held": "A meeting of a panel or group.",
    "case.closed": "The case is closed while this is its latest event that is not voided: a later event "
                   "reopens it.",
    "case.assigned": "Makes `officer` (a casebook user name) the case's owner while it is the case's latest "
                     "`case.assigned` that is not voided. The officer must be an active user. Logged in every "
                     "scheme that has cases.",
    "compliance.checked": "A CPW's compliance check (`notice` `cpw`) or a CPN's review (`notice` `cpn`). Needs a "
                          "`notice.issued` of that notice in the same case that happened no later and is not "
                          "voided. Logged in every scheme that issues notices.",
    "participant.enrolled": "Someone starts on a programme (as counted by `active` figures).",
    "participant.left": "Someone leaves a programme.",
    "programme.delivered": "One run of a course: a course of several weeks counts once.",
    "engagement.recorded": "Outreach and awareness work.",
    "incident.reported": "An incident, such as an enforcement patrol's report or flytipping.",
    "deployment.made": "An asset put in place, such as a mobile CCTV camera.",
    "member.joined": "A business or site joins a scheme (Safer Towns members, Safer Spaces sites).",
    "member.left": "A business or site leaves a scheme.",
    "return.submitted": "A partner's figure for the quarter named in `quarter` (a financial quarter like "
                        "`2024/25 Q3`), not the quarter it was sent in. Of several returns for the same scheme, "
                        "indicator and quarter, the one stored last counts.",
    "event.voided": "Corrects a mistake: the target then counts nowhere. The target must be an event of the "
                    "same scheme, not voided already and not itself a void. Staff void from the event's page.",
    "subject.erased": "Recorded by `casebook erase` and by retention when a subject's or a case's key is "
                      "destroyed: it holds only the key's random id.",
}

_TYPE_NAMES = {fields.String: "text", fields.Integer: "integer", fields.Boolean: "true or false",
               fields.List: "list"}
_PATTERNS = {schemas._UUID: "a UUID", r"\S": "not blank"}


def _case(event_type: EventType) -> str:
    """Whether an event of this type names a case."""
    if event_type.case is CasePolicy.BY_NOTICE:
        notices = ", ".join(code(notice) for notice in schemas.NOTICES if notice in schemas.NOTICES_NEEDING_A_CASE)
        return f"required for the notices {notices}; optional for the others"
    return {CasePolicy.REQUIRED: "required", CasePolicy.OPTIONAL: "optional",
            CasePolicy.NONE: "none: the event belongs to no case"}[event_type.case]


def type_name(field: fields.Field) -> str:
    """The JSON type a field takes, in words."""
    name = next((text for kind, text in _TYPE_NAMES.items() if isinstance(field, kind)), type(field).__name__)
    if isinstance(field, fields.List):
        return f"list of {type_name(field.inner)}"
    return name


def _checks(field: fields.Field) -> Iterator[str]:
    """Each limit of a field's validators, in words."""
    lengths = [v for v in field.validators if isinstance(v, validate.Length)]
    low = max((v.min for v in lengths if v.min is not None), default=None)
    high = min((v.max for v in lengths if v.max is not None), default=None)
    unit = "items" if isinstance(field, fields.List) else "characters"
    if high is not None:
        yield f"{low or 0} to {high:,} {unit}" if low else f"at most {high:,} {unit}"
    elif low:
        yield f"at least {low} {unit}"
    for check in field.validators:
        if isinstance(check, validate.Range):
            bounds = [f"at least {check.min:,}" if check.min is not None else "",
                      f"at most {check.max:,}" if check.max is not None else ""]
            yield f"{check.min:,} to {check.max:,}" if all(bounds) else "".join(bounds)
        elif isinstance(check, validate.Regexp):
            pattern = str(check.regex.pattern)
            yield _PATTERNS.get(pattern, f"matching {code(pattern)}")


def allowed(field: fields.Field) -> str:
    """The values a field accepts: its choices with their labels, or its limits."""
    choices = field.metadata.get("choices")
    if choices:
        listed = ", ".join(f"{code(value)} ({label})" for value, label in choices.items())
        if field.metadata.get("vocabulary"):
            listed += ", and any value the plan adds ([the plan](plan.md))"
        return listed
    found = list(_checks(field))
    if isinstance(field, fields.List):
        found += [f"each {check}" for check in _checks(field.inner)]
    return "; ".join(found)


def describe(field: fields.Field) -> str:
    """A field's label and hint, and whether it is sealed as personal data."""
    parts = [field.metadata.get("label", ""), field.metadata.get("hint", "")]
    if field.metadata.get("personal"):
        parts.append("Personal: stored encrypted, erased with its key.")
    elif field.metadata.get("caution"):
        parts.append("Stored as typed: no names.")
    return ". ".join(part.rstrip(".") for part in parts if part) + ("." if any(parts) else "")


def _section(event_type: EventType) -> str:
    """One type's section: what it is, its case, versions and fields."""
    lines = [f"## {code(event_type.name)}: {event_type.title}", "", ABOUT[event_type.name], "",
             f"- Case: {_case(event_type)}.",
             f"- Schema version: {event_type.version}."
             + "".join(f" Data stored as version {n} is read as version {n + 1}: {upcaster.__doc__}"
                       for n, upcaster in sorted(event_type.upcasters.items())),
             f"- Logged in the web form: {'yes' if event_type.loggable else 'no'}.", ""]
    declared = event_type.schema().fields
    if not declared:
        return "\n".join(lines + ["No data fields: `data` is `{}`.", ""])
    rows = [(code(name), type_name(field), "yes" if field.required else "no", allowed(field), describe(field))
            for name, field in declared.items()]
    return "\n".join(lines) + "\n" + table(("field", "type", "required", "allowed values", "description"), rows)


def page() -> str:
    """The whole event types page."""
    undescribed = sorted(set(EVENT_TYPES) - set(ABOUT))
    if undescribed:
        raise LookupError(f"describe the event types {undescribed} in casebook/reference/events.py (ABOUT)")
    intro = ("Every event carries the fields of [the interchange format](interchange.md) and a `data` object "
             "whose fields depend on its type, as below. A field not listed is refused, and so is a value of the "
             "wrong type, out of range or not among the allowed values, with a message naming the field "
             "(`data.risk`). The same schema checks the web form, the JSON API and `casebook import`.\n")
    sections = [_section(event_type) for event_type in EVENT_TYPES.values()]
    sources = ["events/types.py", "events/schemas.py", "casebook/reference/events.py"]
    return "\n".join([header("Event types", sources), intro, *sections])
