"""After `casebook erase`, nothing of the subject can be read anywhere: the events are generated
from the schemas' personal fields, so a personal field added later is covered too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from events.subjects import ERASED_SUBJECT_PREFIX
from tests.helpers import event, import_jsonl, log, notice, referral, summary, void
from tests.test_casebook.conftest import MakeToken, SignedIn
from tests.test_protection.erasure_support import (
    Plan,
    api_texts,
    database_bytes,
    exported_text,
    key_forms,
    page_texts,
    secret,
    subject_cases,
    subject_keys,
    unrelated_events,
)
from tests.test_protection.support import all_figures

SUBJECT = "S-ERASE-ME-7731"
OTHER = "S-KEEP-ME-4410"
ALONE = ["DA-ERASE-1", "DA-ERASE-2"]


def _plan() -> Plan:
    """The subject alone in two cases, sharing a third with another subject who has a case of
    their own, beside events about nobody."""
    plan = Plan()
    subject_cases(plan, SUBJECT, ALONE)
    kept_outcome, shared_outcome = secret("other's outcome"), secret("shared outcome")
    plan.kept_texts += [kept_outcome, shared_outcome]
    plan.add(referral(subject=OTHER, case="DA-KEEP", occurred_at="2024-04-02"))
    plan.add(event("case.closed", "davss", "2024-05-02", "DA-KEEP", outcome=kept_outcome))
    plan.add(referral(subject=OTHER, case="DA-SHARED", occurred_at="2024-04-03"))
    plan.add(referral(subject=SUBJECT, case="DA-SHARED", occurred_at="2024-04-04"))
    plan.add(event("case.closed", "davss", "2024-05-03", "DA-SHARED", outcome=shared_outcome))
    unrelated_events(plan)
    return plan


def figures_of(engine: Engine, scheme: str) -> list[str]:
    """The ids of a scheme's figures, whose drill-down pages list its events."""
    return [f for f, found in summary(engine)["figures"].items() if found["scheme"] == scheme]


def _deliver(engine: Engine, plan: Plan, delivery: str) -> None:
    if delivery == "import":
        assert not import_jsonl(engine, plan.lines).errors
        return
    for line in plan.lines:
        log(engine, line)


