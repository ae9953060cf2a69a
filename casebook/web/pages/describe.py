"""Events said in plain words: type titles, data fields by their form labels, local times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache

from flask import g, has_app_context

from casebook.database import engine
from casebook.web.forms import Adopted, EventForm, form_for
from events.db import reading
from events.model import StoredEvent
from events.quarters import LONDON
from events.types import EVENT_TYPES
from projections.catalogue import load_plans
from projections.presentation.text import local_day, local_time


def adopted_vocabulary() -> Adopted:
    """Field -> value -> label of every value the plans adopted, read once per request."""
    if not has_app_context():
        return {}
    if "adopted_vocabulary" not in g:
        with reading(engine()) as connection:
            g.adopted_vocabulary = load_plans(connection).vocabulary
    found: Mapping[str, Mapping[str, str]] = g.adopted_vocabulary
    return found


def type_title(type_name: str) -> str:
    """The event type's title, or its name if casebook no longer knows it."""
    known = EVENT_TYPES.get(type_name)
    return known.title if known is not None else type_name


def data_lines(event: StoredEvent) -> list[tuple[str, str]]:
    """(label, value) pairs for the event's data, in the order its form shows them."""
    known = EVENT_TYPES.get(event.type)
    if known is None:
        return [(key, str(value)) for key, value in sorted(event.data.items())]
    pairs = []
    adopted = adopted_vocabulary()
    for form_field in _form(event.type).fields:
        if form_field.name not in event.data:
            continue
        value = event.data[form_field.name]
        choices = dict(form_field.choices)
        if isinstance(value, bool):
            text = choices.get("true" if value else "false", "Yes" if value else "No")
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif form_field.vocabulary and str(value) not in choices:
            text = adopted.get(form_field.name, {}).get(str(value), str(value))
        else:
            text = choices.get(str(value), str(value))
        pairs.append((form_field.label, text))
    return pairs


@cache
def _form(type_name: str) -> EventForm:
    return form_for(EVENT_TYPES[type_name])


def occurred(moment: datetime) -> str:
    """When an event happened: the date alone if it was logged without a time."""
    local = moment.astimezone(LONDON)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return local_day(moment)
    return local_time(moment)
