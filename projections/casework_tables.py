"""Casework read models: each case's state (open or closed, its owner) and what is due on it.

Both are derived from the log (`projections.casework`), never typed in: a case's rows are
recomputed from its events whenever one is stored, and `casebook rebuild` recomputes them all.
"""

from __future__ import annotations

import sqlalchemy as sa

from events.tables import UTCDateTime
from projections.tables import state_metadata

#: One row per case: what the cases list and "my cases" read.
case_index = sa.Table(
    "case_index",
    state_metadata,
    #: `events.references.case_key` of the case's reference (capitals).
    sa.Column("case_ref", sa.String(64), primary_key=True),
    sa.Column("scheme", sa.String(64), nullable=False),
    #: "open" or "closed": closed by its latest not-voided `case.closed`, reopened by any later event.
    sa.Column("status", sa.String(8), nullable=False),
    #: The user name of its latest not-voided `case.assigned`; None while nobody owns it.
    sa.Column("owner", sa.String(128)),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("last_occurred_at", UTCDateTime, nullable=False),
    #: Its events that are not voided (voids not counted).
    sa.Column("events", sa.Integer, nullable=False),
    sa.Index("ix_case_index_scheme_status_last", "scheme", "status", "last_occurred_at"),
    sa.Index("ix_case_index_owner_status_last", "owner", "status", "last_occurred_at"),
    sa.Index("ix_case_index_last", "last_occurred_at"),
    sqlite_with_rowid=False,
)

#: What is due on each open case (`projections.due_items`): one row per item not yet met.
case_due = sa.Table(
    "case_due",
    state_metadata,
    sa.Column("case_ref", sa.String(64), primary_key=True),
    #: `projections.due_items.DueKind` value: cpw-compliance, cpn-review, acr-threshold, ...
    sa.Column("kind", sa.String(32), primary_key=True),
    #: The event id that made it due (the CPW, the application, ...); the case's latest event
    #: for "no event for N days".
    sa.Column("because", sa.String(36), primary_key=True),
    sa.Column("scheme", sa.String(64), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Index("ix_case_due_scheme_due", "scheme", "due_on"),
    sa.Index("ix_case_due_due", "due_on"),
    sqlite_with_rowid=False,
)
