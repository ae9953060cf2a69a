"""Sign-in lockout and throttling, security headers, session expiry, the access log, size
limits, and no secret in the repository."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from tests.helpers import ON_SQLITE_ONLY, event, log, referral
from tests.test_casebook.conftest import MakeToken, MakeUser, SignedIn, sign_in

pytestmark = ON_SQLITE_ONLY

REPO = Path(__file__).resolve().parents[2]
WRONG = "not-the-password"


def test_an_account_is_locked_after_five_failed_sign_ins_with_a_clear_message(
    client: FlaskClient, make_user: MakeUser, engine: Engine
) -> None:
    user = make_user("officer")
    for _ in range(4):
        response = sign_in(client, user.username, WRONG)
        assert "Enter a correct username and password" in response.get_data(as_text=True)
    locked = sign_in(client, user.username, WRONG)
    assert locked.status_code == 403
    assert "This account is locked after 5 failed sign-in attempts" in locked.get_data(as_text=True)
    right = sign_in(client, user.username, user.password)
    assert right.status_code == 403 and "locked" in right.get_data(as_text=True)
    assert client.get("/cases").status_code == 302
    # The lock ends with its window (backdated failures: tests/test_casebook/test_sign_in.py).
    client.application.config["LOGIN_LOCKOUT_MINUTES"] = 0
    assert sign_in(client, user.username, user.password).status_code == 302


def test_a_good_sign_in_clears_the_count_of_failures(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user("officer")
    for _ in range(4):
        sign_in(client, user.username, WRONG)
    assert sign_in(client, user.username, user.password).status_code == 302
    client.post("/sign-out", data={})
    client.delete_cookie("casebook_session")
    for _ in range(4):
        assert sign_in(client, user.username, WRONG).status_code == 200


def test_one_address_failing_often_is_throttled_whatever_the_usernames(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    user = make_user("officer")
    for n in range(3):
        assert sign_in(client, f"nobody-{n}", WRONG).status_code == 200
    throttled = sign_in(client, user.username, user.password)
    assert throttled.status_code == 429
    assert "Too many failed sign-ins have come from your network" in throttled.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/sign-in", "/cases", "/api/events", "/no-such-page"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers
    if response.mimetype == "text/html":
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert "'unsafe-inline'" not in policy


def test_hsts_is_sent_when_served_over_https(client: FlaskClient) -> None:
    response = client.get("/sign-in", base_url="https://casebook.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_default_session_lifetime_is_a_working_day(app: Flask) -> None:
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_reads_of_cases_and_every_export_are_in_the_access_log_for_admins(
    client: FlaskClient, signed_in: SignedIn, make_token: MakeToken, engine: Engine,
    runner: FlaskCliRunner, tmp_path: Path,
) -> None:
    log(engine, referral(subject="S-LOG", case="DA-1"))
    officer = signed_in(client, "officer")
    assert client.get("/cases/DA-1").status_code == 200
    assert client.get("/events/events.csv?scheme=davss").status_code == 200
    token = make_token("officer")
    assert client.get("/api/events", headers=token.headers).status_code == 200
    assert runner.invoke(args=["casebook", "export", str(tmp_path / "e.jsonl")]).exit_code == 0
    assert runner.invoke(args=["casebook", "subject-export", "S-LOG",
                               "--out", str(tmp_path / "s.json")]).exit_code == 0
    assert client.get("/admin/access-log").status_code == 403

    client.post("/sign-out", data={})
    signed_in(client, "admin")
    page = client.get("/admin/access-log").get_data(as_text=True)
    for action in ("case-read", "event-log-csv", "api-events-read", "export", "subject-export"):
        assert f">{action}<" in page
    assert "/cases/DA-1" in page and officer.username in page and token.user.username in page
    assert "S-LOG" not in page
    mine = client.get(f"/admin/access-log?user={officer.username}").get_data(as_text=True)
    assert ">case-read<" in mine and ">api-events-read<" not in mine


def test_after_erasure_the_case_page_and_the_api_show_the_subject_as_erased(
    client: FlaskClient, signed_in: SignedIn, make_token: MakeToken, engine: Engine,
    runner: FlaskCliRunner,
) -> None:
    log(engine, referral(subject="S-GONE", case="DA-9"),
        event("case.closed", "davss", "2024-06-01", "DA-9", outcome="rehoused in Leeds"))
    signed_in(client, "officer")
    token = make_token("officer")
    before = client.get("/cases/DA-9").get_data(as_text=True)
    assert "S-GONE" in before and "rehoused in Leeds" in before
    assert runner.invoke(args=["casebook", "erase", "S-GONE"]).exit_code == 0
    page = client.get("/cases/DA-9").get_data(as_text=True)
    api = client.get("/api/events?case=DA-9", headers=token.headers).get_data(as_text=True)
    for shown in (page, api):
        assert "S-GONE" not in shown and "rehoused in Leeds" not in shown
        assert "erased:" in shown and "[erased]" in shown


def test_an_oversized_body_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient, make_token: MakeToken
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    token = make_token("officer")
    big = b'{"events": [' + b" " * 1_200_000 + b"]}"
    api = client.post("/api/events", data=big, headers={**token.headers,
                                                        "Content-Type": "application/json"})
    assert api.status_code == 413 and api.is_json
    assert "larger than the 1.0 MB casebook accepts" in api.get_json()["message"]
    page = client.post("/sign-in", data={"username": "x" * 1_200_000, "password": "y"})
    assert page.status_code == 413
    assert "What you sent is too large" in page.get_data(as_text=True)


def test_an_import_file_over_the_limit_is_refused_and_nothing_written(
    app: Flask, runner: FlaskCliRunner, engine: Engine, tmp_path: Path
) -> None:
    app.config["MAX_IMPORT_BYTES"] = 2**20
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(f'{{"type": "referral.received", "scheme": "davss", "case": "C-{n}",'
                             f' "occurred_at": "2024-05-01"}}' for n in range(16_000)) + "\n")
    result = runner.invoke(args=["casebook", "import", str(big)])
    assert result.exit_code == 1
    assert "larger than the 1.0 MB casebook imports at once" in result.output
    assert "Nothing was imported" in result.output
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM events").scalar_one() == 0


def test_no_secret_key_is_committed_and_the_instance_folder_is_ignored() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    assignment = re.compile(r"""SECRET_KEY["']?\s*[:=]\s*["'][^"']+["']""")
    offenders = []
    for name in tracked:
        path = REPO / name
        if name.startswith("tests/") or not path.is_file() or path.suffix in {".png", ".woff2"}:
            continue
        text = path.read_text(errors="ignore")
        if assignment.search(text) or "BEGIN RSA PRIVATE KEY" in text:
            offenders.append(name)
    assert offenders == []
    assert not any(name.startswith("instance/") or name.endswith("secret_key") for name in tracked)
    ignored = subprocess.run(["git", "check-ignore", "instance/secret_key"], cwd=REPO,
                             capture_output=True, text=True)
    assert ignored.returncode == 0


def test_the_secret_key_is_generated_into_the_instance_folder_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    from casebook.settings import _instance_secret

    first = _instance_secret(tmp_path / "instance")
    assert len(first) == 64 and _instance_secret(tmp_path / "instance") == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_the_api_cannot_record_an_erasure_without_destroying_a_key(
    client: FlaskClient, make_token: MakeToken, engine: Engine
) -> None:
    token = make_token("officer")
    erasure = {"type": "subject.erased", "scheme": "davss", "occurred_at": "2024-05-01",
               "data": {"key": "5b0c3f4e-1111-4222-8333-944455556666"}}
    response = client.post("/api/events", json={"events": [erasure]}, headers=token.headers)
    assert response.status_code == 422
    assert "casebook erase" in json.dumps(response.get_json())
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM events").scalar_one() == 0
