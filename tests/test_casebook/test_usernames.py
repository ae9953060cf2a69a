"""A new username that could be mistaken for an existing one is refused, on the admin page and
by `casebook user add`."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from tests.helpers import ON_SQLITE_ONLY
from tests.test_casebook.conftest import MakeUser, SignedIn, csrf_token_from

pytestmark = ON_SQLITE_ONLY

#: Names that read as "j.smith" (case, separators, digits for letters, a stray dot or space).
LOOK_ALIKES = ["J.Smith", "j_smith", "j-smith", "j..smith", "j.srnith", "j.smlth", "J.SMITH"]
#: Names that are wrong whatever else exists: a dot or a space at either end.
BAD_ENDS = ["j.jones.", ".j.jones", " j.jones", "j.jones "]


def _add(app: Flask, signed_in: SignedIn, names: list[str]) -> dict[str, str]:
    """Each name posted to the new-user form: what the page said about it."""
    admin = app.test_client()
    signed_in(admin, "admin")
    said = {}
    for name in names:
        token = csrf_token_from(admin.get("/admin/users/new").get_data(as_text=True))
        response = admin.post("/admin/users/new", data={
            "username": name, "role": "officer", "csrf_token": token})
        said[name] = response.get_data(as_text=True)
    return said


def test_the_admin_page_refuses_a_username_like_an_existing_one(
        app: Flask, signed_in: SignedIn, make_user: MakeUser) -> None:
    make_user("officer", username="j.smith")
    for name, page in _add(app, signed_in, LOOK_ALIKES).items():
        assert "User added" not in page, name
        assert 'href="#username"' in page and "too like j.smith" in page, name


def test_the_admin_page_refuses_a_dot_or_space_at_either_end(
        app: Flask, signed_in: SignedIn) -> None:
    for name, page in _add(app, signed_in, BAD_ENDS).items():
        assert "User added" not in page, repr(name)
        assert 'href="#username"' in page, repr(name)


def test_user_add_refuses_a_look_alike_username(
        runner: FlaskCliRunner, make_user: MakeUser) -> None:
    make_user("officer", username="j.smith")
    for name in LOOK_ALIKES + BAD_ENDS:
        result = runner.invoke(args=["casebook", "user", "add", name, "--role", "viewer"])
        assert result.exit_code != 0, (name, result.output)
        assert "Error" in result.output and "Password" not in result.output
    for name in LOOK_ALIKES:
        result = runner.invoke(args=["casebook", "user", "add", name, "--role", "viewer"])
        assert "too like j.smith" in result.output


def test_different_names_are_still_welcome(
        runner: FlaskCliRunner, make_user: MakeUser) -> None:
    make_user("officer", username="j.smith")
    for name in ("j.smithson", "k.smith", "a.jones"):
        result = runner.invoke(args=["casebook", "user", "add", name, "--role", "viewer"])
        assert result.exit_code == 0, result.output
