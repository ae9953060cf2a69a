"""Who owns a case and who may: the case's row of `case_index`, and the people it may be given to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.models import User, UserScheme
from casebook.roles import ALL_SCHEMES, LOG_EVENTS, SCHEME_LIMITED
from events.model import NewEvent
from events.references import case_key
from events.types import CASE_CLOSED
from projections.casework_tables import case_index


@dataclass(frozen=True)
class CaseState:
    """A case as the casework read model has it: open or closed, and its owner."""

    case_ref: str
    scheme: str
    closed: bool
    owner: str | None
    last_occurred_at: datetime

    def reopened_by(self, event: NewEvent) -> bool:
        """Whether logging `event` in this case reopens it: it is closed and the event, not a
        closure, happens no earlier than its closure (its latest event while it is closed)."""
        return (self.closed and event.type != CASE_CLOSED
                and event.occurred_at >= self.last_occurred_at)


def case_state(connection: Connection, case_ref: str) -> CaseState | None:
    """The case's status and owner, if it has a row (any case of letters: "asb-1" is "ASB-1")."""
    row = connection.execute(
        sa.select(case_index.c.case_ref, case_index.c.scheme, case_index.c.status,
                  case_index.c.owner, case_index.c.last_occurred_at)
        .where(case_index.c.case_ref == case_key(case_ref))
    ).first()
    if row is None:
        return None
    return CaseState(row.case_ref, row.scheme, row.status == "closed", row.owner,
                     row.last_occurred_at)


def assignable_officers(connection: Connection, scheme: str) -> list[str]:
    """The user names of the active users who may log in `scheme`, in order: who a case of
    the scheme may be assigned to from its page."""
    users = User.__table__
    everywhere = users.c.role.in_(sorted(ALL_SCHEMES & LOG_EVENTS))
    in_scheme = sa.and_(users.c.role.in_(sorted(SCHEME_LIMITED & LOG_EVENTS)), sa.exists().where(
        UserScheme.__table__.c.user_id == users.c.id, UserScheme.__table__.c.scheme_id == scheme))
    query = (sa.select(users.c.username).where(users.c.active, sa.or_(everywhere, in_scheme))
             .order_by(users.c.username))
    return list(connection.execute(query).scalars())
