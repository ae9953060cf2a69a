"""Commands that manage people: `casebook user add|list|disable|enable|email`, `casebook token ...`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app

from casebook.models import ApiToken, User, reading_session, utc_now
from casebook.roles import ROLES, SCHEME_LIMITED
from casebook.services import two_step
from casebook.services.accounts import (
    AccountError,
    create_token,
    create_user,
    reset_password,
    revoke_token,
    set_active,
)
from casebook.services.user_email import EmailRefused, set_email


@click.group("user")
def user_group() -> None:
    """Add and list the people who sign in to casebook."""


@click.group("token")
def token_group() -> None:
    """Create and revoke API tokens."""


def _cli_error(error: AccountError) -> click.ClickException:
    return click.ClickException(error.message)


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--scheme", "scheme_ids", multiple=True,
              help="A scheme a partner may use (repeat for more).")
def add_user_command(username: str, role: str, scheme_ids: tuple[str, ...]) -> None:
    """Add a user and print their generated password."""
    if role not in SCHEME_LIMITED and scheme_ids:
        raise click.UsageError("only partners are limited to schemes; leave out --scheme")
    try:
        _, password = create_user(username, role, scheme_ids,
                                  hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except AccountError as error:
        raise _cli_error(error) from error
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
    try:
        secret = create_token(username, label or f"created {utc_now():%Y-%m-%d %H:%M} UTC")
    except AccountError as error:
        raise _cli_error(error) from error
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
    try:
        revoke_token(token_id)
    except AccountError as error:
        raise _cli_error(error) from error
    click.echo(f"Token {token_id} revoked.")


def _user_id(username: str) -> int:
    with reading_session() as db:
        found = db.execute(sa.select(User.id).where(User.username == username)).scalar()
    if found is None:
        raise click.ClickException(f"no user called {username!r}")
    return int(found)


@user_group.command("disable")
@click.argument("username")
def disable_user_command(username: str) -> None:
    """Stop USERNAME signing in and revoke their API tokens."""
    try:
        set_active(_user_id(username), False)
    except AccountError as error:
        raise _cli_error(error) from error
    click.echo(f"{username} disabled.")


@user_group.command("enable")
@click.argument("username")
def enable_user_command(username: str) -> None:
    """Let USERNAME sign in again."""
    set_active(_user_id(username), True)
    click.echo(f"{username} enabled.")


@user_group.command("email")
@click.argument("username")
@click.argument("address", required=False, default="")
def email_user_command(username: str, address: str) -> None:
    """Set where casebook's messages to USERNAME go (no ADDRESS: remove it)."""
    try:
        stored = set_email(username, address)
    except EmailRefused as error:
        raise click.ClickException(str(error)) from error
    except KeyError:
        raise click.ClickException(f"no user called {username!r}") from None
    click.echo(f"Messages to {username} go to {stored}." if stored
               else f"{username} has no email address.")


@user_group.command("reset-password")
@click.argument("username")
def reset_password_command(username: str) -> None:
    """Give USERNAME a new generated password, to change at their next sign-in; ends their
    sessions."""
    _, password = reset_password(_user_id(username), "(command line)",
                                 hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    click.echo(f"New password for {username}: {password}")
    click.echo("Give it to them now: it is not shown again.", err=True)


@user_group.command("reset-two-step")
@click.argument("username")
def reset_two_step_command(username: str) -> None:
    """Forget USERNAME's two-step secret and recovery codes (a lost phone); they set it up
    again at their next sign-in if their role needs it."""
    two_step.reset(_user_id(username), "(command line)")
    click.echo(f"Two-step sign-in reset for {username}.")
