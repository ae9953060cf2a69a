"""The web app's wiring: templates, GOV.UK assets, CSRF, sign-in, error pages and blueprints."""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from casebook.web.auth import can_read_events, can_read_figures, home_url, init_auth, is_api_request, role_of
from casebook.web.untrusted import init_untrusted
from projections.presentation.text import london

#: Every blueprint the app serves, as "module:attribute"; add a line here to add a part.
BLUEPRINTS = [
    "casebook.web.auth:bp",
    "casebook.web.api.routes:bp",
    "casebook.web.pages.admin:bp",
    "casebook.web.pages.log:bp",
    "casebook.web.pages.cases:bp",
    "casebook.web.pages.void:bp",
    "casebook.web.pages.eventlog:bp",
    "casebook.web.pages.dashboard:bp",
    "casebook.web.pages.summaries:bp",
]

#: Blueprints authenticated by bearer token, so exempt from the session's CSRF check.
CSRF_EXEMPT = frozenset({"api"})

#: govuk-frontend's dist/govuk folder, copied here by `make assets` (git-ignored).
GOVUK_DIST = Path(__file__).parent.parent / "static" / "govuk"

#: The service navigation: label, endpoint, and who sees it.
NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    ("Dashboard", "dashboard.index", frozenset({"admin", "officer", "partner", "viewer"})),
    ("Log an event", "log.choose_scheme", frozenset({"admin", "officer", "partner"})),
    ("Cases", "cases.search", frozenset({"admin", "officer", "partner"})),
    ("Event log", "events.index", frozenset({"admin", "officer", "partner"})),
    ("Summaries", "summaries.index", frozenset({"admin", "officer", "partner", "viewer"})),
    ("Admin", "admin.index", frozenset({"admin"})),
]

#: What an error page says, by status code: title and the sentences under it.
ERROR_PAGES: dict[int, tuple[str, list[str]]] = {
    400: ("Sorry, there is a problem with your request",
          ["Check what you entered and try again."]),
    401: ("Sign in to continue", ["You need to sign in to see this page."]),
    403: ("You do not have permission to see this page",
          ["Your account does not allow this. If you think it should, ask an administrator."]),
    404: ("Page not found",
          ["If you typed the web address, check it is correct.",
           "If you pasted the web address, check you copied the entire address."]),
    405: ("Sorry, that action is not available here", ["Go back and try again."]),
    413: ("What you sent is too large",
          ["The file or form you sent is larger than casebook accepts. Nothing was saved: "
           "send a smaller file, or split it."]),
    500: ("Sorry, there is a problem with the service",
          ["Try again later. What you entered has not been saved."]),
}

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    """Set up everything the web pages and the API need on `app`."""
    init_untrusted(app)  # first: the routes below are built with its converters

    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    if app.config.get("SESSION_COOKIE_NAME") == "session":  # Flask's default: name it ours
        app.config["SESSION_COOKIE_NAME"] = "casebook_session"
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's lifetime bounds it

    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,  # type: ignore[list-item]
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["nav_url"] = nav_url
    app.jinja_env.globals["london"] = london
    app.context_processor(_template_context)

    csrf = CSRFProtect(app)
    init_auth(app)
    for blueprint in load_blueprints():
        app.register_blueprint(blueprint)
        if blueprint.name in CSRF_EXEMPT:
            csrf.exempt(blueprint)

    app.add_url_rule("/assets/<path:filename>", "govuk_assets", _govuk_asset)
    app.add_url_rule("/", "home", _home)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _http_error)


def load_blueprints() -> list[Any]:
    """Import every blueprint named in BLUEPRINTS."""
    found = []
    for name in BLUEPRINTS:
        module, _, attribute = name.partition(":")
        found.append(getattr(importlib.import_module(module), attribute))
    return found


def nav_url(endpoint: str, **values: Any) -> str | None:
    """The URL of `endpoint`, or None when no such page exists (yet)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def navigation() -> list[dict[str, Any]]:
    """The service navigation items the signed-in user may use."""
    role = role_of(current_user)
    items = []
    for label, endpoint, roles in NAVIGATION:
        href = nav_url(endpoint)
        if href is None or role not in roles:
            continue
        current = request.blueprint == endpoint.partition(".")[0]
        items.append({"text": label, "href": href, "active": current})
    return items


def csp_nonce() -> str:
    """A per-response nonce letting GOV.UK's inline script run under the content policy."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _template_context() -> dict[str, Any]:
    return {
        "navigation": navigation,
        "cspNonce": csp_nonce(),
        "can_read_events": can_read_events,
        "can_read_figures": can_read_figures,
        "current_role": role_of(current_user),
    }


def _home() -> Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return redirect(home_url())


def _govuk_asset(filename: str) -> Response:
    # govuk-frontend's stylesheet asks for its fonts and images at /assets/.
    return send_from_directory(GOVUK_DIST / "assets", filename, max_age=7 * 24 * 3600)


def _security_headers(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{csp_nonce()}'; "
            "img-src 'self' data:; style-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error: CSRFError) -> tuple[Any, int]:
    if is_api_request():
        return jsonify(error="bad_request", message=error.description), 400
    return render_template(
        "errors/error.html",
        code=400,
        title="Your form could not be sent",
        paragraphs=["The page had expired or was opened in another window. Go back, reload "
                    "the page and try again: nothing you sent was saved."],
    ), 400


def _http_error(error: HTTPException) -> Any:
    code = error.code or 500
    if is_api_request():
        return jsonify(error=_slug(error.name), message=error.description), code
    if code in (301, 302, 303, 307, 308):
        return error
    title, paragraphs = ERROR_PAGES.get(code, (error.name, [error.description or ""]))
    response = render_template("errors/error.html", code=code, title=title,
                               paragraphs=paragraphs), code
    return response


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")
