"""Times and dates as people in the borough read them (Europe/London), for pages and files alike."""

from __future__ import annotations

from datetime import datetime

from events.quarters import LONDON


def london(moment: datetime) -> str:
    """A stored time as people in the borough read it: 3 May 2024, 14:05 (Europe/London)."""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y, %H:%M}"
