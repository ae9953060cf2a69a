"""Crypto-shredding: a subject's personal fields are sealed with their own key; erasing the key
erases them everywhere the log is read, and no figure moves."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from events import sealing, subjects
from events.db import make_engine, reading
from events.store import read_events
from events.subjects import ERASED_SUBJECT_PREFIX, ERASED_TEXT
from projections.rebuild import rebuild
from tests.helpers import event, log, referral, value, void
from tests.test_protection.support import all_figures, exported

SECRETS = ["S-ALICE-1984", "S-BOB-1990", "moved to Leeds with her sister", "duplicate of Alice"]


def _history(engine: Engine) -> None:
    """Repeat referrals for two subjects across quarters, closures with outcomes, a void."""
    log(engine,
        referral(subject="S-ALICE-1984", case="DA-1", occurred_at="2024-04-10", risk="high"),
        referral(subject="S-BOB-1990", case="DA-2", occurred_at="2024-05-10", gender="male"),
        referral(subject="S-ALICE-1984", case="DA-3", occurred_at="2024-08-10", risk="medium"),
        referral(subject="S-CAROL-1975", case="DA-4", occurred_at="2024-09-01"),
        referral(subject="S-ALICE-1984", case="DA-5", occurred_at="2025-01-20"),
        referral(subject="S-BOB-1990", case="DA-6", occurred_at="2025-02-02"),
        event("case.closed", "davss", "2024-06-30", "DA-1", outcome="moved to Leeds with her sister"),
        event("case.closed", "davss", "2024-07-30", "DA-2", outcome="no further action"))
    extra = log(engine, referral(subject="S-ALICE-1984", case="DA-7", occurred_at="2025-03-01"))
    log(engine, void(extra[0], reason="duplicate of Alice"))


def test_personal_fields_reach_the_database_only_as_ciphertext(engine: Engine) -> None:
    _history(engine)
    with engine.connect() as connection:
        stored = "\n".join(connection.exec_driver_sql("SELECT data FROM events").scalars())
        voids = "\n".join(connection.exec_driver_sql("SELECT reason FROM event_voids").scalars())
        keys = connection.exec_driver_sql("SELECT * FROM subject_keys").all()
    for secret in SECRETS:
        assert secret not in stored and secret not in voids
        assert all(secret not in str(row) for row in keys)
    assert "high" in stored  # fields that are not personal stay readable to the figures
    readable = {json.dumps(e["data"]) for e in exported(engine)}
    for secret in SECRETS:
        assert any(secret in line for line in readable)


def test_one_key_per_subject_and_one_per_case_for_the_case_s_own_free_text(engine: Engine) -> None:
    _history(engine)
    log(engine, event("case.closed", "asb-casework", "2024-06-30", "ASB-9", outcome="resolved"))
    with engine.connect() as connection:
        kinds = connection.exec_driver_sql(
            "SELECT kind, COUNT(*) FROM subject_keys GROUP BY kind ORDER BY kind").all()
        alice_keys = connection.exec_driver_sql(
            "SELECT COUNT(DISTINCT key_id) FROM events WHERE case_ref IN "
            "('DA-1', 'DA-3', 'DA-5', 'DA-7') AND type = 'referral.received'").scalar_one()
        closures = connection.exec_driver_sql(
            "SELECT COUNT(DISTINCT e.key_id) FROM events e JOIN subject_keys k"
            " ON k.key_id = e.key_id WHERE e.type = 'case.closed' AND k.kind = 'case'").scalar_one()
    # Closures of DA-1, DA-2 and ASB-9, each with its case's key.
    assert [tuple(k) for k in kinds] == [("case", 3), ("subject", 3)]
    assert alice_keys == 1 and closures == 3


def test_erasing_a_subject_changes_no_figure_even_after_a_rebuild(
    app: Flask, engine: Engine, runner: FlaskCliRunner
) -> None:
    _history(engine)
    before = all_figures(engine)
    assert value(engine, "davss.repeat_rate", quarter="Q2") == 0.5
    assert value(engine, "davss.repeat_rate", quarter="Q4") == 1.0
    result = runner.invoke(args=["casebook", "erase", "S-ALICE-1984", "--as", "dpo"])
    assert result.exit_code == 0, result.output
    assert "Figures are unchanged" in result.output
    assert all_figures(engine) == before
    rebuild(engine)
    assert all_figures(engine) == before


def test_after_erasure_the_subject_reads_as_erased_in_the_log_and_in_exports(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _history(engine)
    assert runner.invoke(args=["casebook", "erase", "S-ALICE-1984"]).exit_code == 0
    backup = tmp_path / "after.jsonl"
    assert runner.invoke(args=["casebook", "export", str(backup)]).exit_code == 0
    text = backup.read_text()
    for secret in ("S-ALICE-1984", "moved to Leeds with her sister", "duplicate of Alice"):
        assert secret not in text
    assert "S-BOB-1990" in text and "no further action" in text
    lines = [json.loads(line) for line in text.splitlines()]
    alice = [e for e in lines if e.get("case") in {"DA-1", "DA-3", "DA-5", "DA-7"}]
    subjects = {e["data"]["subject"] for e in alice if "subject" in e["data"]}
    assert len(subjects) == 1 and subjects.pop().startswith(ERASED_SUBJECT_PREFIX)
    closed = next(e for e in alice if e["type"] == "case.closed")
    assert closed["data"]["outcome"] == ERASED_TEXT
    erasure = lines[-1]
    assert erasure["type"] == "subject.erased" and set(erasure["data"]) == {"key"}
    with engine.connect() as connection:
        key = connection.execute(
            sa.text("SELECT key, lookup, erased_at FROM subject_keys WHERE key_id = :k"),
            {"k": erasure["data"]["key"]},
        ).one()
    assert key.key is None and key.lookup is None and key.erased_at is not None


def test_an_erased_subject_cannot_be_erased_or_exported_again(runner: FlaskCliRunner, engine: Engine) -> None:
    _history(engine)
    assert runner.invoke(args=["casebook", "erase", "S-BOB-1990"]).exit_code == 0
    again = runner.invoke(args=["casebook", "erase", "S-BOB-1990"])
    assert again.exit_code == 1 and "No data is held" in again.output
    assert runner.invoke(args=["casebook", "subject-export", "S-BOB-1990"]).exit_code == 1
    assert runner.invoke(args=["casebook", "erase", "S-NOBODY"]).exit_code == 1


def test_subject_export_lists_every_event_held_about_the_subject_decrypted(
    runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    _history(engine)
    log(engine, event("notice.issued", "davss", "2024-05-01", "DA-1", notice="warning-letter"))
    out = tmp_path / "sar.json"
    result = runner.invoke(args=["casebook", "subject-export", "S-ALICE-1984", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["cases"] == ["DA-1", "DA-3", "DA-5", "DA-7"]
    types = sorted(e["type"] for e in document["events"])
    assert types == sorted(["referral.received"] * 4 + ["case.closed", "notice.issued",
                                                        "event.voided"])
    assert "moved to Leeds with her sister" in out.read_text()
    assert "S-BOB-1990" not in out.read_text()


def test_a_new_referral_after_erasure_starts_a_new_subject(runner: FlaskCliRunner, engine: Engine) -> None:
    _history(engine)
    assert runner.invoke(args=["casebook", "erase", "S-CAROL-1975"]).exit_code == 0
    before = all_figures(engine)
    log(engine, referral(subject="S-CAROL-1975", case="DA-8", occurred_at="2025-03-10"))
    with reading(engine) as connection:
        carol = [e for e in read_events(connection) if e.case_ref in {"DA-4", "DA-8"}]
    assert carol[0].data["subject"].startswith(ERASED_SUBJECT_PREFIX)
    assert carol[1].data["subject"] == "S-CAROL-1975"
    assert carol[0].key_id != carol[1].key_id
    after = all_figures(engine)
    assert after[("2024/25", "Q1")] == before[("2024/25", "Q1")]
    assert after[("2024/25", None)]["davss.referrals"]["value"] == 7


@pytest.mark.parametrize("retired", [True])
def test_a_subject_can_be_erased_from_a_retired_scheme(
    runner: FlaskCliRunner, engine: Engine, retired: bool
) -> None:
    _history(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE schemes SET retired_at = CURRENT_TIMESTAMP "
                                   "WHERE scheme_id = 'davss'")
    result = runner.invoke(args=["casebook", "erase", "S-BOB-1990"])
    assert result.exit_code == 0, result.output


def _import_in_chunks(engine: Engine, lines: list[dict[str, object]], chunk_size: int) -> None:
    from events.store import import_lines
    from projections.rebuild import project

    with engine.connect() as connection, connection.execution_options(casebook_write=True).begin():
        report = import_lines(connection, [json.dumps(line) for line in lines],
                              default_recorded_by="importer", project=project, chunk_size=chunk_size)
        assert report.errors == []


def test_a_sealer_that_forgets_between_chunks_seals_exactly_as_one_that_remembers(
    engine: Engine, new_database_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import's memory stays flat because the sealer forgets; forgetting must change nothing."""
    lines = [
        referral(subject="S-1", case="DA-1", occurred_at="2024-04-10", event_id=str(uuid.UUID(int=1))),
        referral(subject="S-2", case="DA-2", occurred_at="2024-04-11", event_id=str(uuid.UUID(int=2))),
        event("case.closed", "davss", "2024-05-01", "DA-1", event_id=str(uuid.UUID(int=3)), outcome="moved away"),
        referral(subject="S-1", case="DA-3", occurred_at="2024-06-10", event_id=str(uuid.UUID(int=4))),
        event("case.closed", "davss", "2024-06-11", "DA-2", event_id=str(uuid.UUID(int=5)), outcome="support ended"),
        referral(subject="S-2", case="DA-2", occurred_at="2024-07-01", event_id=str(uuid.UUID(int=6))),
        event("case.closed", "asb-casework", "2024-07-02", "ASB-1", event_id=str(uuid.UUID(int=7)), outcome="quiet"),
    ]
    lines.append(void(lines[3], reason="entered twice", occurred_at="2024-07-03"))
    lines.append(void(lines[6], reason="wrong case", occurred_at="2024-07-04"))
    lines[-2]["id"], lines[-1]["id"] = str(uuid.UUID(int=8)), str(uuid.UUID(int=9))

    remembering = make_engine(new_database_url())
    try:
        _import_in_chunks(remembering, lines, chunk_size=1000)
        monkeypatch.setattr(sealing, "CACHE_LIMIT", 0)
        _import_in_chunks(engine, lines, chunk_size=2)
        strip = [{k: v for k, v in e.items() if k != "recorded_at"} for e in exported(engine)]
        assert strip == [{k: v for k, v in e.items() if k != "recorded_at"} for e in exported(remembering)]
        assert all_figures(engine) == all_figures(remembering)
        with reading(engine) as connection:
            keys = connection.execute(sa.select(subjects.subject_keys.c.kind)).scalars().all()
        assert sorted(keys) == ["case"] * 3 + ["subject"] * 2
    finally:
        remembering.dispose()
