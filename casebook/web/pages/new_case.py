"""The log form's case reference: the next free reference it offers, and the question it asks
before an event opens a new case ("This opens a new case: ASB-2026-0042. Continue?").

A typo in a reference would otherwise open a case silently. The question is asked of every
reference the user cannot see a case for, so it is asked alike of one nobody has used and of
one another scheme uses (which the store then refuses, as before): it tells nothing of the
other scheme. A reference with another scheme's prefix is refused before it is asked.
"""

from __future__ import annotations

from flask_login import current_user

from casebook.database import engine
from casebook.services import reads
from casebook.services.case_references import next_free_reference, reference_problem
from casebook.web import clock
from casebook.web.auth import can_read_events
from events.db import reading
from events.model import NewEvent
from events.references import case_key

#: The form's hidden field holding the new case's reference once the user has confirmed it.
CONFIRMED = "new_case"


def offered_reference(scheme_id: str) -> str | None:
    """The scheme's next free reference this year (None for a scheme without a prefix)."""
    with reading(engine()) as connection:
        return next_free_reference(connection, scheme_id, clock.today().year)


def new_case_step(event: NewEvent, confirmed: str) -> tuple[dict[str, list[str]], str | None]:
    """What to ask before storing `event`: errors (a reference with another scheme's prefix),
    or the new case's reference to confirm, or neither (go on and store it)."""
    if event.case_ref is None:
        return {}, None
    with reading(engine()) as connection:
        case = reads.find_case(connection, event.case_ref)
        visible = case is not None and can_read_events(current_user, case.scheme)
        if visible and case is not None and case.scheme == event.scheme:
            return {}, None
        problem = reference_problem(connection, event.case_ref, event.scheme)
    if problem is not None:
        return {"case": [problem]}, None
    if visible or case_key(confirmed.strip()) == event.case_ref:
        return {}, None
    return {}, event.case_ref
