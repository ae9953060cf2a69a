"""Helpers for casework tests: officers a case may be assigned to, without the web app."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casebook.models import User
from events.db import writing


def add_officers(engine: Engine, *names: str) -> None:
    """Add active officers called `names` (who cannot sign in: their password is no hash)."""
    with writing(engine) as connection:
        connection.execute(sa.insert(User.__table__), [
            {"username": name, "password_hash": "!", "role": "officer"} for name in names])
