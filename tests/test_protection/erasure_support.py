"""What erasure tests need: events with personal text built from the schemas, and every place a
subject's data could still be read (the export, pages, API, subject export, database bytes)."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient, FlaskCliRunner
from marshmallow import fields, validate
from sqlalchemy.engine import Engine

from events.subjects import personal_fields
from events.types import EVENT_TYPES, SUBJECT_ERASED, VOIDED, CasePolicy
from tests.helpers import event, void

#: Every type staff or files can log, in the order the types are declared (a threshold decision
#: comes after the application it needs).
LOGGABLE = [name for name in EVENT_TYPES if name not in (VOIDED, SUBJECT_ERASED)]
PERSONAL = [name for name in LOGGABLE if personal_fields(name)]


@dataclass
class Plan:
    """Events to log in order, and which of their texts belong to whom."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    #: Free text about the subject to be erased: none of it may be readable afterwards.
    erased_texts: list[str] = field(default_factory=list)
    #: Free text that stays readable after the erasure (another subject's, a shared case's, or
    #: not about a subject at all); still never stored in clear.
    kept_texts: list[str] = field(default_factory=list)

    def add(self, line: dict[str, Any]) -> dict[str, Any]:
        self.lines.append(line)
        return line

    def standing(self) -> list[str]:
        """The ids of the events neither voided nor voids."""
        voided = {line["data"]["target"] for line in self.lines if line["type"] == VOIDED}
        return [line["id"] for line in self.lines
                if line["type"] != VOIDED and line["id"] not in voided]


def filler(name: str, schema_field: fields.Field) -> Any:
    """A valid value for a field that is not personal, read from the field itself."""
    if name == "quarter":
        return "2024/25 Q1"
    if isinstance(schema_field, fields.Boolean):
        return True
    if isinstance(schema_field, fields.Integer):
        return 1
    if isinstance(schema_field, fields.List):
        return []
    if choices := schema_field.metadata.get("choices"):
        return next(iter(choices))
    for validator in schema_field.validators:
        if isinstance(validator, validate.OneOf):
            return next(iter(validator.choices))
    return "plain"


def data_for(type_name: str, subject: str, text: Callable[[str], str]) -> dict[str, Any]:
    """Data for an event of `type_name`: every personal field filled (`subject` for a subject,
    `text(field)` for free text), every other required field given a plain value."""
    data: dict[str, Any] = {}
    for name, schema_field in EVENT_TYPES[type_name].schema._declared_fields.items():
        if schema_field.metadata.get("personal"):
            data[name] = subject if name == "subject" else text(name)
        elif schema_field.required:
            data[name] = filler(name, schema_field)
    return data


def secret(label: str) -> str:
    """A piece of free text unlikely to occur anywhere by chance."""
    return f"{label} zq{uuid.uuid4().hex[:10]}"


def subject_cases(plan: Plan, subject: str, cases: list[str], *, scheme: str = "davss") -> None:
    """The subject alone in each case: every personal type before and after the referral, every
    type voided, the referral itself voided in the last case; all their text is to be erased."""
    day = iter(f"2024-{month:02d}-{d:02d}" for month in range(4, 13) for d in range(1, 29))
    for case in cases:
        # A compliance check (personal: its notes) needs a warning before it in the case.
        voidable: list[dict[str, Any]] = [
            plan.add(event("notice.issued", scheme, next(day), case, notice="cpw"))]
        for order in ("before", "after"):
            if order == "after":
                plan.add(event("referral.received", scheme, next(day), case,
                               **data_for("referral.received", subject, lambda n: "")))
            for type_name in PERSONAL:
                if type_name == "referral.received" or not EVENT_TYPES[type_name].case_allowed:
                    continue
                data = data_for(type_name, subject,
                                texts(plan.erased_texts, f"{type_name} {order} {case}"))
                voidable.append(plan.add(event(type_name, scheme, next(day), case, **data)))
        for type_name in LOGGABLE:
            if EVENT_TYPES[type_name].case_allowed:
                data = data_for(type_name, subject,
                                texts(plan.erased_texts, f"{type_name} to void {case}"))
                voidable.append(plan.add(event(type_name, scheme, next(day), case, **data)))
        # Newest first: an event a later one depends on (an application, its decision) can only
        # be voided once what depends on it is.
        for target in reversed(voidable):
            plan.add(void(target, reason=_texts(plan.erased_texts, f"void {case}"),
                          occurred_at=next(day)))


