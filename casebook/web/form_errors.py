"""What is wrong with a submitted event form, said the GOV.UK way and linked to the input at fault.

The schemas, the interchange format and the store say what is wrong in words for machines
(`data.outcome: Longer than maximum length 2000.`), since the API and the import show them as they
are. A person reads them here: each names its field by the label its schema gives it, a scheme by
its name, and links to the very input that is wrong (the month of a date, the time box).
"""

from __future__ import annotations

from collections.abc import Mapping

from casebook.web.forms import EventForm, FormField, Submission
from events.interchange import TimeLimits
from events.quarters import parse_occurred_at

#: The date and time inputs, in the order they appear on the page.
DATE_INPUTS = ("occurred-day", "occurred-month", "occurred-year", "occurred-time")
_FUTURE = "Cannot be in the future"


def field_id(error_key: str) -> str:
    """The id of the input an interchange error key (like `data.cases.0`) belongs to."""
    if error_key == "occurred_at":
        return "occurred-day"
    if error_key.startswith("data."):
        return "data-" + error_key.split(".")[1]
    return error_key


def _lower(label: str) -> str:
    return label[0].lower() + label[1:]


def _named_schemes(message: str, scheme_id: str | None, scheme_name: str | None) -> str:
    """The scheme said by its name, never its id."""
    if scheme_id and scheme_name:
        message = message.replace(f"the scheme {scheme_id!r}", scheme_name)
        message = message.replace(repr(scheme_id), scheme_name)
    return message


def _date_message(form: EventForm, message: str) -> str:
    label = form.occurred_label
    if message.startswith("Missing data for required field"):
        return f"Enter the {_lower(label)}"
    if message.startswith(("Must be", "Cannot be")):
        return f"{label} {message[0].lower()}{message[1:].rstrip('.')}"
    return f"{label} must be a real date"


def _case_message(form: EventForm, message: str) -> str:
    if "needs a case reference" in message:
        return "Enter the case reference: this event must belong to a case"
    if "does not belong to a case" in message:
        return f"Leave the case reference empty: ‘{form.event_type.title}’ does not belong to a case"
    if message.startswith("Not a valid case reference"):
        return ("Case reference must start with a letter or number and use only letters, "
                "numbers, hyphens, slashes, full stops or underscores, like ASB-2024-0031")
    return message


def _field_message(form_field: FormField, message: str) -> str:
    label = form_field.label
    lowered = _lower(label)
    if message.startswith(("Missing data for required field", "Field may not be null",
                           "Shorter than minimum length")):
        verb = "Enter" if form_field.kind in ("text", "long-text", "number", "lines") else "Select"
        return f"{verb} {lowered}"
    if message.startswith("Must be one of"):
        return f"Select {lowered} from the list"
    if message.startswith("Not a valid boolean"):
        return f"Select {lowered}"
    if message.startswith("Not a valid integer"):
        return f"{label} must be a whole number, like 12"
    if message.startswith("Must be greater than or equal to") and form_field.maximum is not None:
        return f"{label} must be a number from {form_field.minimum or 0:,} to {form_field.maximum:,}"
    if message.startswith("Longer than maximum length") and form_field.max_length is not None:
        return f"{label} must be {form_field.max_length:,} characters or fewer"
    if label.lower() in message.lower():
        return message.rstrip(".")
    # A rule's own words, said beside the field they are about.
    return f"{label}: {message[0].lower()}{message[1:]}".rstrip(".")


def friendly(form: EventForm, error_key: str, message: str, *, scheme_id: str | None = None,
             scheme_name: str | None = None) -> str:
    """A schema or rule message said the GOV.UK way, naming the field as the form labels it."""
    message = _named_schemes(message, scheme_id, scheme_name)
    if error_key == "occurred_at":
        return _date_message(form, message)
    by_id = {f.input_id: f for f in form.fields}
    form_field = by_id.get(field_id(error_key))
    if form_field is not None:
        return _field_message(form_field, message)
    if error_key == "type" and "does not log" in message:
        return (f"{scheme_name or 'This scheme'} does not log ‘{form.event_type.title}’ in the "
                "partnership’s plan for the year the event happened")
    if error_key == "case":
        return _case_message(form, message)
    return message.rstrip(".")


def submission_errors(form: EventForm, errors: Mapping[str, list[str]], *,
                      scheme_id: str | None = None,
                      scheme_name: str | None = None) -> dict[str, str]:
    """One message per input id, in the order the inputs appear on the page."""
    by_input: dict[str, str] = {}
    for key, messages in errors.items():
        target = field_id(key)
        if target not in by_input and messages:
            by_input[target] = friendly(form, key, messages[0], scheme_id=scheme_id,
                                        scheme_name=scheme_name)
    order = ["type", "scheme", "case", *DATE_INPUTS, *(f.input_id for f in form.fields)]
    ranked = sorted(by_input.items(),
                    key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return dict(ranked)


def merged_errors(submission: Submission, parsed: Mapping[str, list[str]],
                  limits: TimeLimits) -> dict[str, list[str]]:
    """The form's own date errors with the interchange's: the form's win, being about the very
    input typed; a date in the future only because of its time is the time box's error."""
    errors = dict(parsed)
    if any(key in DATE_INPUTS[:3] for key in submission.errors):
        errors.pop("occurred_at", None)
    occurred = submission.line.get("occurred_at", "")
    future = errors.get("occurred_at", [""])[0].startswith(_FUTURE)
    if future and "T" in occurred and limits.problem(parse_occurred_at(occurred[:10])) is None:
        errors.pop("occurred_at")
        errors["occurred-time"] = ["Time cannot be in the future: check the time"]
    errors.update(submission.errors)
    return errors
