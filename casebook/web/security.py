"""Security around the web app: trusted proxies, HSTS, Secure cookies, downloads kept out of
caches, and the access log. (The sign-in lock-out is part of the sign-in view, casebook.web.auth.)

Every read of a case or an event, every export and download is recorded (who, when, what) in
`access_log`; administrators see it at /admin/access-log.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from casebook.web import ERROR_PAGES
from casebook.web.api.errors import api_error
from casebook.web.audit import init_audit
from casebook.web.auth import is_api_request

#: Responses that are files to keep, whatever their Content-Disposition says.
DOWNLOAD_TYPES = frozenset({
    "text/csv", "application/json", "application/x-ndjson",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
})

def init_security(app: Flask) -> None:
    """Trusted proxies, HSTS, cookies, downloads and the access log."""
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies:
        # Only the address and the scheme: relative redirects need no forwarded host.
        proxied = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
        app.wsgi_app = proxied  # type: ignore[method-assign]
    app.session_interface = SessionCookies()
    app.after_request(_strict_transport)
    app.after_request(_no_store_downloads)
    init_audit(app)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request is HTTPS (directly or by a proxy)."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def _too_large(error: RequestEntityTooLarge) -> Any:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = (f"The request is larger than the {limit / 2**20:.1f} MB casebook accepts "
               "(CASEBOOK_MAX_UPLOAD_MB). Nothing was saved: send fewer events at a time.")
    if is_api_request():
        return api_error(413, message)
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


def _no_store_downloads(response: Response) -> Response:
    # A download holds personal data: no browser or proxy cache may keep a copy of it.
    disposition = response.headers.get("Content-Disposition", "").strip().lower()
    if disposition.startswith("attachment") or response.mimetype in DOWNLOAD_TYPES:
        response.headers["Cache-Control"] = "no-store"
    return response
