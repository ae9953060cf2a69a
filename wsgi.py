"""The WSGI entry point: `waitress-serve --call wsgi:create_app` or `flask --app wsgi`."""

from casebook import create_app

__all__ = ["create_app"]
