"""The event log's CSV and the API's event list, read the quick way (`export_rows`), are byte for
byte what they were when each row was read whole (`stored_from_row`) and written cell by cell:
on a log of every kind of event, with voids, personal fields, an erased subject, an event
stored at an older version and text a spreadsheet or a CSV reader would trip on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from casebook.services import reads
from casebook.services.erasure import erase_subject
from casebook.services.event_filter import EventFilter, Schemes, page_positions, read_filter
from events.db import reading, writing
from events.model import stored_from_row
from events.quarters import Quarter
from events.subjects import readable_events
from events.tables import events
from events.types import EVENT_TYPES
from projections.spreadsheet import csv_cell
from tests.bench.synth import synthetic_events
from tests.helpers import event, import_jsonl, log, void
from tests.test_casebook.conftest import MakeToken, SignedIn

OLD_REFERRAL = "00000000-0000-4000-8000-000000000001"
#: What the exports are asked for: the whole log, one scheme, a type, dates, a recorder.
QUERIES = ["", "?scheme=davss", "?scheme=asb-enforcement", "?type=event.voided",
           "?from=2023-04-01&to=2024-03-31", "?recorded_by=a.khan", "?case=CH-2021-000001"]


def _old_csv(connection: Any, chosen: EventFilter, readable: Schemes) -> Iterator[str]:
    """The CSV as `casebook.web.pages.eventlog` wrote it before `export_rows` (commit 6976564)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["position", "id", "type", "scheme", "case", "occurred_at", "local_date",
                     "recorded_at", "recorded_by", "voided", "void_reason", "data"])
    for listed in reads.iter_filtered_events(connection, chosen, readable):
        stored = listed.event
        writer.writerow([csv_cell(cell) for cell in (
            stored.position, stored.event_id, stored.type, stored.scheme, stored.case_ref,
            stored.occurred_at.isoformat(), stored.local_date.isoformat(),
            stored.recorded_at.isoformat(), stored.recorded_by,
            "yes" if listed.voided else "no", listed.void.reason if listed.void else None,
            reads.data_json(stored),
        )])
    yield buffer.getvalue()


def _old_api(app: Flask, connection: Any, chosen: EventFilter, readable: Schemes, after: int,
             limit: int) -> str:
    """A page of `GET /api/events` as it was written before `export_rows` (commit 6976564)."""
    positions = page_positions(chosen, readable, after=after, limit=limit).scalar_subquery()
    query = readable_events().where(events.c.position.in_(positions)).order_by(events.c.position)
    dumps = app.json.dumps
    parts, count, last = ['{"events": ['], 0, None
    for row in connection.execute(query):
        stored = stored_from_row(row)
        parts.append(("," if count else "") + dumps(stored.to_interchange()))
        count, last = count + 1, stored.position
    parts.append('], "next_after": ' + dumps(last if count == limit else None) + "}\n")
    return "".join(parts)


def _store_version_1_referral(engine: Engine) -> None:
    """A referral as version 1 wrote it, straight into the table: spaced, unsorted JSON."""
    occurred = datetime(2023, 5, 3, 9, 0, tzinfo=UTC)
    with writing(engine) as connection:
        connection.execute(sa.insert(events).values(
            event_id=OLD_REFERRAL, type="referral.received", version=1, scheme="davss",
            case_ref=None, stream_version=None, occurred_at=occurred,
            local_date=date(2023, 5, 3), period=Quarter(2023, 1).index, recorded_at=occurred,
            recorded_by="old.system", data=json.dumps({"risk": "low", "gender": "female"}),
        ))


@pytest.fixture
def mixed_log(engine: Engine) -> Engine:
    """Every kind of event the synthetic log holds, and the awkward ones it does not."""
    report = import_jsonl(engine, list(synthetic_events(1_500)))
    assert not report.errors, report.errors[:3]
    _store_version_1_referral(engine)
    [incident] = log(engine, event("incident.reported", "asb-enforcement", "2024-08-01",
                                   category="flytipping", location="Café, \"the\" lane\n2"),
                     user="-j.smith")
    log(engine, void(incident, reason='=HYPERLINK("x"), then a line\r\nbreak'),
        event("incident.reported", "asb-enforcement", "2024-08-02", category="+graffiti",
              location="@ward"))
    with writing(engine) as connection:
        erase_subject(connection, "S000007", erased_by="tester")
    return engine


def test_the_mixed_log_holds_every_kind_of_row_the_exports_read(mixed_log: Engine) -> None:
    with reading(mixed_log) as connection:
        kinds = connection.execute(sa.select(events.c.type, events.c.version).distinct()).all()
    types = {kind.type for kind in kinds}
    # The casework types (officers, compliance checks) need a plan's officers: their data is
    # read as every other type's is, by type-blind code.
    assert set(EVENT_TYPES) - types <= {"case.assigned", "compliance.checked"}
    assert ("referral.received", 1) in {(kind.type, kind.version) for kind in kinds}


@pytest.mark.parametrize("query", QUERIES)
def test_the_csv_is_byte_for_byte_what_reading_each_event_whole_wrote(
    client: FlaskClient, signed_in: SignedIn, mixed_log: Engine, query: str
) -> None:
    signed_in(client, "officer")
    chosen, _ = read_filter(dict(p.split("=") for p in query[1:].split("&") if p))
    with reading(mixed_log) as connection:
        expected = "".join(_old_csv(connection, chosen, None))
    written = client.get("/events/events.csv" + query).get_data(as_text=True)
    assert written == expected
    assert len(list(csv.reader(io.StringIO(written)))) > 1  # the header and some rows


def test_a_partners_csv_is_what_it_was_for_their_schemes_alone(
    client: FlaskClient, signed_in: SignedIn, mixed_log: Engine
) -> None:
    signed_in(client, "partner", schemes=["davss", "channel"])
    with reading(mixed_log) as connection:
        expected = "".join(_old_csv(connection, EventFilter(), {"davss", "channel"}))
    assert client.get("/events/events.csv").get_data(as_text=True) == expected


@pytest.mark.parametrize("query", QUERIES)
def test_every_page_of_the_api_is_byte_for_byte_what_reading_each_event_whole_wrote(
    app: Flask, client: FlaskClient, make_token: MakeToken, mixed_log: Engine, query: str
) -> None:
    officer = make_token("officer")
    args = dict(p.split("=") for p in query[1:].split("&") if p)
    chosen, _ = read_filter(args)
    after, pages = 0, 0
    while True:
        sent = client.get("/api/events", query_string={**args, "after": after, "limit": 400},
                          headers=officer.headers)
        body = sent.get_data(as_text=True)
        with reading(mixed_log) as connection:
            assert body == _old_api(app, connection, chosen, None, after, 400)
        pages += 1
        if (after := sent.get_json()["next_after"]) is None:
            break
    assert pages >= (4 if not query else 1)


def test_the_exports_show_erased_and_upcast_fields_as_reading_them_whole_does(
    client: FlaskClient, make_token: MakeToken, mixed_log: Engine
) -> None:
    officer = make_token("officer")
    lines = client.get("/api/events", query_string={"type": "referral.received", "limit": 1000},
                       headers=officer.headers).get_json()["events"]
    by_id = {line["id"]: line for line in lines}
    assert by_id[OLD_REFERRAL]["data"] == {"risk": "standard", "gender": "female"}
    assert any(line["data"].get("subject", "").startswith("erased:") for line in lines)
    assert any(line["data"].get("subject", "").startswith("S0") for line in lines)
