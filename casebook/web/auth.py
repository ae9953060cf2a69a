"""Signing in and out, and the permission rules every page and API endpoint uses."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import AnonymousUserMixin, LoginManager, current_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from casebook.database import engine
from casebook.models import ApiToken, User, reading_session, utc_now, writing_session
from casebook.roles import ALL_SCHEMES, LOG_EVENTS, READ_FIGURES, SCHEME_LIMITED, SIGNED_IN, may
from casebook.services import sign_in as lockout
from casebook.services import two_step
from casebook.services.usernames import username_key
from casebook.web import sessions, signing_in
from casebook.web.api.errors import api_error
from events.db import reading, writing

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

#: How often a token's last-used time is written: every request would turn reads into writes.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

#: The only bodies a sign-in may come as: Flask-WTF would also read a JSON body, which no
#: sign-in form sends.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class Anonymous(AnonymousUserMixin):
    """Someone not signed in: no role, no schemes."""

    role: str | None = None
    username = "anonymous"
    scheme_ids: frozenset[str] = frozenset()


def is_api_request() -> bool:
    """Whether this request is for the JSON API, which authenticates by bearer token only."""
    return request.path == "/api" or request.path.startswith("/api/")


def init_auth(app: Flask) -> None:
    """Set up Flask-Login: sessions for pages, bearer tokens for the API."""
    manager = LoginManager()
    manager.login_view = "auth.sign_in"
    manager.login_message = "Sign in to continue."
    manager.login_message_category = "info"
    manager.session_protection = "strong"
    # Flask-Login's own identifier trusts X-Forwarded-For as sent, which anyone can forge.
    manager._session_identifier_generator = sessions.browser_identifier
    manager.anonymous_user = Anonymous
    manager.user_loader(_load_session_user)
    manager.init_app(app)
    app.before_request(_authenticate_api_request)


def _authenticate_api_request() -> None:
    # The API decides who is calling from the bearer token alone, before Flask-Login would look
    # at the session: a browser's cookie (even an anonymous one holding only a CSRF token) must
    # neither authenticate an API call nor, through session protection, hide a valid token.
    # Flask-Login reads the request's user from g._login_user once it is set.
    if is_api_request():
        g._login_user = _load_token_user(request) or Anonymous()


def _load_session_user(user_id: str) -> User | None:
    # The API never trusts the session cookie: it is exempt from CSRF, so a cookie would let any
    # site post events in a signed-in officer's name.
    if is_api_request() or not user_id.isdigit():
        return None
    # Flask-Login relaxes strong protection to basic for permanent sessions (all of ours): a
    # cookie used from another browser or address must sign nobody in.
    if (session.get("_id") != sessions.browser_identifier()
            or sessions.user_of(session.get(sessions.SESSION_KEY), utc_now()) != int(user_id)):
        # Forget who this was, and nothing else: the page may already hold a CSRF token.
        session.pop("_user_id", None)
        session.pop(sessions.SESSION_KEY, None)
        return None
    with reading_session() as db:
        user = db.get(User, int(user_id))
    return user if user is not None and user.active else None


def _load_token_user(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = ApiToken.hash_of(token.strip())
    with reading_session() as db:
        found = db.execute(
            sa.select(ApiToken).where(ApiToken.token_hash == digest,
                                      ApiToken.revoked_at.is_(None))
        ).scalar_one_or_none()
        user = found.user if found is not None else None
        if user is not None:
            user.schemes  # noqa: B018 -- load them before the session closes
    if found is None or user is None or not user.active:
        return None
    now = utc_now()
    if found.last_used_at is None or now - found.last_used_at > TOKEN_TOUCH_INTERVAL:
        with writing_session() as db:
            db.execute(sa.update(ApiToken).where(ApiToken.id == found.id)
                       .values(last_used_at=now))
    return user


# --- the permission API ---------------------------------------------------------------------

def role_of(user: Any) -> str | None:
    """The signed-in user's role, or None when nobody is signed in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return cast(str | None, getattr(user, "role", None))


