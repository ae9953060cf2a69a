"""Settings: defaults here, overridden by CASEBOOK_* environment variables, then by test config."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": 8 * 60 * 60,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "SMALL_NUMBER_THRESHOLD": 5,
    #: Years a closed case's personal data is kept (casebook retention run); per scheme below.
    "RETENTION_YEARS": 6,
    "RETENTION_BY_SCHEME": {},
    #: The largest file `casebook import` reads.
    "MAX_IMPORT_BYTES": 512 * 1024 * 1024,
}

_FROM_ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CASEBOOK_DATABASE_URL": ("DATABASE_URL", str),
    "CASEBOOK_SECRET_KEY": ("SECRET_KEY", str),
    "CASEBOOK_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in ("1", "true")),
    "CASEBOOK_SESSION_HOURS": ("PERMANENT_SESSION_LIFETIME", lambda v: int(float(v) * 3600)),
    "CASEBOOK_MAX_UPLOAD_MB": ("MAX_CONTENT_LENGTH", lambda v: int(float(v) * 1024 * 1024)),
    "CASEBOOK_SMALL_NUMBER_THRESHOLD": ("SMALL_NUMBER_THRESHOLD", int),
    "CASEBOOK_RETENTION_YEARS": ("RETENTION_YEARS", int),
    "CASEBOOK_RETENTION_BY_SCHEME": ("RETENTION_BY_SCHEME", lambda v: _scheme_years(v)),
    "CASEBOOK_MAX_IMPORT_MB": ("MAX_IMPORT_BYTES", lambda v: int(float(v) * 1024 * 1024)),
}


def _scheme_years(text: str) -> dict[str, int]:
    """"davss=7,asb-casework=3" as {"davss": 7, "asb-casework": 3}."""
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {scheme.strip(): int(years) for scheme, years in pairs}


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply defaults, then the environment, then `test_config`."""
    app.config.update(DEFAULTS)
    for variable, (key, convert) in _FROM_ENVIRONMENT.items():
        if variable in os.environ:
            app.config[key] = convert(os.environ[variable])
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    """A secret key generated on first run and kept in the instance folder, never in the repo."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
