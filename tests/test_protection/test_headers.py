"""Behind a TLS proxy: HSTS and Secure cookies from trusted forwarded headers only; and no
download is ever kept in a cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from casebook import create_app
from casebook.web.pages.summaries import DOWNLOADS, VARIANTS
from tests.helpers import ON_SQLITE_ONLY, log, referral
from tests.test_casebook.conftest import MakeUser, SignedIn, csrf_token_from, sign_in
from tests.test_casebook.test_access_matrix import FILENAMES, PLAIN_SAMPLES, routes

pytestmark = ON_SQLITE_ONLY

#: Query strings a route needs to answer with its download rather than a refusal.
QUERIES = {"api.summary": {"year": "2024/25"}, "api.list_events": {"after": 0}}


@pytest.fixture
def proxied(database_url: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as configured behind one TLS proxy, through the environment."""
    monkeypatch.setenv("CASEBOOK_TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "k"})
    app.instance_path = str(tmp_path / "proxied")
    yield app
    app.extensions["casebook.engine"].dispose()


def _session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie")
                if c.startswith("casebook_session="))


def _sign_in(client: FlaskClient, user, **request: Any):
    """The sign-in form, fetched and posted with `request`'s options, as a browser over
    HTTPS does (it names the page the form came from: Flask-WTF checks it on HTTPS)."""
    headers = {**request.pop("headers", {}), "Referer": "https://localhost/sign-in"}
    page = client.get("/sign-in", headers=headers, **request)
    return client.post("/sign-in", headers=headers, **request, data={
        "username": user.username, "password": user.password,
        "csrf_token": csrf_token_from(page.get_data(as_text=True))})


def test_behind_a_trusted_proxy_https_gives_hsts_and_secure_cookies(
        proxied: Flask, make_user: MakeUser) -> None:
    client = proxied.test_client()
    page = client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    user = make_user("officer")
    signed = _sign_in(client, user, headers={"X-Forwarded-Proto": "https"})
    assert signed.status_code == 302
    assert "; Secure" in _session_cookie(signed)
    plain = proxied.test_client().get("/sign-in")
    assert "Strict-Transport-Security" not in plain.headers
    assert "; Secure" not in _session_cookie(plain)


def test_served_over_https_directly_the_session_cookie_is_secure(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    signed = _sign_in(client, user, base_url="https://localhost")
    assert signed.status_code == 302
    assert "; Secure" in _session_cookie(signed)


def test_behind_a_trusted_proxy_failures_count_for_the_address_it_forwards(
        proxied: Flask) -> None:
    proxied.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 2
    far, near = proxied.test_client(), proxied.test_client()
    far.environ_base.update(HTTP_X_FORWARDED_FOR="198.51.100.7")
    for n in range(2):
        assert sign_in(far, f"nobody-{n}", "wrong").status_code == 200
    assert sign_in(far, "nobody-9", "wrong").status_code == 429
    assert sign_in(near, "nobody-9", "wrong").status_code == 200


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(
        app: Flask, client: FlaskClient, make_user: MakeUser) -> None:
    client.environ_base.update(HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    user = make_user("officer")
    assert "; Secure" not in _session_cookie(sign_in(client, user.username, user.password))
    # A forged address does not escape the throttle either.
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 2
    for n in range(3):
        client.environ_base.update(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        status = sign_in(client, f"nobody-{n}", "wrong").status_code
    assert status == 429


def test_the_trusted_proxies_setting_defaults_to_none(app: Flask) -> None:
    assert app.config["TRUSTED_PROXIES"] == 0


# --- downloads ------------------------------------------------------------------------------

#: What makes a response a download: an attachment, or one of these file types.
DOWNLOAD_TYPES = {"text/csv", DOWNLOADS["xlsx"], "application/json"}


def _is_download(response) -> bool:
    return (response.headers.get("Content-Disposition", "").startswith("attachment")
            or response.mimetype in DOWNLOAD_TYPES)


def _paths(app: Flask, samples: dict[str, object]) -> Iterator[tuple[str, str]]:
    """(endpoint, path) for every GET route, every variant and format where a route has them."""
    for endpoint, method, arguments in routes(app):
        if method != "GET":
            continue
        choices: list[dict[str, object]] = [{}]
        if "fmt" in arguments:
            choices = [{"fmt": f, "variant": v} for f in DOWNLOADS for v in VARIANTS]
        for choice in choices:
            values = {name: FILENAMES[endpoint] if name == "filename" else samples[name]
                      for name in arguments}
            with app.test_request_context():
                yield endpoint, url_for(endpoint, **{**values, **choice,
                                                     **QUERIES.get(endpoint, {})})


def test_every_download_carries_no_store(
        app: Flask, engine: Engine, client: FlaskClient, signed_in: SignedIn,
        runner: FlaskCliRunner, make_token) -> None:
    stored = log(engine, referral(scheme="davss", subject="S-1"))[0]
    assert runner.invoke(args=["casebook", "summaries", "generate", "--year", "2024/25",
                               "--quarter", "Q1"]).exit_code == 0
    admin = signed_in(client, "admin")
    token = make_token("admin")
    samples = {**PLAIN_SAMPLES, "case_ref": stored.case_ref, "event_id": stored.event_id,
               "user_id": admin.id}
    downloads, cached = set(), []
    for endpoint, path in _paths(app, samples):
        headers = token.headers if path.startswith("/api/") else {}
        response = client.get(path, headers=headers)
        if response.status_code == 200 and _is_download(response):
            downloads.add(endpoint)
            if response.headers.get("Cache-Control") != "no-store":
                cached.append(f"{path}: {response.headers.get('Cache-Control')}")
        response.close()
    assert {"events.download", "summaries.download", "api.summary",
            "api.list_events"} <= downloads
    assert cached == []


def test_a_new_download_is_covered_without_naming_it(app: Flask, client: FlaskClient) -> None:
    from werkzeug.wrappers import Response

    app.add_url_rule("/new-export", "new_export", lambda: Response(
        "a,b\n", mimetype="text/plain",
        headers={"Content-Disposition": 'attachment; filename="x.txt"',
                 "Cache-Control": "max-age=3600"}))
    response = client.get("/new-export")
    assert response.headers["Cache-Control"] == "no-store"
