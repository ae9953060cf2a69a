"""The user and token commands."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskCliRunner

from tests.test_casebook.conftest import sign_in


def test_user_add_prints_a_password_that_signs_in(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["casebook", "user", "add", "j.smith", "--role", "officer"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password: (\S+)", result.output)
    assert password
    assert sign_in(app.test_client(), "j.smith", password.group(1)).status_code == 302


def test_user_add_refuses_a_partner_without_a_scheme_and_an_unknown_scheme(
        runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["casebook", "user", "add", "pa", "--role", "partner"])
    assert result.exit_code != 0 and "scheme" in result.output
    result = runner.invoke(args=["casebook", "user", "add", "p2", "--role", "partner",
                                 "--scheme", "nowhere"])
    assert result.exit_code != 0 and "nowhere" in result.output
    result = runner.invoke(args=["casebook", "user", "add", "ol", "--role", "officer",
                                 "--scheme", "davss"])
    assert result.exit_code != 0


def test_user_add_refuses_a_name_already_taken(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["casebook", "user", "add", "sam", "--role", "viewer"]
                         ).exit_code == 0
    again = runner.invoke(args=["casebook", "user", "add", "sam", "--role", "viewer"])
    assert again.exit_code != 0 and "already" in again.output


def test_user_list_shows_roles_schemes_and_status(runner: FlaskCliRunner) -> None:
    runner.invoke(args=["casebook", "user", "add", "pat", "--role", "partner",
                        "--scheme", "davss", "--scheme", "channel"])
    runner.invoke(args=["casebook", "user", "add", "vic", "--role", "viewer"])
    runner.invoke(args=["casebook", "user", "disable", "vic"])
    lines = runner.invoke(args=["casebook", "user", "list"]).output.splitlines()
    assert "pat\tpartner\tchannel,davss\tactive" in lines
    assert "vic\tviewer\t-\tdisabled" in lines


def test_token_create_prints_the_token_alone_and_it_works(
        app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["casebook", "user", "add", "robot", "--role", "officer"])
    result = runner.invoke(args=["casebook", "token", "create", "robot"])
    assert result.exit_code == 0
    token = result.stdout
    assert re.fullmatch(r"cb_[A-Za-z0-9_-]{40,}\n", token)
    response = app.test_client().get(
        "/api/events", headers={"Authorization": f"Bearer {token.strip()}"})
    assert response.status_code == 200


def test_token_create_for_an_unknown_user_fails(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["casebook", "token", "create", "nobody"])
    assert result.exit_code != 0 and result.stdout == ""


def test_tokens_are_stored_only_as_hashes(app: Flask, runner: FlaskCliRunner) -> None:
    import sqlalchemy as sa

    from casebook.models import ApiToken, reading_session

    runner.invoke(args=["casebook", "user", "add", "robot", "--role", "officer"])
    token = runner.invoke(args=["casebook", "token", "create", "robot"]).stdout.strip()
    with app.app_context(), reading_session() as db:
        stored = db.execute(sa.select(ApiToken.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64
