"""Security around the web app: sign-in lockout and throttling, HSTS, and the access log.

Every read of a case or an event, every export and download is recorded (who, when, what) in
`access_log`; administrators see it at /admin/access-log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from casebook.access_log import access_log, record
from casebook.auth import roles_required
from casebook.database import engine
from events.db import reading, writing
from events.quarters import utc_now
from events.tables import UTCDateTime

users = sa.Table(
    "users",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(128)),
    sa.Column("failed_logins", sa.Integer),
    sa.Column("locked_until", UTCDateTime),
)

#: Pages and downloads whose every successful response is recorded: endpoint -> action.
AUDITED = {
    "cases.show": "case-read",
    "events.show": "event-read",
    "events.download": "event-log-csv",
    "api.list_events": "api-events-read",
    "summaries.download": "summary-download",
}
SIGN_IN_FAILED = "sign-in-failed"

DEFAULTS: dict[str, Any] = {
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    #: Failed sign-ins from one address within the lockout window before it must wait.
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "HSTS_SECONDS": 365 * 24 * 3600,
}

bp = Blueprint("security", __name__, url_prefix="/admin")


def init_security(app: Flask) -> None:
    """Defaults, the HSTS header, the access log and its page, and the guard on sign-in."""
    for key, default in DEFAULTS.items():
        app.config.setdefault(key, default)
    app.after_request(_strict_transport)
    app.after_request(_record_access)
    app.register_blueprint(bp)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.view_functions["auth.sign_in"] = _guarded(app.view_functions["auth.sign_in"])


def _guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """The sign-in view behind the lockout and the per-address throttle, counting failures."""

    @wraps(view)
    def sign_in(*args: Any, **kwargs: Any) -> Any:
        username = (request.form.get("username") or "").strip()
        if request.method != "POST" or not username or not request.form.get("password"):
            return view(*args, **kwargs)
        if address_throttled():
            return _refused("Too many failed sign-ins have come from your network. Wait "
                            f"{current_app.config['LOGIN_LOCKOUT_MINUTES']} minutes and try "
                            "again.", 429)
        user_id = _user_id(username)
        until = locked_until(user_id) if user_id is not None else None
        if until is not None:
            return _refused(lockout_message(until), 403)
        response = view(*args, **kwargs)
        if current_user.is_authenticated and user_id is not None:
            signed_in(user_id)
            return response
        until = sign_in_failed(username, user_id)
        if until is not None:
            return _refused(lockout_message(until), 403)
        return response

    return sign_in


def _refused(message: str, status: int) -> tuple[str, int]:
    from casebook.auth import SignInForm

    form = SignInForm()
    form.password.errors = [message]
    return render_template("auth/sign_in.html", form=form, sign_in_error=message), status


def _user_id(username: str) -> int | None:
    with reading(engine()) as connection:
        found = connection.execute(sa.select(users.c.id).where(users.c.username == username))
        return found.scalar()


def _too_large(error: RequestEntityTooLarge) -> tuple[Any, int]:
    from flask import jsonify

    from casebook.auth import is_api_request
    from casebook.web import ERROR_PAGES

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (f"The request is larger than the {limit / 2**20:.1f} MB casebook accepts "
               "(CASEBOOK_MAX_UPLOAD_MB). Nothing was saved: send fewer events at a time.")
    if is_api_request():
        return jsonify(error="request_too_large", message=message), 413
    title, paragraphs = ERROR_PAGES[413]
    return render_template("errors/error.html", code=413, title=title,
                           paragraphs=paragraphs), 413


def _strict_transport(response: Response) -> Response:
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains",
        )
    return response


def _record_access(response: Response) -> Response:
    action = AUDITED.get(request.endpoint or "")
    if action is None or response.status_code != 200 or not current_user.is_authenticated:
        return response
    with writing(engine()) as connection:
        record(connection, current_user.username, action, request.full_path.rstrip("?"),
               request.remote_addr)
    return response


def lockout_message(until: datetime) -> str:
    """What a locked-out user is told."""
    from casebook.web import london

    return (f"This account is locked after {current_app.config['LOGIN_MAX_FAILURES']} failed "
            f"sign-in attempts. Try again after {london(until)}, or ask an administrator to "
            "reset your password.")


def address_throttled() -> bool:
    """Whether this address has failed to sign in too often within the lockout window."""
    since = utc_now() - timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    with reading(engine()) as connection:
        failures = connection.execute(
            sa.select(sa.func.count()).select_from(access_log).where(
                access_log.c.action == SIGN_IN_FAILED, access_log.c.at >= since,
                access_log.c.address == request.remote_addr,
            )
        ).scalar_one()
    return int(failures) >= current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def locked_until(user_id: int) -> datetime | None:
    """When the user's lockout ends, if they are locked out now."""
    with reading(engine()) as connection:
        until = connection.execute(
            sa.select(users.c.locked_until).where(users.c.id == user_id)
        ).scalar()
    return until if until is not None and until > utc_now() else None


def sign_in_failed(username: str, user_id: int | None) -> datetime | None:
    """Count a failed sign-in; returns when the account's new lockout ends, if it is now locked."""
    config = current_app.config
    with writing(engine()) as connection:
        record(connection, "(anonymous)", SIGN_IN_FAILED, username, request.remote_addr)
        if user_id is None:
            return None
        failures = connection.execute(
            sa.update(users).where(users.c.id == user_id)
            .values(failed_logins=users.c.failed_logins + 1)
            .returning(users.c.failed_logins)
        ).scalar_one()
        if failures < config["LOGIN_MAX_FAILURES"]:
            return None
        until = utc_now() + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        connection.execute(
            sa.update(users).where(users.c.id == user_id)
            .values(failed_logins=0, locked_until=until)
        )
        return until


def signed_in(user_id: int) -> None:
    """Clear the failure count after a good sign-in."""
    with writing(engine()) as connection:
        connection.execute(
            sa.update(users).where(users.c.id == user_id)
            .values(failed_logins=0, locked_until=None)
        )


@bp.route("/access-log")
@roles_required("admin")
def access_log_page() -> Any:
    """The latest entries of the access log, newest first, optionally for one user."""
    username = request.args.get("user") or None
    query = sa.select(access_log).order_by(access_log.c.id.desc()).limit(500)
    if username:
        query = query.where(access_log.c.username == username)
    with reading(engine()) as connection:
        entries = connection.execute(query).all()
    return render_template("admin/access_log.html", entries=entries, username=username)
