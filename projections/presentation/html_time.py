"""Moments as the `datetime` attribute of an HTML `<time>` element.

HTML accepts at most three digits of a second's fraction, and nobody reading a case history needs
them: a stored moment carries microseconds, so it is written here to the second, in UTC, like
2024-05-03T14:05:00Z. The words beside it come from `text.local_time`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def html_datetime(moment: datetime | date | str) -> str:
    """A moment (or its ISO text) as UTC to the second, like 2024-05-03T14:05:00Z; a day as 2024-05-03.

    A moment without a zone is taken as UTC, the zone moments are stored in.
    """
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
