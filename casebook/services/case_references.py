"""Each scheme's case reference prefix, and the next free reference the log form offers.

A prefix ("ASB") starts the scheme's references ("ASB-2026-0042"); the store refuses a new case
whose reference begins with another scheme's prefix and a hyphen (`events.references`). The
next free reference is counted from the scheme's own cases only, so it tells nobody anything of
another scheme's references.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casebook.database import engine
from casebook.models import SchemeChange, writing_session
from casebook.services.accounts import AccountError
from events.db import reading
from events.references import CASE_PREFIX, case_key, prefix_problem
from events.tables import cases, schemes

#: How many digits the number of an offered reference has at least (ASB-2026-0042).
DIGITS = 4


def prefixes(connection: Connection) -> dict[str, str | None]:
    """Every scheme's prefix (None where it has none)."""
    return {row.scheme_id: row.case_prefix
            for row in connection.execute(sa.select(schemes.c.scheme_id, schemes.c.case_prefix))}


def next_free_reference(connection: Connection, scheme_id: str, year: int) -> str | None:
    """The scheme's next reference for `year`: its prefix, the year, and one more than the
    highest number its own cases of that year have; None for a scheme without a prefix."""
    prefix = prefixes(connection).get(scheme_id)
    if not prefix:
        return None
    start = f"{prefix}-{year}-"
    numbered = re.compile(re.escape(start) + r"(\d+)")
    used = connection.execute(
        sa.select(cases.c.case_ref)
        .where(cases.c.scheme == scheme_id, cases.c.case_ref.startswith(start, autoescape=True))
    ).scalars()
    highest = max((int(m.group(1)) for ref in used if (m := numbered.fullmatch(ref))), default=0)
    return f"{start}{highest + 1:0{DIGITS}d}"


def reference_problem(connection: Connection, case_ref: str, scheme_id: str) -> str | None:
    """What the store would say of a new case's reference for its prefix alone, or None: the
    log form says it before asking to confirm a new case."""
    return prefix_problem(case_ref, scheme_id, prefixes(connection))


def check_prefix(scheme_id: str, prefix: str) -> str:
    """A prefix as it is kept (capitals; "" for none); `AccountError` on "case_prefix" if it
    is not capitals and digits or is another scheme's already."""
    cleaned = case_key(prefix.strip())
    if not cleaned:
        return ""
    if not CASE_PREFIX.match(cleaned):
        raise AccountError("case_prefix", "Case reference prefix must be a letter followed by up "
                                          "to 15 letters or digits, like ASB.")
    with reading(engine()) as connection:
        taken = {p: s for s, p in prefixes(connection).items() if p and s != scheme_id}
    if cleaned in taken:
        raise AccountError("case_prefix", f"Case reference prefix {cleaned} is already the "
                                          "prefix of another scheme.")
    return cleaned


def set_prefix(scheme_id: str, prefix: str, changed_by: str) -> bool:
    """Set a scheme's prefix (checked by `check_prefix`), keeping the change in its history;
    whether it changed."""
    cleaned = check_prefix(scheme_id, prefix) or None
    with writing_session() as db:
        old = db.execute(sa.select(schemes.c.case_prefix)
                         .where(schemes.c.scheme_id == scheme_id)).scalar()
        if old == cleaned:
            return False
        db.execute(sa.update(schemes).where(schemes.c.scheme_id == scheme_id)
                   .values(case_prefix=cleaned))
        db.add(SchemeChange(scheme_id=scheme_id, changed_by=changed_by, field="case_prefix",
                            old=old, new=cleaned))
    return True


def scheme_prefix(scheme_id: str) -> str:
    """A scheme's prefix for its admin form ("" for none)."""
    with reading(engine()) as connection:
        return prefixes(connection).get(scheme_id) or ""
