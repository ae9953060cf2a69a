"""The log form's question before an event reopens a closed case ("This case is closed: logging
this event reopens it"): nothing is stored until the user confirms. The API and import ask
nothing: a program knows what it sends."""

from __future__ import annotations

from flask_login import current_user

from casebook.database import engine
from casebook.services.case_owners import case_state
from casebook.web.auth import can_read_events
from events.db import reading
from events.model import NewEvent
from events.references import case_key

#: The form's hidden field holding the closed case's reference once the user has confirmed.
CONFIRMED = "reopen"


def reopen_step(event: NewEvent, confirmed: str) -> str | None:
    """The reference of the closed case `event` would reopen, to confirm; None to go on."""
    if event.case_ref is None:
        return None
    with reading(engine()) as connection:
        state = case_state(connection, event.case_ref)
    # Another scheme's case, or one the user cannot read, is the store's to refuse: no warning
    # may tell that it exists, or is closed.
    if state is None or state.scheme != event.scheme or not can_read_events(current_user, state.scheme):
        return None
    if not state.reopened_by(event) or case_key(confirmed.strip()) == state.case_ref:
        return None
    return state.case_ref
