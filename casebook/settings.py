"""Settings: defaults here, overridden by CASEBOOK_* environment variables, then by test config."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from casebook.services.private_files import private_folder, write_new_private
from events.db import SQLITE_CACHE_KIB, SQLITE_SYNCHRONOUS
from events.interchange import EARLIEST_DATE, TimeLimits

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,
    #: The schema owner's URL, for `init`, `rebuild` and `grant-runtime` (unset: DATABASE_URL).
    "MIGRATION_DATABASE_URL": None,
    #: SQLite's durability and page cache per connection in KiB (see events.db); a laptop demo
    #: may run NORMAL.
    "SQLITE_SYNCHRONOUS": SQLITE_SYNCHRONOUS,
    "SQLITE_CACHE_KIB": SQLITE_CACHE_KIB,
    #: Ours, not Flask's "session".
    "SESSION_COOKIE_NAME": "casebook_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    #: Flask-Login's remember-me cookie; None: Secure as the session cookie is.
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": None,
    #: No time limit on a form's CSRF token: the session's lifetime bounds it.
    "WTF_CSRF_TIME_LIMIT": None,
    #: How long a session may go unused, and how long it may last however busy (seconds).
    "PERMANENT_SESSION_LIFETIME": 8 * 60 * 60,
    "SESSION_MAX_LIFETIME": 8 * 60 * 60,
    #: How many proxies in front of casebook set X-Forwarded-For and -Proto (0: none, trust
    #: no forwarded header).
    "TRUSTED_PROXIES": 0,
    #: How long a browser keeps to HTTPS once it has seen casebook over it (seconds).
    "HSTS_SECONDS": 365 * 24 * 3600,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "SMALL_NUMBER_THRESHOLD": 5,
    #: Years a closed case's personal data is kept (casebook retention run); per scheme below.
    "RETENTION_YEARS": 6,
    "RETENTION_BY_SCHEME": {},
    #: The largest file `casebook import` reads.
    "MAX_IMPORT_BYTES": 512 * 1024 * 1024,
    #: The first day an event may have happened on (forms, API and import alike).
    "EARLIEST_DATE": EARLIEST_DATE,
    #: How passwords are hashed (werkzeug's method string); the tests choose a cheap one.
    "PASSWORD_HASH_METHOD": "scrypt",
    #: Failed sign-ins that lock a name, for how long, and how many from one address within
    #: that window before the address must wait (casebook.services.sign_in).
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    #: Where the scheduler sends mail (casebook.services.mail): smtp://user:pass@host:587
    #: (STARTTLS), smtps://user:pass@host:465 (TLS), smtp://host:25 (a local relay, plain);
    #: ?from=casebook@example.org sets the sender. None: messages go to the outbox only,
    #: Admin → Messages.
    "SMTP_URL": None,
    #: A fixed "now" for the pages (an aware datetime; casebook.web.clock), set only by tests,
    #: never from the environment. None: the clock.
    "FROZEN_NOW": None,
}

_FROM_ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CASEBOOK_DATABASE_URL": ("DATABASE_URL", str),
    "CASEBOOK_MIGRATION_DATABASE_URL": ("MIGRATION_DATABASE_URL", str),
    "CASEBOOK_SECRET_KEY": ("SECRET_KEY", str),
    "CASEBOOK_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in ("1", "true")),
    "CASEBOOK_SESSION_HOURS": ("PERMANENT_SESSION_LIFETIME", lambda v: int(float(v) * 3600)),
    "CASEBOOK_SESSION_MAX_HOURS": ("SESSION_MAX_LIFETIME", lambda v: int(float(v) * 3600)),
    "CASEBOOK_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "CASEBOOK_MAX_UPLOAD_MB": ("MAX_CONTENT_LENGTH", lambda v: int(float(v) * 1024 * 1024)),
    "CASEBOOK_SMALL_NUMBER_THRESHOLD": ("SMALL_NUMBER_THRESHOLD", int),
    "CASEBOOK_RETENTION_YEARS": ("RETENTION_YEARS", int),
    "CASEBOOK_RETENTION_BY_SCHEME": ("RETENTION_BY_SCHEME", lambda v: _scheme_years(v)),
    "CASEBOOK_MAX_IMPORT_MB": ("MAX_IMPORT_BYTES", lambda v: int(float(v) * 1024 * 1024)),
    "CASEBOOK_EARLIEST_DATE": ("EARLIEST_DATE", date.fromisoformat),
    "CASEBOOK_SQLITE_SYNCHRONOUS": ("SQLITE_SYNCHRONOUS", str.upper),
    "CASEBOOK_SQLITE_CACHE_KIB": ("SQLITE_CACHE_KIB", int),
    "CASEBOOK_SMTP_URL": ("SMTP_URL", lambda v: v.strip() or None),
}


def _scheme_years(text: str) -> dict[str, int]:
    """"davss=7,asb-casework=3" as {"davss": 7, "asb-casework": 3}."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {scheme.strip(): int(years) for scheme, years in pairs}


def time_limits() -> TimeLimits:
    """When events may have happened, by the app's settings (EARLIEST_DATE until now)."""
    return TimeLimits(earliest=current_app.config["EARLIEST_DATE"])


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply defaults, then the environment, then `test_config`."""
    app.config.update(DEFAULTS)
    for variable, (key, convert) in _FROM_ENVIRONMENT.items():
        if variable in os.environ:
            app.config[key] = convert(os.environ[variable])
    if test_config:
        app.config.update(test_config)
    if app.config["REMEMBER_COOKIE_SECURE"] is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    """A secret key generated on first run and kept in the instance folder, never in the repo."""
    path = instance / "secret_key"
    if not path.exists():
        private_folder(instance)
        write_new_private(path, secrets.token_hex(32))  # 0600 from its first byte
    return path.read_text().strip()