def unrelated_events(plan: Plan, *, scheme: str = "davss") -> None:
    """Every type that is logged without a case, voided: about no subject, so kept."""
    for type_name in LOGGABLE:
        if EVENT_TYPES[type_name].case is CasePolicy.REQUIRED:
            continue
        data = data_for(type_name, "", texts(plan.kept_texts, type_name))
        if "subject" in data:
            continue
        target = plan.add(event(type_name, scheme, "2024-06-15", **data))
        plan.add(void(target, reason=_texts(plan.kept_texts, f"void {type_name} no case"),
                      occurred_at="2024-06-16"))


def texts(into: list[str], label: str) -> Callable[[str], str]:
    """Makes a new piece of free text per field, kept in `into`."""
    return lambda name: _texts(into, f"{label} {name}")


def _texts(into: list[str], label: str) -> str:
    text = secret(label)
    into.append(text)
    return text


# Where data can be read -------------------------------------------------------------------------


def exported_text(runner: FlaskCliRunner, path: Path) -> str:
    """What `casebook export` writes."""
    result = runner.invoke(args=["casebook", "export", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text()


def page_texts(client: FlaskClient, case_refs: list[str], event_ids: list[str],
               voidable_ids: list[str], figure_ids: list[str]) -> str:
    """Every page showing cases and events (the client is signed in as an admin), unescaped:
    each case, the event log's pages and download, each event, the void form of each event
    still standing, and the drill-down of each figure."""
    shown: list[str] = []

    def get(url: str) -> str:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        text = response.get_data(as_text=True)
        shown.append(html.unescape(text))
        return text

    for case_ref in case_refs:
        get(f"/cases/{case_ref}")
    url: str | None = "/events"
    while url is not None:
        found = re.search(r'href="(/events\?[^"]*before=\d+[^"]*)"', get(url))
        url = html.unescape(found.group(1)) if found else None
    get("/events/events.csv")
    for event_id in event_ids:
        get(f"/events/{event_id}")
    for event_id in voidable_ids:
        get(f"/events/{event_id}/void")
    for figure_id in figure_ids:
        get(f"/dashboard/figures/{figure_id}?year=2024/25")
    return "\n".join(shown)


def api_texts(client: FlaskClient, headers: dict[str, str]) -> str:
    """What the API gives an admin's token: the events and the year's figures."""
    shown = []
    for url in ("/api/events?after=0&limit=1000", "/api/summary?year=2024/25"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        shown.append(json.dumps(response.get_json(), ensure_ascii=False))
    return "\n".join(shown)


def database_bytes(engine: Engine, database_url: str) -> bytes:
    """The database as an attacker holding its files would read it: on SQLite the bytes of the
    file, its write-ahead log and shared memory; on PostgreSQL every row of every table as text."""
    if engine.dialect.name == "sqlite":
        path = Path(sa.make_url(database_url).database or "")
        return b"".join(p.read_bytes() for p in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm")))
                        if p.exists())
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars().all()
        rows = [text for table in tables for text in connection.exec_driver_sql(
            f'SELECT CAST(t AS text) FROM "{table}" t').scalars()]
    return "\n".join(rows).encode()


def key_forms(key: bytes, backend: str) -> list[bytes]:
    """How a key's bytes would show in `database_bytes`."""
    return [key] if backend == "sqlite" else [key.hex().encode()]


def subject_keys(engine: Engine) -> dict[str, bytes | None]:
    """Each key id and its stored bytes (None once destroyed)."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT key_id, key FROM subject_keys").all()
    return {str(k): None if v is None else bytes(v) for k, v in rows}
