"""Signing in and out through the real form, CSRF, the layout and the error pages."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeUser, SignedIn, csrf_token_from, sign_in

pytestmark = ON_SQLITE_ONLY


def test_a_user_signs_in_with_the_right_password_and_lands_on_a_page_naming_them(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    response = sign_in(client, user.username, user.password)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert user.username in page.get_data(as_text=True)


def test_a_wrong_password_shows_an_error_summary_and_signs_nobody_in(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    response = sign_in(client, user.username, "not-the-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "Enter a correct username and password" in html
    assert 'value="' + user.username + '"' in html
    assert client.get("/signed-in").status_code == 302


def test_an_empty_form_names_each_missing_field(client: FlaskClient) -> None:
    response = sign_in(client, "", "")
    html = response.get_data(as_text=True)
    assert 'href="#username"' in html and "Enter your username" in html
    assert 'href="#password"' in html and "Enter your password" in html


def test_a_disabled_user_cannot_sign_in(client: FlaskClient, make_user: MakeUser, app) -> None:
    from casebook.models import User, writing_session

    user = make_user("officer")
    with app.app_context(), writing_session() as db:
        db.get(User, user.id).active = False  # type: ignore[union-attr]
    response = sign_in(client, user.username, user.password)
    assert response.status_code == 200
    assert "disabled" in response.get_data(as_text=True)


def test_signing_in_follows_a_local_next_address(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("viewer")
    response = sign_in(client, user.username, user.password, next_url="/signed-in?x=1")
    assert response.headers["Location"] == "/signed-in?x=1"


def test_signing_in_never_follows_a_next_address_to_another_site(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("viewer")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                   "javascript:alert(1)"):
        response = sign_in(client, user.username, user.password, next_url=target)
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
        assert response.headers["Location"].startswith("/")
        client.post("/sign-out", data={"csrf_token": _token(client)})


def _token(client: FlaskClient) -> str:
    return csrf_token_from(client.get("/sign-in").get_data(as_text=True))


def test_signing_out_ends_the_session(client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "officer")
    page = client.get("/signed-in").get_data(as_text=True)
    response = client.post("/sign-out", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert client.get("/signed-in").status_code == 302


def test_a_form_post_without_its_csrf_token_is_refused(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    response = client.post("/sign-in", data={"username": user.username,
                                             "password": user.password})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert client.get("/signed-in").status_code == 302


def test_signing_out_without_the_csrf_token_is_refused(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "officer")
    assert client.post("/sign-out").status_code == 400
    assert client.get("/signed-in").status_code == 200


def test_the_session_cookie_is_http_only_and_same_site(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    response = sign_in(client, user.username, user.password)
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("casebook_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_passwords_are_stored_as_scrypt_hashes(app, make_user: MakeUser) -> None:
    from casebook.models import User, reading_session
    from casebook.settings import DEFAULTS

    app.config["PASSWORD_HASH_METHOD"] = DEFAULTS["PASSWORD_HASH_METHOD"]
    user = make_user("officer")
    with app.app_context(), reading_session() as db:
        stored = db.get(User, user.id)
    assert stored is not None
    assert stored.password_hash.startswith("scrypt:")
    assert user.password not in stored.password_hash


def test_the_navigation_shows_only_the_links_a_role_may_use(
        client: FlaskClient, signed_in: SignedIn) -> None:
    signed_in(client, "viewer")
    html = client.get("/signed-in").get_data(as_text=True)
    assert ">Admin<" not in html.replace("\n", "").replace(" ", "")
    assert "Sign out" in html


def test_an_unknown_page_is_a_gov_uk_not_found_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "govuk-template" in html


def test_an_unknown_api_address_answers_in_json(client: FlaskClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_the_gov_uk_stylesheet_fonts_and_images_are_served(client: FlaskClient) -> None:
    import re

    html = client.get("/sign-in").get_data(as_text=True)
    css_href = re.search(r'href="([^"]*govuk-frontend\.min\.css)"', html)
    assert css_href
    css = client.get(css_href.group(1))
    assert css.status_code == 200
    urls = set(re.findall(r"url\((/assets/[^)]+)\)", css.get_data(as_text=True)))
    css.close()
    assert any("fonts" in u for u in urls) and any("images" in u for u in urls)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()
    script = client.get("/static/govuk/govuk-frontend.min.js")
    assert script.status_code == 200
    script.close()


def test_pages_carry_a_content_security_policy_that_lets_the_gov_uk_script_run(
        client: FlaskClient) -> None:
    response = client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_unexpected_failure_shows_a_gov_uk_page_or_json_on_the_api(app) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> str:
        raise RuntimeError("deliberate failure")

    app.add_url_rule("/broken-page", "broken_page", broken)
    app.add_url_rule("/api/broken", "broken_api", broken)
    client = app.test_client()
    page = client.get("/broken-page")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.get_data(as_text=True)
    assert "deliberate failure" not in page.get_data(as_text=True)
    api = client.get("/api/broken")
    assert api.status_code == 500 and api.get_json()["error"] == "internal_server_error"


def test_a_body_over_the_size_limit_is_refused_with_413(app, make_token) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    client = app.test_client()
    token = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"csrf_token": token, "username": "x" * 5000,
                                             "password": "y"})
    assert response.status_code == 413
    assert "What you sent is too large" in response.get_data(as_text=True)
    api = client.post("/api/events", data="[" + "1," * 1000 + "1]",
                      content_type="application/json", headers=make_token("officer").headers)
    assert api.status_code == 413 and "too_large" in api.get_json()["error"]


# --- the lock-out and the throttle live in the sign-in view itself --------------------------

WRONG = "not-the-password"


def _json_sign_in(client: FlaskClient, username: str, password: str):
    """A sign-in sent as JSON, with the CSRF token in the header Flask-WTF also reads."""
    token = _token(client)
    return client.post("/sign-in", json={"username": username, "password": password},
                       headers={"X-CSRFToken": token})


def _failures(app, username: str) -> int:
    import sqlalchemy as sa

    from casebook.services.access_log import access_log
    from casebook.services.sign_in import SIGN_IN_FAILED
    from casebook.services.usernames import username_key

    with app.app_context():
        from casebook.database import engine

        with engine().connect() as connection:
            return int(connection.execute(
                sa.select(sa.func.count()).select_from(access_log).where(
                    access_log.c.action == SIGN_IN_FAILED,
                    access_log.c.target == username_key(username))
            ).scalar_one())


def test_a_sign_in_sent_as_json_is_refused_with_400_and_signs_nobody_in(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    response = _json_sign_in(client, user.username, user.password)
    assert response.status_code == 400
    assert "Sign in with the form" in response.get_data(as_text=True)
    assert client.get("/signed-in").status_code == 302
    other = client.post("/sign-in", data=f"username={user.username}",
                        headers={"X-CSRFToken": _token(client)}, content_type="text/plain")
    assert other.status_code == 400


def test_a_locked_account_cannot_sign_in_with_a_json_body(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    for _ in range(5):
        sign_in(client, user.username, WRONG)
    assert sign_in(client, user.username, user.password).status_code == 403
    assert _json_sign_in(client, user.username, user.password).status_code == 400
    assert client.get("/signed-in").status_code == 302


def test_forty_wrong_tries_all_count_whatever_the_body(
        app, client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    answers = [_json_sign_in(client, user.username, WRONG).status_code for _ in range(20)]
    assert answers == [400] * 20
    answers = [sign_in(client, user.username, WRONG).status_code for _ in range(20)]
    assert answers == [200] * 4 + [403] * 16
    # Only the tries the view judged count, and tries while locked do not extend the lock.
    assert _failures(app, user.username) == 5
    assert sign_in(client, user.username, user.password).status_code == 403


def _outcome(response) -> tuple[int, str]:
    """The status and the error the sign-in page shows, with the time and the name left out."""
    import re

    found = re.search(r'href="#password">([^<]+)<', response.get_data(as_text=True))
    message = found.group(1) if found else ""
    return response.status_code, re.sub(r"Try again after [^,]+", "Try again after TIME", message)


def test_an_unknown_username_locks_exactly_like_a_known_one(
        app, client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer")
    known = [_outcome(sign_in(client, user.username, WRONG)) for _ in range(7)]
    unknown = [_outcome(sign_in(client, "nobody-at-all", WRONG)) for _ in range(7)]
    assert known == unknown
    assert [status for status, _ in known] == [200] * 4 + [403] * 3
    assert "locked after 5 failed sign-in attempts" in known[-1][1]
    assert _failures(app, "nobody-at-all") == 5


def test_failures_count_for_the_name_whatever_its_case_or_look_alike_spelling(
        client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user("officer", username="j.smith")
    for name in ("J.Smith", "j_smith", " j.smith", "J-SMITH", "j.smith"):
        sign_in(client, name, WRONG)
    assert sign_in(client, user.username, user.password).status_code == 403


def _insert_failures(app, username: str, minutes_ago: list[float]) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from casebook.database import engine
    from casebook.models import utc_now
    from casebook.services.access_log import access_log
    from casebook.services.sign_in import SIGN_IN_FAILED
    from casebook.services.usernames import username_key

    now = utc_now()
    with app.app_context(), engine().begin() as connection:
        connection.execute(sa.insert(access_log), [
            {"at": now - timedelta(minutes=m), "username": "(anonymous)",
             "action": SIGN_IN_FAILED, "target": username_key(username), "address": "10.9.9.9"}
            for m in minutes_ago])


def test_a_lock_ends_when_its_window_has_passed(
        app, client: FlaskClient, make_user: MakeUser) -> None:
    ended, current = make_user("officer"), make_user("officer")
    _insert_failures(app, ended.username, [20, 19, 18, 17, 16])
    _insert_failures(app, current.username, [20, 19, 18, 17, 14])
    assert sign_in(client, ended.username, ended.password).status_code == 302
    client.post("/sign-out", data={"csrf_token": _token(client)})
    # The lock set 14 minutes ago lasts its 15 minutes, though the first failures are older.
    refused = sign_in(client, current.username, current.password)
    assert refused.status_code == 403 and "locked" in refused.get_data(as_text=True)



def test_a_new_password_from_an_administrator_ends_a_lock(
        app, client: FlaskClient, make_user: MakeUser, signed_in: SignedIn) -> None:
    import re

    user = make_user("officer")
    for _ in range(5):
        sign_in(client, user.username, WRONG)
    admin = app.test_client()
    signed_in(admin, "admin")
    page = f"/admin/users/{user.id}"
    token = csrf_token_from(admin.get(page).get_data(as_text=True))
    shown = admin.post(f"{page}/password", data={"csrf_token": token}).get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", shown)
    assert password
    assert sign_in(client, user.username, password.group(1)).status_code == 302
