"""The partner-returns reminder: one message per partner, per quarter, naming their missing returns.

Each partner hears only of their own schemes' returns (a scheme they are not assigned to is
never named to them). The message's key is the quarter and the username, so running the job
again queues nothing new, and a partner assigned later still gets theirs on the next run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casebook.models import User, UserScheme
from casebook.roles import PARTNER
from casebook.services.messages import queue
from events.db import writing
from events.quarters import Quarter

#: The kind of the message, shown on Admin → Messages.
RETURNS_REMINDER = "returns-reminder"
#: The day of the following quarter by which a quarter's returns are due.
RETURNS_DUE_DAY = 7


def reminder_key(quarter: Quarter, username: str) -> str:
    """What makes one reminder: the quarter and the partner."""
    return f"{RETURNS_REMINDER}/{quarter}/{username}"


def queue_returns_reminders(engine: Engine, quarter: Quarter, missing: list[dict[str, Any]],
                            now: datetime) -> list[str]:
    """Queue the quarter's reminder to each active partner of a scheme with a missing return;
    the usernames newly queued."""
    by_scheme: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in missing:
        by_scheme[entry["scheme"]].append(entry)
    if not by_scheme:
        return []
    queued = []
    with writing(engine) as connection:
        rows = connection.execute(
            sa.select(User.username, UserScheme.scheme_id)
            .join(UserScheme, UserScheme.user_id == User.id)
            .where(User.role == PARTNER, User.active.is_(True),
                   UserScheme.scheme_id.in_(sorted(by_scheme)))
            .order_by(User.username, UserScheme.scheme_id)
        ).all()
        theirs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for username, scheme_id in rows:
            theirs[username].extend(by_scheme[scheme_id])
        for username, entries in theirs.items():
            if queue(connection, key=reminder_key(quarter, username), kind=RETURNS_REMINDER,
                     recipient=username, subject=f"Partner returns missing for {quarter}",
                     body=reminder_body(username, quarter, entries), now=now):
                queued.append(username)
    return queued


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def returns_due_on(quarter: Quarter) -> date:
    """The day by which a quarter's partner returns are due."""
    return quarter.next().first_day.replace(day=RETURNS_DUE_DAY)


def reminder_body(username: str, quarter: Quarter, entries: list[dict[str, Any]]) -> str:
    """The reminder's text: the partner's missing returns, when they were due, how to log them."""
    due = returns_due_on(quarter)
    lines = [
        f"Hello {username},",
        "",
        f"casebook has no return yet for {quarter} ({_day(quarter.first_day)} to "
        f"{_day(quarter.last_day)}) for:",
        "",
        *(f"- {e['scheme_name']}: {e['indicator']} ({e['label']})" for e in entries),
        "",
        f"Returns for the quarter were due by {_day(due)}. To send one, sign in to casebook, "
        f"choose Submit a return, then the return, the quarter {quarter} and the value.",
        "",
        "This reminder is sent once for each quarter.",
    ]
    return "\n".join(lines) + "\n"
