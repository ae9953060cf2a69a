"""The access log: who read or exported what, and when (shown to administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.clock import utc_now
from events.tables import UTCDateTime

access_log = sa.Table(
    "access_log",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("address", sa.String(64)),
)


def log_access(connection: Connection, username: str, action: str, target: str,
               address: str | None = None) -> None:
    """Add one entry to the access log, in the caller's transaction."""
    connection.execute(sa.insert(access_log).values(
        at=utc_now(), username=username[:128], action=action[:32], target=target[:500],
        address=address,
    ))
