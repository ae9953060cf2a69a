"""casebook: the case and referral log of a Community Safety Partnership."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, database engine, command line and web pages."""
    app = Flask(__name__, instance_relative_config=True)
    from casebook import settings
    from casebook.cli import keys, subjects  # noqa: F401  (commands join the group)
    from casebook.cli.data import casebook_group
    from casebook.database import init_engine
    from casebook.services import retention  # noqa: F401
    from casebook.web import init_web
    from casebook.web.security import init_security

    settings.configure(app, test_config)
    init_engine(app)
    app.cli.add_command(casebook_group)
    init_web(app)
    init_security(app)
    return app
