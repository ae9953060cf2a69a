"""Admin pages: people (add, role and schemes, disable, new password) and schemes (add, change, retire)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casebook.database import engine
from casebook.models import User, reading_session
from casebook.roles import ADMINISTER, ALL_SCHEMES, DESCRIPTIONS, ROLES, SCHEME_LIMITED
from casebook.services import accounts, case_references, due_settings, two_step
from casebook.services.access_log import access_log as access_log_table
from casebook.services.accounts import SCHEME_FIELDS, AccountError
from casebook.web.audit import audited
from casebook.web.auth import requires
from events.db import reading
from projections.due_items import DueRules

bp = Blueprint("admin", __name__, url_prefix="/admin")

@bp.before_request
@requires(ADMINISTER)
def _admins_only() -> None:
    """Every admin page is for administrators alone."""


@bp.get("")
def index() -> Any:
    """The admin start page."""
    return render_template("admin/index.html")


@bp.get("/users")
def users() -> Any:
    """Everyone who can sign in, or could."""
    with reading_session() as db:
        found = db.execute(sa.select(User).order_by(User.username)).scalars().all()
    return render_template("admin/users.html", users=found, scheme_limited=SCHEME_LIMITED,
                           all_schemes=ALL_SCHEMES)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    """Add a user; their generated password is shown once."""
    form: dict[str, Any] = {"username": "", "role": "", "schemes": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        # Not stripped: a space at either end is refused, never silently dropped.
        form = {"username": request.form.get("username", ""),
                "role": request.form.get("role", ""),
                "schemes": request.form.getlist("schemes")}
        errors = accounts.new_user_problems(form["username"], form["role"], form["schemes"])
        if not errors:
            try:
                user, password = accounts.create_user(
                    form["username"], form["role"], form["schemes"],
                    hash_method=current_app.config["PASSWORD_HASH_METHOD"])
            except AccountError as error:
                errors[error.field] = error.message
            else:
                # Shown in this response only: a redirect would have to carry the password.
                return render_template("admin/password.html", user=user, password=password,
                                       added=True)
    return render_template("admin/user_form.html", form=form, errors=errors,
                           schemes=accounts.all_schemes(), roles=DESCRIPTIONS, user=None)


def user_or_404(user_id: int) -> User:
    """The user with this id, or a 404 page."""
    with reading_session() as db:
        found = db.get(User, user_id)
    if found is None:
        abort(404)
    return found


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Any:
    """A user's role and schemes, to change."""
    found = user_or_404(user_id)
    form: dict[str, Any] = {"username": found.username, "role": found.role,
                            "schemes": sorted(found.scheme_ids)}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form.update(role=request.form.get("role", ""), schemes=request.form.getlist("schemes"))
        try:
            accounts.change_access(user_id, str(form["role"]), form["schemes"])
        except AccountError as error:
            errors[error.field if error.field in ("role", "schemes") else "role"] = error.message
        else:
            flash(f"{found.username} is now: {DESCRIPTIONS[str(form['role'])]}.", "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/user_form.html", form=form, errors=errors,
                           schemes=accounts.all_schemes(), roles=DESCRIPTIONS, user=found,
                           tokens=accounts.tokens_of(user_id))


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int) -> Any:
    """Disable a user (and revoke their API tokens), or enable them again."""
    active = request.form.get("active") == "yes"
    try:
        changed = accounts.set_active(user_id, active)
    except AccountError as error:
        if error.field == "user":
            abort(404)
        flash(error.message, "error")
    else:
        flash(f"{changed.username} {'enabled' if active else 'disabled'}.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens")
def user_token(user_id: int) -> Any:
    """Create an API token for a user, shown once."""
    found = user_or_404(user_id)
    name = request.form.get("name", "").strip()[:200] or "created on the admin pages"
    try:
        secret = accounts.create_token(found.username, name)
    except AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/token.html", user=found, token=secret, name=name)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
