"""Appending events from the pages: one place that turns store refusals into form messages."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from casebook.database import engine
from casebook.settings import time_limits
from events.db import writing
from events.interchange import InvalidEvent, parse_event
from events.model import StoredEvent
from events.rules import RuleBroken
from events.store import ConcurrencyConflict, EventsRefused, append, get_event
from projections.rebuild import project


@dataclass
class Outcome:
    """What happened to an event sent from a page: stored, refused (with reasons) or in conflict."""

    stored: StoredEvent | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: ConcurrencyConflict | None = None


def record(line: Mapping[str, Any], *, user: str,
           expected_versions: Mapping[str, int] | None = None,
           visible_schemes: AbstractSet[str] | None = None) -> Outcome:
    """Validate and append one interchange event for `user`; never raises for a user's mistake.

    `visible_schemes` are the schemes `user` may read (None: all): see `events.store.append`.
    """
    try:
        event = parse_event(dict(line), default_recorded_by=user, limits=time_limits())
    except InvalidEvent as invalid:
        return Outcome(errors=invalid.errors)
    try:
        with writing(engine()) as connection:
            report = append(connection, [event], project=project,
                            expected_versions=dict(expected_versions or {}),
                            visible_schemes=visible_schemes)
    except ConcurrencyConflict as conflict:
        return Outcome(conflict=conflict)
    except EventsRefused as refused:
        errors: dict[str, list[str]] = {}
        for error in refused.errors:
            errors.setdefault(error.field, []).append(error.message)
        return Outcome(errors=errors)
    except RuleBroken as broken:
        return Outcome(errors={broken.field: [broken.message]})
    if report.stored:
        return Outcome(stored=report.stored[0])
    # The same form sent twice (a double click) carries the same event id: show the first.
    with writing(engine()) as connection:
        return Outcome(stored=get_event(connection, event.event_id))
