"""The web app's wiring: templates, GOV.UK assets, CSRF, sign-in, error pages and blueprints."""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from casebook.roles import ADMINISTER, LOG_EVENTS, READ_EVENTS, READ_FIGURES, may
from casebook.web.api.errors import api_error
from casebook.web.auth import can_read_events, can_read_figures, home_url, init_auth, is_api_request, role_of
from casebook.web.untrusted import init_untrusted
from projections.presentation.html_time import html_datetime
from projections.presentation.periods import PERIOD_FILTERS
from projections.presentation.text import FILTERS

#: Every blueprint the app serves, as "module:attribute"; add a line here to add a part.
BLUEPRINTS = [
    "casebook.web.auth:bp",
    "casebook.web.pages.account:bp",
    "casebook.web.api.routes:bp",
    "casebook.web.pages.admin:bp",
    "casebook.web.pages.messages:bp",
    "casebook.web.pages.log:bp",
    "casebook.web.pages.returns:bp",
    "casebook.web.pages.cases:bp",
    "casebook.web.pages.void:bp",
    "casebook.web.pages.eventlog:bp",
    "casebook.web.pages.dashboard:bp",
    "casebook.web.pages.summaries:bp",
    "casebook.web.pages.plan:bp",
]

#: Blueprints authenticated by bearer token, so exempt from the session's CSRF check.
CSRF_EXEMPT = frozenset({"api"})

#: govuk-frontend's dist/govuk folder, copied here by `make assets` (git-ignored).
GOVUK_DIST = Path(__file__).parent.parent / "static" / "govuk"

#: The service navigation: label, endpoint, and the capability (casebook.roles) that shows it.
NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    ("Dashboard", "dashboard.index", READ_FIGURES),
    ("Log an event", "log.choose_scheme", LOG_EVENTS),
    ("Submit a return", "returns.index", LOG_EVENTS),
    ("Cases", "cases.search", READ_EVENTS),
    ("Event log", "events.index", READ_EVENTS),
    ("Summaries", "summaries.index", READ_FIGURES),
    ("Plan", "plan.years", READ_FIGURES),
    ("Admin", "admin.index", ADMINISTER),
]

#: Navigation items shown only when a check ("module:function") says so, by endpoint.
SHOWN_WHEN: dict[str, str] = {
    # Only those who log to a scheme whose plan expects returns have one to submit.
    "returns.index": "casebook.web.pages.returns:offers_returns",
}

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

    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,  # type: ignore[list-item]
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters.update(PERIOD_FILTERS)
    app.jinja_env.filters["html_datetime"] = html_datetime  # a <time> element's datetime
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


def navigation() -> list[dict[str, Any]]:
    """The service navigation items the signed-in user may use."""
    role = role_of(current_user)
    items = []
    for label, endpoint, capability in NAVIGATION:
        if not may(role, capability) or not _shown(endpoint):
            continue
        current = request.blueprint == endpoint.partition(".")[0]
        items.append({"text": label, "href": url_for(endpoint), "active": current})
    return items


def _shown(endpoint: str) -> bool:
    check = SHOWN_WHEN.get(endpoint)
    if check is None:
        return True
    module, _, attribute = check.partition(":")
    return bool(getattr(importlib.import_module(module), attribute)())


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


def _csrf_error(error: CSRFError) -> Any:
    if is_api_request():
        return api_error(400, error.description)
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
        return api_error(code, error.description or error.name, headers=error.get_headers())
    if code in (301, 302, 303, 307, 308):
        return error
    title, paragraphs = ERROR_PAGES.get(code, (error.name, [error.description or ""]))
    response = render_template("errors/error.html", code=code, title=title,
                               paragraphs=paragraphs), code
    return response
