"""Commands that manage people: `casebook user add|list|role|disable|enable`, `casebook token create|list|revoke`."""

from __future__ import annotations

from collections.abc import Iterable

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from casebook.cli import casebook_group
from casebook.models import (
    ROLES,
    ApiToken,
    User,
    UserScheme,
    generate_password,
    reading_session,
    utc_now,
    writing_session,
)
from events.tables import schemes as schemes_table

user_group = AppGroup("user", help="Add and list the people who sign in to casebook.")
token_group = AppGroup("token", help="Create and revoke API tokens.")
casebook_group.add_command(user_group)
casebook_group.add_command(token_group)


class UnknownScheme(click.ClickException):
    """A scheme named on the command line that casebook does not have."""


def known_schemes() -> set[str]:
    """Every scheme id in the database."""
    from casebook.database import engine
    from events.db import reading

    with reading(engine()) as connection:
        return set(connection.execute(sa.select(schemes_table.c.scheme_id)).scalars())


def check_schemes(role: str, scheme_ids: Iterable[str]) -> list[str]:
    """The scheme ids, checked to exist and to make sense for `role`."""
    chosen = sorted(set(scheme_ids))
    missing = [s for s in chosen if s not in known_schemes()]
    if missing:
        raise UnknownScheme(f"no such scheme: {', '.join(missing)} "
                            f"(known: {', '.join(sorted(known_schemes()))})")
    if role == "partner" and not chosen:
        raise click.UsageError("a partner needs at least one --scheme")
    if role != "partner" and chosen:
        raise click.UsageError("only partners are limited to schemes; leave out --scheme")
    return chosen


def create_user(username: str, role: str, scheme_ids: Iterable[str] = (),
                password: str | None = None) -> tuple[User, str]:
    """Add a user; returns the user and their password (generated unless given)."""
    chosen = check_schemes(role, scheme_ids)
    password = password or generate_password()
    with writing_session() as db:
        if db.execute(sa.select(User.id).where(User.username == username)).first():
            raise click.ClickException(f"there is already a user called {username!r}")
        user = User(username=username, role=role, active=True, failed_logins=0,
                    schemes=[UserScheme(scheme_id=s) for s in chosen])
        user.set_password(password)
        db.add(user)
    return user, password


def create_token(username: str, name: str) -> str:
    """Create an API token for `username`; returns the secret, which is never stored."""
    secret = ApiToken.new_secret()
    with writing_session() as db:
        user = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no user called {username!r}")
        if not user.active:
            raise click.ClickException(f"{username} is disabled")
        db.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash_of(secret), name=name))
    return secret


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--scheme", "scheme_ids", multiple=True,
              help="A scheme a partner may use (repeat for more).")
def add_user_command(username: str, role: str, scheme_ids: tuple[str, ...]) -> None:
    """Add a user and print their generated password."""
    _, password = create_user(username, role, scheme_ids)
    click.echo(f"User {username} ({role}) added. Password: {password}")
    click.echo("Give them the password now: it is not shown again.", err=True)


@user_group.command("list")
def list_users_command() -> None:
    """List every user, their role, schemes and whether they may sign in."""
    with reading_session() as db:
        users = db.execute(sa.select(User).order_by(User.username)).scalars().all()
    for user in users:
        schemes = ",".join(sorted(user.scheme_ids)) or "-"
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{user.role}\t{schemes}\t{state}")


@token_group.command("create")
@click.argument("username")
@click.option("--name", "label", default=None, help="What the token is for.")
def create_token_command(username: str, label: str | None) -> None:
    """Create an API token for USERNAME and print it alone, so scripts can capture it."""
    secret = create_token(username, label or f"created {utc_now():%Y-%m-%d %H:%M} UTC")
    click.echo(secret)


@token_group.command("list")
def list_tokens_command() -> None:
    """List API tokens (never their secrets)."""
    with reading_session() as db:
        rows = db.execute(
            sa.select(ApiToken.id, User.username, ApiToken.name, ApiToken.created_at,
                      ApiToken.last_used_at, ApiToken.revoked_at)
            .join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        ).all()
    for id_, username, name, created, used, revoked in rows:
        state = f"revoked {revoked:%Y-%m-%d}" if revoked else "active"
        last = f"{used:%Y-%m-%d %H:%M}" if used else "never used"
        click.echo(f"{id_}\t{username}\t{name}\t{created:%Y-%m-%d}\t{last}\t{state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke the API token with TOKEN_ID (see `casebook token list`)."""
    with writing_session() as db:
        token = db.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"no token {token_id}")
        token.revoked_at = token.revoked_at or utc_now()
    click.echo(f"Token {token_id} revoked.")
