"""casebook: the case and referral log of a Community Safety Partnership."""

from __future__ import annotations

from typing import Any

from flask import Flask

from casebook import cli, database, settings, web
from casebook.web import security


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, database engine, web pages, then the command line."""
    app = Flask(__name__, instance_relative_config=True)
    settings.configure(app, test_config)
    database.init_engine(app)
    web.init_app(app)
    security.init_security(app)
    cli.init_app(app)
    return app
