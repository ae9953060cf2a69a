"""The time as the pages see it: the clock, unless the app's config fixes it.

Pages that depend on today (what is in progress, what is due) read it here, so a test can fix
"now" with `app.config["FROZEN_NOW"]` (an aware datetime) instead of waiting for a date.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from events.clock import utc_now
from events.quarters import local_date


def now() -> datetime:
    """The current time, aware, in UTC (or the time the app's config fixes)."""
    fixed: datetime | None = current_app.config.get("FROZEN_NOW")
    return fixed if fixed is not None else utc_now()


def today() -> date:
    """Today's Europe/London date."""
    return local_date(now())
