"""Admin → Messages: every message casebook sent or tried to send, and a user's email address.

Without a mail server (CASEBOOK_SMTP_URL unset, as with `make run`) this is the outbox: every
message is listed here with its body, so what would have gone out can be read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from casebook.database import engine
from casebook.roles import ADMINISTER
from casebook.services.mail import BadMailUrl, mailer_for
from casebook.services.messages import MAX_ATTEMPTS, attempts_of, message_states
from casebook.services.user_email import EmailRefused, set_email
from casebook.web.audit import audited
from casebook.web.auth import requires
from casebook.web.pages.admin import user_or_404
from events.db import reading

bp = Blueprint("messages", __name__, url_prefix="/admin")

#: What each state is called on the pages, and the tag colour it is shown in.
STATUSES = {
    "sent": ("Sent", "govuk-tag--green"),
    "outbox": ("In the outbox", "govuk-tag--blue"),
    "waiting": ("Waiting", "govuk-tag--grey"),
    "retrying": ("Failed, will retry", "govuk-tag--yellow"),
    "failed": ("Failed", "govuk-tag--red"),
}


@bp.before_request
@requires(ADMINISTER)
def _admins_only() -> None:
    """Messages and addresses are for administrators alone."""


def _where_messages_go() -> str:
    try:
        return mailer_for(current_app.config.get("SMTP_URL")).describe()
    except BadMailUrl as error:
        return f"not sent: {error}"


@bp.get("/messages")
@audited("messages-read")
@requires(ADMINISTER)
def index() -> Any:
    """The newest 500 messages: recipient, subject, kind, when, and the result."""
    only = request.args.get("status") or None
    with reading(engine()) as connection:
        found = message_states(connection)
    if only in STATUSES:
        found = [m for m in found if m.status == only]
    return render_template("admin/messages.html", outbox=found, statuses=STATUSES,
                           only=only if only in STATUSES else None,
                           where=_where_messages_go(), max_attempts=MAX_ATTEMPTS)


@bp.get("/messages/<int:message_id>")
@audited("message-read")
@requires(ADMINISTER)
def show(message_id: int) -> Any:
    """One message: its body and every attempt at sending it."""
    with reading(engine()) as connection:
        found = message_states(connection, message_id)
        if not found:
            abort(404)
        tries = attempts_of(connection, message_id)
    return render_template("admin/message.html", message=found[0], attempts=tries,
                           statuses=STATUSES, max_attempts=MAX_ATTEMPTS)


@bp.post("/users/<int:user_id>/email")
def user_email(user_id: int) -> Any:
    """Set or remove a user's email address, where their messages go."""
    found = user_or_404(user_id)
    try:
        stored = set_email(found.username, request.form.get("email", "")[:1000])
    except EmailRefused as error:
        flash(str(error), "error")
    else:
        flash(f"Messages to {found.username} go to {stored}." if stored
              else f"{found.username} has no email address: no message reaches them.", "success")
    return redirect(url_for("admin.user", user_id=user_id))
