"""Signing in and out through the real form, CSRF, the layout and the error pages."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.test_casebook.conftest import MakeUser, SignedIn, csrf_token_from, sign_in


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
