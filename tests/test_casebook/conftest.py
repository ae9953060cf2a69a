"""Fixtures for the web app: users of each role, and test clients signed in through the real form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casebook.services.accounts import create_user


@dataclass(frozen=True)
class TestUser:
    """A user created for a test, with the password needed to sign in as them."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    id: int
    username: str
    password: str
    role: str
    schemes: frozenset[str] = field(default_factory=frozenset)


MakeUser = Callable[..., TestUser]
SignedIn = Callable[..., TestUser]

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    found = _CSRF_FIELD.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def make_user(app: Flask) -> MakeUser:
    """`make_user(role, schemes=(), username=None, password=None)` adds a user to the app's DB."""

    def make(role: str, schemes: Iterable[str] = (), username: str | None = None,
             password: str | None = None) -> TestUser:
        name = username or f"{role}-{uuid.uuid4().hex[:6]}"
        with app.app_context():
            # A test's own user has chosen its password: no change is asked for at sign-in.
            user, secret = create_user(name, role, schemes, password,
                                       hash_method=app.config["PASSWORD_HASH_METHOD"],
                                       must_change=False)
        return TestUser(user.id, name, secret, role, frozenset(schemes))

    return make


def sign_in(client: FlaskClient, username: str, password: str, next_url: str | None = None):
    """Post the real sign-in form, with the CSRF token it was served with."""
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    return client.post(url, data={"username": username, "password": password,
                                  "csrf_token": csrf_token_from(page.get_data(as_text=True))})


@pytest.fixture
def signed_in(make_user: MakeUser) -> SignedIn:
    """`signed_in(client, role, schemes=())` creates a user and signs `client` in as them."""

    def sign(client: FlaskClient, role: str, schemes: Iterable[str] = (),
             username: str | None = None) -> TestUser:
        user = make_user(role, schemes, username=username)
        response = sign_in(client, user.username, user.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign


@dataclass(frozen=True)
class TokenUser:
    """A test user and an API token that acts as them."""

    __test__ = False

    user: TestUser
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header the API expects."""
        return {"Authorization": f"Bearer {self.token}"}


MakeToken = Callable[..., TokenUser]


@pytest.fixture
def make_token(app: Flask, make_user: MakeUser) -> MakeToken:
    """`make_token(role, schemes=())` adds a user and an API token for them."""
    from casebook.services.accounts import create_token

    def make(role: str, schemes: Iterable[str] = ()) -> TokenUser:
        user = make_user(role, schemes)
        with app.app_context():
            token = create_token(user.username, "test token")
        return TokenUser(user, token)

    return make
