"""The daily digest: to each person who owns cases, what is due or overdue on them this week.

Everything in it is read from the casework read models (`case_due`, `case_index`), so it says
what the case pages say. A person hears only of cases of schemes they may still read (a partner
moved off a scheme is not told of its cases), and only on days something is due: the message's
key is the day and the username, so running the job twice queues nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casebook.models import User, UserScheme
from casebook.roles import ALL_SCHEMES
from casebook.services.messages import queue
from events.db import writing
from events.quarters import LONDON
from projections.casework_tables import case_due, case_index
from projections.presentation.due import WEEK_DAYS, due_label, due_when, is_overdue
from projections.presentation.text import local_day

#: The kind of the message, shown on Admin → Messages.
DIGEST = "daily-digest"


@dataclass(frozen=True)
class DigestLine:
    """One thing due on one of the person's cases."""

    case_ref: str
    scheme: str
    kind: str
    due_on: date


def digest_key(day: date, username: str) -> str:
    """What makes one digest: the day and the person."""
    return f"{DIGEST}/{day.isoformat()}/{username}"


def due_for_owners(connection: Connection, today: date) -> dict[str, list[DigestLine]]:
    """What is due by the end of this week (or overdue) on open cases, by owner, soonest first,
    each limited to the schemes its owner may read."""
    until = today + timedelta(days=WEEK_DAYS - 1)
    rows = connection.execute(
        sa.select(case_index.c.owner, case_due.c.case_ref, case_due.c.scheme, case_due.c.kind,
                  case_due.c.due_on)
        .join(case_index, case_index.c.case_ref == case_due.c.case_ref)
        .where(case_index.c.owner.is_not(None), case_index.c.status == "open",
               case_due.c.due_on <= until)
        .order_by(case_index.c.owner, case_due.c.due_on, case_due.c.case_ref, case_due.c.kind)
    ).all()
    readable = _readable_schemes(connection, sorted({row.owner for row in rows}))
    found: dict[str, list[DigestLine]] = defaultdict(list)
    for row in rows:
        schemes = readable.get(row.owner, frozenset())
        if "*" in schemes or row.scheme in schemes:
            found[row.owner].append(DigestLine(row.case_ref, row.scheme, row.kind, row.due_on))
    return dict(found)


def _readable_schemes(connection: Connection, usernames: list[str]) -> dict[str, frozenset[str]]:
    """Each active user's schemes ("*" for every scheme); inactive and unknown users get none."""
    if not usernames:
        return {}
    users = connection.execute(
        sa.select(User.id, User.username, User.role)
        .where(User.username.in_(usernames), User.active.is_(True))
    ).all()
    schemes: dict[int, set[str]] = defaultdict(set)
    for user_id, scheme_id in connection.execute(
        sa.select(UserScheme.user_id, UserScheme.scheme_id)
        .where(UserScheme.user_id.in_([u.id for u in users]))
    ):
        schemes[user_id].add(scheme_id)
    return {u.username: frozenset({"*"} if u.role in ALL_SCHEMES else schemes[u.id])
            for u in users}


def queue_digests(engine: Engine, now: datetime, scheme_names: dict[str, str]) -> list[str]:
    """Queue today's digest (Europe/London) for each owner with something due; the usernames
    newly queued."""
    today = now.astimezone(LONDON).date()
    queued = []
    with writing(engine) as connection:
        for username, lines in due_for_owners(connection, today).items():
            overdue = sum(is_overdue(line.due_on, today) for line in lines)
            subject = f"{_things(len(lines))} due on your cases" + (
                f", {overdue} overdue" if overdue else "")
            if queue(connection, key=digest_key(today, username), kind=DIGEST,
                     recipient=username, subject=subject,
                     body=digest_body(username, today, lines, scheme_names), now=now):
                queued.append(username)
    return queued


def digest_body(username: str, today: date, lines: list[DigestLine],
                scheme_names: dict[str, str]) -> str:
    """The digest's text: each thing due, overdue ones first, with its case and scheme."""
    overdue = [line for line in lines if is_overdue(line.due_on, today)]
    coming = [line for line in lines if not is_overdue(line.due_on, today)]
    text = [f"Hello {username},", "",
            f"This is what is overdue on your cases, or due by "
            f"{local_day(today + timedelta(days=WEEK_DAYS - 1))}:", ""]
    for title, group in (("Overdue", overdue), ("Due this week", coming)):
        if group:
            text += [f"{title}:", *(_line(line, today, scheme_names) for line in group), ""]
    text += ["Sign in to casebook and open Cases, then My cases, to see them. Each item goes "
             "when the event that meets it is logged.", "",
             "You get this message on days something is due on a case you own."]
    return "\n".join(text) + "\n"


def _line(line: DigestLine, today: date, scheme_names: dict[str, str]) -> str:
    scheme = scheme_names.get(line.scheme, line.scheme)
    return f"- {line.case_ref} ({scheme}): {due_label(line.kind)}, {due_when(line.due_on, today)}"


def _things(count: int) -> str:
    return "1 thing" if count == 1 else f"{count} things"
