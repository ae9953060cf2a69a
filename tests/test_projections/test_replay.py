"""The rebuild's grouped fold makes exactly the changes that folding each event makes."""

from __future__ import annotations

import json
import uuid
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.db import reading, writing
from events.store import last_position, read_events
from events.tables import events
from events.types import VOIDED
from projections.catalogue import load_figures
from projections.fold import Changes, gather
from projections.parallel import merge
from projections.rebuild import rebuild
from projections.replay import gather_range
from projections.stored_rows import load_targets
from tests.helpers import adopt_figures, event, import_jsonl, log, referral, summary, value, void
from tests.seed_events import published_2024_25_events


def _nonzero(changes: Changes) -> dict[str, Any]:
    return {
        "totals": {k: v for k, v in changes.totals.items() if v},
        "members": {k: v for k, v in changes.members.items() if v},
        "activity": {k: v for k, v in changes.activity.items() if v},
        "referrals": changes.referrals,
        "returns": changes.returns,
    }


def _by_each_event(connection: sa.Connection, after: int, upto: int) -> Changes:
    index = load_figures(connection)
    batch = [e for e in read_events(connection, after=after) if e.position <= upto]
    targets = load_targets(connection, [e.data["target"] for e in batch if e.type == VOIDED])
    return gather(index, batch, targets)


def test_the_grouped_fold_equals_the_fold_of_each_event_over_the_published_year(
    engine: Engine,
) -> None:
    lines = published_2024_25_events()
    import_jsonl(engine, lines)
    # Voids of a grouped event, of a referral with a subject (repeat rate) and of a return.
    referrals = [line for line in lines if line["type"] == "referral.received"
                 and line["scheme"] == "davss" and line["data"].get("subject")]
    returns = [line for line in lines if line["type"] == "return.submitted"]
    notices = [line for line in lines if line["type"] == "notice.issued"]
    log(engine, void(referrals[3]), void(returns[0]), void(notices[-1]))
    log(engine, referral(occurred_at="2024-07-01", subject="S-000042"))

    with reading(engine) as connection:
        index = load_figures(connection)
        end = last_position(connection)
        middle = end // 2
        for after, upto in ((0, end), (0, middle), (middle, end)):
            grouped = gather_range(connection, index, after, upto)
            each = _by_each_event(connection, after, upto)
            assert _nonzero(grouped) == _nonzero(each), (after, upto)
            assert _nonzero(grouped)["totals"]
        # Ranges folded apart (as workers do) and merged in order make the changes of the whole;
        # the voids above fall in the last range, their targets in earlier ones.
        thirds = [0, end // 3, 2 * end // 3, end]
        parts = [gather_range(connection, index, a, b) for a, b in pairwise(thirds)]
        assert _nonzero(merge(parts)) == _nonzero(_by_each_event(connection, 0, end))


def test_a_row_stored_under_the_first_version_is_upcast_before_it_is_grouped(
    engine: Engine,
) -> None:
    log(engine, referral(occurred_at="2024-05-04", risk="standard"))
    # A row written before version 2 of referral.received, when "low" was a risk level.
    with writing(engine) as connection:
        stored = next(read_events(connection))
        connection.execute(sa.insert(events), {
            "event_id": str(uuid.uuid4()), "type": "referral.received", "version": 1,
            "scheme": "davss", "case_ref": "R-LEGACY", "stream_version": 1,
            "occurred_at": stored.occurred_at, "local_date": stored.local_date,
            "period": stored.period, "recorded_at": stored.recorded_at, "recorded_by": "legacy",
            "data": json.dumps({"risk": "low"}),
        })
    rebuild(engine)
    assert value(engine, "davss.referrals") == 2
    assert summary(engine)["figures"]["davss.referrals"]["breakdown"]["risk"]["standard"] == 2


def test_a_figure_that_reads_a_personal_field_is_rebuilt_from_decrypted_events(
    engine: Engine,
) -> None:
    log(
        engine,
        referral(occurred_at="2024-05-03", subject="S-000001"),
        referral(occurred_at="2024-05-10", subject="S-000001"),
        referral(occurred_at="2024-06-01", subject="S-000002"),
        event("deployment.made", "mobile-cctv", "2024-06-01", asset="camera 1", location="A"),
    )
    adopt_figures(engine, {
        "id": "davss.people", "label": "People referred", "priority": "Domestic abuse",
        "scheme": "davss", "types": ["referral.received"], "measure": "distinct:subject",
    })
    rebuild(engine)
    assert value(engine, "davss.people") == 2
    assert value(engine, "davss.referrals") == 3
    assert value(engine, "cctv.cameras") == 1
