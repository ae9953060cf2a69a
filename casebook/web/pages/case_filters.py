"""The cases list's filters as the page's query sends them, and the addresses of its pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from casebook.services.case_list import (
    DUES,
    NEWEST,
    OLDEST,
    OWNERS,
    STATUSES,
    CaseFilter,
    Cursor,
)

#: Where a cursor's time ends and its reference begins (an ISO time never holds one).
_SEPARATOR = "~"


@dataclass(frozen=True)
class ListRequest:
    """The list asked for: its filters, its order and where its page begins or ends."""

    chosen: CaseFilter
    order: str
    after: Cursor | None
    before: Cursor | None


def plain_list(chosen: CaseFilter, owner: str) -> bool:
    """Whether these are the open cases of `owner` ("me", "anyone") with nothing else chosen."""
    return (chosen.owner == owner and chosen.status == "open" and chosen.due == "any"
            and not (chosen.schemes or chosen.text or chosen.subject))


def _one_of(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    # Nonsense in an address falls back to the default rather than failing the page.
    return value if value in allowed else default


def parse_request(values: MultiDict[str, str]) -> ListRequest:
    """The list a query (or a posted subject search) asks for; unknown values read as defaults.

    A search shows cases of any status unless a status is chosen: the case looked for may be
    closed.
    """
    text = values.get("q", "").strip()
    subject = values.get("subject", "").strip()
    default_status = "any" if text or subject else "open"
    chosen = CaseFilter(
        schemes=frozenset(s for s in values.getlist("scheme") if s),
        status=_one_of(values.get("status"), STATUSES, default_status),
        owner=_one_of(values.get("owner"), OWNERS, "anyone"),
        due=_one_of(values.get("due"), DUES, "any"),
        text=text,
        subject=subject,
    )
    return ListRequest(chosen, _one_of(values.get("order"), (NEWEST, OLDEST), NEWEST),
                       _cursor(values.get("after")), _cursor(values.get("before")))


def _cursor(raw: str | None) -> Cursor | None:
    if not raw or _SEPARATOR not in raw:
        return None
    moment, _, ref = raw.partition(_SEPARATOR)
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return Cursor(parsed, ref) if parsed.tzinfo is not None and ref else None


def cursor_text(cursor: Cursor) -> str:
    """A cursor as the page's address carries it."""
    return f"{cursor.last_occurred_at.isoformat()}{_SEPARATOR}{cursor.case_ref}"


def filter_args(chosen: CaseFilter, order: str) -> dict[str, Any]:
    """The query that asks for these filters again (the subject is never put in an address)."""
    args: dict[str, Any] = {"scheme": sorted(chosen.schemes), "status": chosen.status,
                            "owner": chosen.owner, "due": chosen.due, "order": order}
    if chosen.text:
        args["q"] = chosen.text
    return {name: value for name, value in args.items() if value}


def list_url(chosen: CaseFilter, order: str, **extra: Any) -> str:
    """The list's address with these filters, `order` and any paging argument."""
    return url_for("cases.search", **filter_args(chosen, order), **extra)


def paging_urls(chosen: CaseFilter, order: str, next_after: Cursor | None,
                previous_before: Cursor | None) -> Mapping[str, str | None]:
    """The addresses of the next and the previous page, where there are such pages."""
    return {
        "next": list_url(chosen, order, after=cursor_text(next_after)) if next_after else None,
        "previous": (list_url(chosen, order, before=cursor_text(previous_before))
                     if previous_before else None),
    }
