"""A person's own account: changing their password, and the code step of two-step sign-in
(setting it up, then giving a code or a recovery code after the password)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from casebook.models import SignInSession, utc_now
from casebook.roles import SIGNED_IN
from casebook.services import passwords, two_step
from casebook.services.accounts import AccountError
from casebook.web import clock, sessions, signing_in
from casebook.web.auth import home_url, is_api_request, requires, safe_next

bp = Blueprint("account", __name__)

#: What someone who must change their password may still reach.
PASSWORD_EXEMPT = frozenset({"account.password", "auth.sign_out", "static", "govuk_assets"})
PASSWORD_FIELDS = ("current_password", "new_password", "confirm_password")


@bp.before_app_request
def _insist_on_a_new_password() -> Response | None:
    """A password an administrator gave is known to two people: until its owner chooses their
    own, every page leads to the change-password page. API tokens are no passwords: unaffected."""
    if is_api_request() or request.endpoint in PASSWORD_EXEMPT:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("account.password"))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@requires(SIGNED_IN)
def password() -> Any:
    """Change one's own password, with the current one; signs out every other session."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in PASSWORD_FIELDS}
        session_id = session.get(sessions.SESSION_KEY)
        try:
            passwords.change_own_password(
                current_user.id, typed["current_password"], typed["new_password"],
                typed["confirm_password"], hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                keep_session=SignInSession.hash_of(session_id) if session_id else None,
                address=request.remote_addr)
        except AccountError as error:
            errors[error.field] = error.message
        else:
            flash("Your password has been changed. You have been signed out everywhere else "
                  "you were signed in.", "success")
            return redirect(home_url())
    return render_template("account/password.html", errors=errors,
                           must_change=current_user.must_change_password,
                           shortest=passwords.MIN_PASSWORD_LENGTH)


def _pending_or_sign_in() -> Any:
    """The user whose sign-in waits for a code, or the sign-in page to start again."""
    user = signing_in.pending_user(utc_now())
    if user is None:
        flash("Sign in again: the time to give a code ran out.", "info")
        return None, redirect(url_for("auth.sign_in"))
    return user, None


@bp.route("/sign-in/two-step", methods=["GET", "POST"])
def sign_in_code() -> Any:
    """The second step: a code from the authenticator app, or a recovery code."""
    user, away = _pending_or_sign_in()
    if away is not None:
        return away
    if not two_step.is_enrolled(user):
        return redirect(url_for("account.set_up_two_step"))
    error, status = None, 200
    if request.method == "POST":
        now = utc_now()
        refused = signing_in.refusal(user, now)
        if refused is not None:
            return _code_page(*refused)
        if two_step.verify(user.id, request.form.get("code", ""), clock.now(),
                           current_app.config["SECRET_KEY"], request.remote_addr):
            next_url = signing_in.pending_next()
            signing_in.finish(user, now)
            left = two_step.recovery_codes_left(user.id)
            if left < two_step.RECOVERY_CODES // 2:
                flash(f"You have {left} recovery code{'s' if left != 1 else ''} left: ask an "
                      "administrator to reset two-step sign-in if you run out.", "info")
            return redirect(safe_next(next_url) or home_url())
        error, status = signing_in.code_failed(user, now)
    return _code_page(error, status)


def _code_page(error: str | None, status: int = 200) -> Any:
    errors = {"code": error} if error else {}
    return render_template("auth/two_step_code.html", errors=errors), status


@bp.route("/sign-in/two-step/set-up", methods=["GET", "POST"])
def set_up_two_step() -> Any:
    """Setting up two-step sign-in, after the password: the secret to add to an app, then a
    code from the app to show it works, then the recovery codes, once."""
    user, away = _pending_or_sign_in()
    if away is not None:
        return away
    if two_step.is_enrolled(user):
        return redirect(url_for("account.sign_in_code"))
    app_secret = current_app.config["SECRET_KEY"]
    secret = two_step.begin_enrolment(user.id, app_secret)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        now = utc_now()
        refused = signing_in.refusal(user, now)
        if refused is not None:
            errors["code"], status = refused
        else:
            codes = two_step.confirm_enrolment(user.id, request.form.get("code", ""),
                                               clock.now(), app_secret, request.remote_addr)
            if codes is not None:
                next_url = signing_in.pending_next()
                signing_in.finish(user, now)
                # Shown in this response only, as a new password is: never stored in the clear.
                return render_template("account/recovery_codes.html", codes=codes,
                                       next_url=safe_next(next_url) or home_url())
            errors["code"], status = signing_in.code_failed(user, now)
    return render_template("auth/two_step_set_up.html", errors=errors, user=user,
                           secret=secret, grouped=" ".join(secret[i:i + 4]
                                                           for i in range(0, len(secret), 4)),
                           uri=two_step.provisioning_uri(secret, user.username)), status