def readable_schemes(user: Any) -> set[str] | None:
    """The schemes whose events and cases `user` may read; None means every scheme."""
    role = role_of(user)
    if may(role, ALL_SCHEMES):
        return None
    if may(role, SCHEME_LIMITED):
        return set(user.scheme_ids)
    return set()


def can_read_events(user: Any, scheme: str) -> bool:
    """Whether `user` may read events and cases in `scheme`."""
    schemes = readable_schemes(user)
    return schemes is None or scheme in schemes


def can_log(user: Any, scheme: str) -> bool:
    """Whether `user` may log events in `scheme` (the same schemes they may read)."""
    return may(role_of(user), LOG_EVENTS) and can_read_events(user, scheme)


def can_read_figures(user: Any) -> bool:
    """Whether `user` may read figures and summaries: every signed-in role may."""
    return may(role_of(user), READ_FIGURES)


def requires(capability: frozenset[str]) -> Callable[[F], F]:
    """Let in only signed-in users whose role has `capability` (from casebook.roles): others
    signed in get 403, and anyone else the sign-in page (or 401 on the API)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if is_api_request():
                    return _api_unauthorised()
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not may(current_user.role, capability):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def _api_unauthorised() -> Response:
    return api_error(401, "Send a valid API token: Authorization: Bearer TOKEN.")


# --- signing in and out ---------------------------------------------------------------------

class SignInForm(FlaskForm):
    """The sign-in form."""

    username = StringField("Username", validators=[InputRequired("Enter your username")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])


@cache
def _unknown_user_hash(method: str) -> str:
    """A hash of no one's password, made as users' are, so both cost the same to check."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: never redirect off-site after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def home_url() -> str:
    """Where a signed-in user lands: the dashboard, which every role may read."""
    return url_for("dashboard.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Show the sign-in form and sign the user in, behind the lock-out and the throttle."""
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        return _sign_in_page(SignInForm(formdata=None), "Sign in with the form on this page: "
                             "casebook takes a username and password as a form post only.", 400)
    form = SignInForm()
    if not form.validate_on_submit():
        return _sign_in_page(form)
    username = (form.username.data or "").strip()
    key, address, now = username_key(username), request.remote_addr, utc_now()
    policy = lockout.Policy.from_settings(current_app.config)
    with reading(engine()) as connection:
        refusal = lockout.refused(connection, policy, key, address, now)
    if refusal is not None:
        return _sign_in_page(form, *refusal)
    user, error = _check_credentials(username, form.password.data or "")
    if user is None:
        with writing(engine()) as connection:
            until = lockout.failed(connection, policy, key, address, now)
        if until is not None:
            return _sign_in_page(form, lockout.lockout_message(policy, until), 403)
        return _sign_in_page(form, error)
    if two_step.asks_for_code(user):
        signing_in.start_second_step(user, safe_next(request.args.get("next")), now)
        return redirect(url_for("account.sign_in_code" if two_step.is_enrolled(user)
                                else "account.set_up_two_step"))
    signing_in.finish(user, now)
    return redirect(safe_next(request.args.get("next")) or home_url())


def _check_credentials(username: str, password: str) -> tuple[User | None, str | None]:
    """The user these credentials sign in, or None and why not."""
    with reading_session() as db:
        user = db.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Hash anyway, so the response time does not tell which usernames exist.
        check_password_hash(_unknown_user_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None, "Enter a correct username and password"
    if not user.check_password(password):
        return None, "Enter a correct username and password"
    if not user.active:
        return None, "This account has been disabled: ask an administrator"
    return user, None


def _sign_in_page(form: SignInForm, error: str | None = None, status: int = 200) -> Any:
    if error:
        form.password.errors = [error]
    return render_template("auth/sign_in.html", form=form, sign_in_error=error), status


@bp.route("/signed-in")
@requires(SIGNED_IN)
def signed_in() -> Any:
    """A plain page for any signed-in user: who they are signed in as, and the pages they may use."""
    return render_template("auth/signed_in.html")


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """Sign the user out everywhere (a POST, so no other site can sign people out with a link)."""
    if current_user.is_authenticated:
        sessions.sign_out_everywhere(current_user.id)
    logout_user()
    session.clear()
    flash("You have been signed out.", "success")
    return redirect(url_for("auth.sign_in"))
