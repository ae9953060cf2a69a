"""Partner returns still missing for a quarter, and the reminder list recorded once per quarter."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.clock import utc_now
from events.db import writing
from events.quarters import Quarter
from events.tables import UTCDateTime, schemes
from projections.archive import archive_metadata
from projections.catalogue import load_plans
from projections.rebuild import ProjectionsMissing
from projections.tables import current_generation

#: One row per quarter whose reminder list was recorded (by the scheduler or by hand).
return_reminders = sa.Table(
    "return_reminders",
    archive_metadata,
    sa.Column("quarter", sa.String(10), primary_key=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("missing", sa.Text, nullable=False),
)


def missing_returns(connection: Connection, quarter: Quarter) -> list[dict[str, Any]]:
    """Each return-based figure with no (not voided) return for the quarter, with its scheme."""
    current = current_generation(connection)
    if current is None:
        raise ProjectionsMissing("The read models are missing: run `casebook init`.")
    returns = current[0].returns
    plan = load_plans(connection).for_year(quarter.year).plan
    expected = [f for f in plan.figures if f.measure == "latest-return"]
    received = set(
        connection.execute(
            sa.select(returns.c.figure_id)
            .where(returns.c.period == quarter.index)
            .distinct()
        ).scalars()
    )
    names = {row.scheme_id: (row.name, row.lead) for row in connection.execute(sa.select(schemes))}
    return [
        {
            "quarter": str(quarter),
            "figure": figure.id,
            "label": figure.label,
            "scheme": figure.scheme,
            "scheme_name": names.get(figure.scheme, (figure.scheme, ""))[0],
            "lead": names.get(figure.scheme, ("", ""))[1],
            "indicator": figure.argument,
        }
        for figure in expected
        if figure.read_key not in received
    ]


def record_reminder(
    engine: Engine, quarter: Quarter, at: datetime | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """The quarter's missing returns, recorded on the first call only; (list, newly recorded)."""
    try:
        with writing(engine) as connection:
            missing = missing_returns(connection, quarter)
            already = connection.execute(
                sa.select(return_reminders.c.quarter).where(
                    return_reminders.c.quarter == str(quarter)
                )
            ).first()
            if already is not None:
                return missing, False
            connection.execute(sa.insert(return_reminders).values(
                quarter=str(quarter), recorded_at=at or utc_now(),
                missing=json.dumps(missing, ensure_ascii=False),
            ))
            return missing, True
    except sa.exc.IntegrityError:
        return missing, False
