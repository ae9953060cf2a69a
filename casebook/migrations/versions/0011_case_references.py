"""Case references that behave: each scheme's reference prefix; references case-insensitive.

Adds `schemes.case_prefix`, filled for the default schemes from `events/schemes.toml`; an index
on upper(case_ref), by which a case's events are found whatever the case they were written in;
and re-keys the case index (`cases`, derived from the log, never the log itself) in capitals,
merging the rows of references that differ only by case ("asb-1" and "ASB-1" are one case,
of the scheme of its first event). The log's events keep their references as stored.

Revision ID: 0011
Revises: 0010
"""

import tomllib
from importlib import resources

import sqlalchemy as sa
from alembic import op

from events.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_schemes = sa.table("schemes", sa.column("scheme_id", sa.String), sa.column("case_prefix", sa.String))
_cases = sa.table(
    "cases",
    sa.column("case_ref", sa.String),
    sa.column("scheme", sa.String),
    sa.column("version", sa.Integer),
    sa.column("opened_on", sa.Date),
    sa.column("last_occurred_at", UTCDateTime),
)
_events = sa.table("events", sa.column("position", sa.Integer), sa.column("case_ref", sa.String))


def upgrade() -> None:
    op.add_column("schemes", sa.Column("case_prefix", sa.String(16)))
    connection = op.get_bind()
    text = resources.files("events").joinpath("schemes.toml").read_text("utf-8")
    for scheme in tomllib.loads(text)["scheme"]:
        if scheme.get("case_prefix"):
            connection.execute(
                sa.update(_schemes)
                .where(_schemes.c.scheme_id == scheme["id"], _schemes.c.case_prefix.is_(None))
                .values(case_prefix=scheme["case_prefix"])
            )
    op.create_index("ix_events_case_ref_upper", "events", [sa.text("upper(case_ref)")])
    _cases_in_capitals(connection)


def _cases_in_capitals(connection: sa.Connection) -> None:
    """Re-key every case row not in capitals, merged with any that differs only by case."""
    keys = set(connection.execute(
        sa.select(sa.func.upper(_cases.c.case_ref))
        .where(_cases.c.case_ref != sa.func.upper(_cases.c.case_ref))
    ).scalars())
    for key in sorted(keys):
        rows = connection.execute(
            sa.select(_cases).where(sa.func.upper(_cases.c.case_ref) == key)
        ).all()
        first = dict(connection.execute(
            sa.select(_events.c.case_ref, sa.func.min(_events.c.position))
            .where(_events.c.case_ref.in_([r.case_ref for r in rows]))
            .group_by(_events.c.case_ref)
        ).all())
        # The scheme of the case's first event: the one whose rules its later events met.
        # (A row without events, which the store never writes, comes last.)
        earliest = min(rows, key=lambda r: (r.case_ref not in first, first.get(r.case_ref, 0),
                                            r.case_ref))
        connection.execute(sa.delete(_cases).where(sa.func.upper(_cases.c.case_ref) == key))
        connection.execute(sa.insert(_cases).values(
            case_ref=key,
            scheme=earliest.scheme,
            version=sum(r.version for r in rows),
            opened_on=min(r.opened_on for r in rows),
            last_occurred_at=max(r.last_occurred_at for r in rows),
        ))


def downgrade() -> None:
    # The case index stays in capitals: it is derived, and its cases are still the log's.
    op.drop_index("ix_events_case_ref_upper", table_name="events")
    with op.batch_alter_table("schemes") as batch:
        batch.drop_column("case_prefix")