def user_token_revoke(user_id: int, token_id: int) -> Any:
    """Revoke one of a user's API tokens."""
    try:
        token = accounts.revoke_token(token_id, user_id)
    except AccountError:
        abort(404)
    flash(f"Token “{token.name}” revoked: it no longer works.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int) -> Any:
    """Give a user a new generated password, shown once."""
    try:
        changed, password = accounts.reset_password(
            user_id, current_user.username, hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except AccountError:
        abort(404)
    return render_template("admin/password.html", user=changed, password=password, added=False)


@bp.route("/two-step", methods=["GET", "POST"])
def two_step_sign_in() -> Any:
    """Which roles must sign in with a code from an app as well as their password."""
    if request.method == "POST":
        chosen = set(request.form.getlist("roles")) & set(ROLES)
        two_step.set_required_roles(chosen, current_user.username)
        flash("Two-step sign-in is now required of: "
              + (", ".join(DESCRIPTIONS[r].partition(":")[0].lower() + "s" for r in ROLES
                           if r in chosen) or "no one") + ".", "success")
        return redirect(url_for("admin.two_step_sign_in"))
    return render_template("admin/two_step.html", required=two_step.required_roles(),
                           roles=DESCRIPTIONS)


@bp.post("/users/<int:user_id>/two-step/reset")
def user_two_step_reset(user_id: int) -> Any:
    """Forget a user's two-step secret and recovery codes (a lost phone)."""
    try:
        changed = two_step.reset(user_id, current_user.username)
    except LookupError:
        abort(404)
    flash(f"Two-step sign-in reset for {changed.username}: they set it up again when they next "
          "sign in, if their role needs it.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.get("/schemes")
def schemes() -> Any:
    """Every scheme, current and retired."""
    return render_template("admin/schemes.html", schemes=accounts.all_schemes())


@bp.route("/schemes/new", methods=["GET", "POST"])
def new_scheme() -> Any:
    """Add a scheme."""
    form = {"scheme_id": "", **{name: "" for name in SCHEME_FIELDS}, "case_prefix": "",
            **due_settings.form_values(DueRules())}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {name: request.form.get(name, _kept(name, form)).strip() for name in form}
        fields = {name: form[name] for name in SCHEME_FIELDS}
        # The numbers are checked before anything is written, so a wrong one changes nothing.
        rules, errors = due_settings.check_due_rules(form)
        try:
            if rules is not None:
                prefix = case_references.check_prefix(form["scheme_id"], form["case_prefix"])
                accounts.add_scheme(form["scheme_id"], fields, current_user.username)
                if prefix:
                    case_references.set_prefix(form["scheme_id"], prefix, current_user.username)
                due_settings.set_due_rules(form["scheme_id"], rules, current_user.username)
        except AccountError as error:
            errors[error.field] = error.message
        if not errors:
            flash(f"Scheme {form['name']} added.", "success")
            return redirect(url_for("admin.scheme", scheme_id=form["scheme_id"]))
    return render_template("admin/scheme_form.html", form=form, errors=errors, scheme=None,
                           history=[], due_settings=due_settings.SETTINGS)


@bp.route("/schemes/<scheme_id>", methods=["GET", "POST"])
def scheme(scheme_id: str) -> Any:
    """A scheme, its history, and a form to change its name, lead or priority."""
    found = next((s for s in accounts.all_schemes() if s.scheme_id == scheme_id), None)
    if found is None:
        abort(404)
    form = {"scheme_id": scheme_id, **{name: getattr(found, name) for name in SCHEME_FIELDS},
            "case_prefix": case_references.scheme_prefix(scheme_id),
            **due_settings.form_values(due_settings.scheme_due_rules(scheme_id))}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form.update({name: request.form.get(name, _kept(name, form)).strip() for name in form
                     if name != "scheme_id"})
        # The numbers are checked before anything is written, so a wrong one changes nothing.
        rules, errors = due_settings.check_due_rules(form)
        try:
            if rules is not None:
                case_references.check_prefix(scheme_id, form["case_prefix"])
                changed = accounts.change_scheme(
                    scheme_id, {name: form[name] for name in SCHEME_FIELDS}, current_user.username)
                changed += case_references.set_prefix(scheme_id, form["case_prefix"],
                                                      current_user.username)
                changed += due_settings.set_due_rules(scheme_id, rules, current_user.username)
        except AccountError as error:
            errors[error.field] = error.message
        if not errors:
            flash(f"{changed} change{'s' if changed != 1 else ''} saved." if changed
                  else "Nothing was changed.", "success")
            return redirect(url_for("admin.scheme", scheme_id=scheme_id))
    return render_template("admin/scheme_form.html", form=form, errors=errors, scheme=found,
                           history=accounts.scheme_history(scheme_id),
                           due_settings=due_settings.SETTINGS)


def _kept(name: str, form: dict[str, str]) -> str:
    """What a field left out of a post stands for: a due rule keeps its number (a post from a
    script or an older page need not send them), any other field is empty."""
    return form[name] if name in due_settings.NAMES else ""


@bp.post("/schemes/<scheme_id>/retired")
def scheme_retired(scheme_id: str) -> Any:
    """Retire a scheme, so nothing new is logged to it, or bring it back."""
    retire = request.form.get("retired") == "yes"
    try:
        accounts.set_retired(scheme_id, retire, current_user.username)
    except AccountError:
        abort(404)
    flash("Scheme retired: nothing new can be logged to it." if retire
          else "Scheme back in use.", "success")
    return redirect(url_for("admin.scheme", scheme_id=scheme_id))


@bp.route("/access-log")
@audited("access-log-read")
@requires(ADMINISTER)
def access_log() -> Any:
    """The latest entries of the access log, newest first, optionally for one user."""
    username = request.args.get("user") or None
    query = sa.select(access_log_table).order_by(access_log_table.c.id.desc()).limit(500)
    if username:
        query = query.where(access_log_table.c.username == username)
    with reading(engine()) as connection:
        entries = connection.execute(query).all()
    return render_template("admin/access_log.html", entries=entries, username=username)