@pytest.mark.parametrize("delivery", ["append", "import"])
def test_after_erasure_no_byte_of_the_subject_is_readable_anywhere(
    delivery: str, app: Flask, engine: Engine, runner: FlaskCliRunner, client: FlaskClient,
    signed_in: SignedIn, make_token: MakeToken, database_url: str, backend: str, tmp_path: Path,
) -> None:
    plan = _plan()
    _deliver(engine, plan, delivery)
    everything = [SUBJECT, OTHER, *plan.erased_texts, *plan.kept_texts]
    before = exported_text(runner, tmp_path / "before.jsonl")
    assert [text for text in everything if text not in before] == []
    stored = database_bytes(engine, database_url)
    assert [text for text in everything if text.encode() in stored] == [], "stored in clear"
    keys = subject_keys(engine)
    figures = all_figures(engine)

    erased = runner.invoke(args=["casebook", "erase", SUBJECT, "--as", "dpo"])
    assert erased.exit_code == 0, erased.output

    destroyed = [keys[key_id] for key_id, key in subject_keys(engine).items() if key is None]
    assert len(destroyed) == 1 + len(ALONE), "the subject's key and each case they were alone in"
    assert all(form in stored for key in destroyed if key for form in key_forms(key, backend))
    signed_in(client, "admin")
    token = make_token("admin")
    event_ids = [line["id"] for line in plan.lines]
    cases = [*ALONE, "DA-KEEP", "DA-SHARED"]
    other = runner.invoke(args=["casebook", "subject-export", OTHER])
    assert other.exit_code == 0, other.output
    gone = runner.invoke(args=["casebook", "subject-export", SUBJECT])
    surfaces = {
        "erase report": erased.output,
        "export": exported_text(runner, tmp_path / "after.jsonl"),
        "pages": page_texts(client, cases, event_ids, plan.standing(), figures_of(engine, "davss")),
        "api": api_texts(client, token.headers),
        "subject-export of the other subject": other.output,
        "subject-export of the erased subject": gone.output,
    }
    for name, text in surfaces.items():
        found = [s for s in (SUBJECT, *plan.erased_texts) if s in text]
        assert found == [], f"{name} still shows {found}"
    stored = database_bytes(engine, database_url)
    assert [text for text in everything if text.encode() in stored] == []
    assert not [key for key in destroyed if key for form in key_forms(key, backend) if form in stored]
    kept = surfaces["export"]
    assert [text for text in (OTHER, *plan.kept_texts) if text not in kept] == []
    assert ERASED_SUBJECT_PREFIX in kept
    assert all_figures(engine) == figures


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_sqlite_connection_overwrites_what_it_deletes(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1


def test_the_erase_report_names_the_shared_cases_whose_text_stays_readable(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    log(engine,
        event("case.closed", "davss", "2024-04-01", "DA-1", outcome="closed before the referral"),
        referral(subject="S-A", case="DA-1", occurred_at="2024-04-02"),
        referral(subject="S-A", case="DA-2", occurred_at="2024-04-03"),
        referral(subject="S-B", case="DA-2", occurred_at="2024-04-04"),
        event("case.closed", "davss", "2024-05-01", "DA-2", outcome="shared outcome"))
    result = runner.invoke(args=["casebook", "erase", "S-A"])
    assert result.exit_code == 0, result.output
    assert "DA-1" in result.output and "DA-2" in result.output
    assert "shared with 1 other subject" in result.output
    assert "casebook erase --case DA-2" in result.output
    exported = runner.invoke(args=["casebook", "export", "-"]).output
    assert "closed before the referral" not in exported and "S-A" not in exported
    assert "shared outcome" in exported and "S-B" in exported


def test_erase_case_erases_the_case_and_every_subject_only_in_it(
    engine: Engine, runner: FlaskCliRunner
) -> None:
    notice_line = notice("warning-letter", case="ASB-1", occurred_at="2024-04-01")
    log(engine,
        notice_line,
        referral(subject="S-ONLY-HERE", case="ASB-1", occurred_at="2024-04-02",
                 scheme="asb-casework"),
        referral(subject="S-ALSO-ELSEWHERE", case="ASB-1", occurred_at="2024-04-03",
                 scheme="asb-casework"),
        referral(subject="S-ALSO-ELSEWHERE", case="ASB-2", occurred_at="2024-04-04",
                 scheme="asb-casework"),
        event("case.closed", "asb-casework", "2024-05-01", "ASB-1", outcome="the outcome of ASB-1"))
    log(engine, void(notice_line, reason="the wrong notice for ASB-1"))
    result = runner.invoke(args=["casebook", "erase", "--case", "ASB-1", "--as", "dpo"])
    assert result.exit_code == 0, result.output
    assert "S-ALSO-ELSEWHERE" not in result.output and "ASB-2" in result.output
    exported = runner.invoke(args=["casebook", "export", "-"]).output
    for gone in ("S-ONLY-HERE", "the outcome of ASB-1", "the wrong notice for ASB-1"):
        assert gone not in exported
    assert "S-ALSO-ELSEWHERE" in exported
    again = runner.invoke(args=["casebook", "erase", "--case", "ASB-1"])
    assert again.exit_code == 1 and "Nothing was erased" in again.output
    missing = runner.invoke(args=["casebook", "erase", "--case", "ASB-NONE"])
    assert missing.exit_code == 1
    both = runner.invoke(args=["casebook", "erase", "S-ALSO-ELSEWHERE", "--case", "ASB-2"])
    assert both.exit_code == 2


def test_subject_export_holds_only_the_subjects_data_and_the_voids_of_their_events(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    warning = notice("warning-letter", case="DA-1", occurred_at="2024-04-01", scheme="davss")
    mine = referral(subject="S-ME", case="DA-1", occurred_at="2024-04-02")
    theirs = referral(subject="S-THEM", case="DA-1", occurred_at="2024-04-03", gender="male")
    incident = event("incident.reported", "davss", "2024-04-05", category="noise", location="park")
    log(engine, warning, mine, theirs, incident,
        event("case.closed", "davss", "2024-05-01", "DA-1", outcome="the shared outcome"),
        referral(subject="S-THEM", case="DA-9", occurred_at="2024-04-03"))
    log(engine, void(warning, reason="the notice was for another case"),
        void(mine, reason="my referral was entered twice"),
        void(theirs, reason="their referral was entered twice"),
        void(incident, reason="nothing to do with anyone"))
    out = tmp_path / "sar.json"
    result = runner.invoke(args=["casebook", "subject-export", "S-ME", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    document = json.loads(text)
    assert document["cases"] == ["DA-1"]
    for held in ("S-ME", "the shared outcome", "the notice was for another case",
                 "my referral was entered twice"):
        assert held in text
    for not_theirs in ("S-THEM", "male", "their referral was entered twice", "DA-9",
                       "nothing to do with anyone"):
        assert not_theirs not in text
    assert "another person" in text
    voids = [e for e in document["events"] if e["type"] == "event.voided"]
    assert {v["data"]["target"] for v in voids} == {warning["id"], mine["id"], theirs["id"]}


def test_subject_export_after_erasure_says_honestly_what_is_still_held(
    engine: Engine, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    log(engine,
        referral(subject="S-ME", case="DA-1", occurred_at="2024-04-02", risk="high"),
        referral(subject="S-ME", case="DA-2", occurred_at="2024-04-02"),
        referral(subject="S-THEM", case="DA-2", occurred_at="2024-04-03"),
        event("case.closed", "davss", "2024-05-01", "DA-2", outcome="the shared outcome"))
    erased = runner.invoke(args=["casebook", "erase", "S-ME"])
    assert erased.exit_code == 0, erased.output
    by_reference = runner.invoke(args=["casebook", "subject-export", "S-ME"])
    assert by_reference.exit_code == 1
    assert "erased:" in by_reference.output and "figures" in by_reference.output
    key_id = next(k for k, key in subject_keys(engine).items() if key is None)
    out = tmp_path / "after.json"
    result = runner.invoke(args=["casebook", "subject-export", f"erased:{key_id}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["erased_at"] is not None and document["cases"] == ["DA-1", "DA-2"]
    held = " ".join(document["still_held"])
    assert "DA-2" in held and "shared with 1 other subject" in held
    referrals = [e for e in document["events"] if e["type"] == "referral.received"]
    assert {e["data"]["subject"] for e in referrals} == {f"erased:{key_id}", "another person"}
    assert "S-ME" not in out.read_text() and "S-THEM" not in out.read_text()
    assert any(e["data"].get("risk") == "high" for e in referrals)


def test_free_text_that_is_not_personal_says_on_the_form_not_to_enter_names(
    client: FlaskClient, signed_in: SignedIn
) -> None:
    signed_in(client, "officer")
    expected = {"referral.received": ["category"], "incident.reported": ["category", "location"],
                "programme.delivered": ["run", "location"], "member.joined": ["member"],
                "return.submitted": ["indicator"], "deployment.made": ["asset", "location"],
                "case.closed": []}
    for type_name, names in expected.items():
        page = client.get(f"/log/davss/{type_name}").get_data(as_text=True)
        for name in names:
            hint = page.split(f'id="data-{name}-hint"', 1)[1].split("</div>", 1)[0]
            assert "Do not enter names" in hint, (type_name, name)
        if not names:
            assert "Do not enter names" not in page


def test_retention_erases_a_case_key_that_seals_only_voids_and_leaves_no_copy_of_it(
    engine: Engine, runner: FlaskCliRunner, database_url: str, backend: str, tmp_path: Path,
) -> None:
    warning = notice("warning-letter", case="ASB-OLD", occurred_at="2016-04-01")
    log(engine, warning,
        referral(subject="S-LONG-AGO", case="ASB-OLD", occurred_at="2016-04-02",
                 scheme="asb-casework"),
        event("case.closed", "asb-casework", "2016-09-01", "ASB-OLD"))
    log(engine, void(warning, reason="a reason in a case long closed", occurred_at="2016-05-01"))
    keys = subject_keys(engine)
    lines = exported_text(runner, tmp_path / "before.jsonl").splitlines()
    closed = next(e for e in map(json.loads, lines) if e["type"] == "case.closed")
    # Past the six years however retention dates a closure (when it happened or was recorded).
    now = str(int(closed["recorded_at"][:4]) + 7) + closed["recorded_at"][4:10]
    result = runner.invoke(args=["casebook", "retention", "run", "--now", now])
    assert result.exit_code == 0, result.output
    destroyed = [keys[k] for k, key in subject_keys(engine).items() if key is None]
    assert len(destroyed) == 2, "the subject's key and the case's own"
    after = exported_text(runner, tmp_path / "after.jsonl")
    assert "a reason in a case long closed" not in after and "S-LONG-AGO" not in after
    stored = database_bytes(engine, database_url)
    assert not [k for k in destroyed if k for form in key_forms(k, backend) if form in stored]
