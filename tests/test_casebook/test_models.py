"""The web app's tables as migrated match its models, and the permission rules read as stated."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casebook.models import Base, User, UserScheme
from casebook.web.auth import Anonymous, can_log, can_read_events, can_read_figures, readable_schemes


def test_the_migration_creates_every_column_the_models_use(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(migrated) == set(table.columns.keys()), table.name
        for column in table.columns:
            assert migrated[column.name]["nullable"] == column.nullable, (table.name, column.name)


def _user(role: str, *schemes: str) -> User:
    return User(username=role, role=role, active=True,
                schemes=[UserScheme(scheme_id=s) for s in schemes])


def test_admins_and_officers_read_and_log_in_every_scheme() -> None:
    for role in ("admin", "officer"):
        user = _user(role)
        assert readable_schemes(user) is None
        assert can_log(user, "davss") and can_read_events(user, "channel")
        assert can_read_figures(user)


def test_a_partner_reads_and_logs_only_in_their_schemes() -> None:
    partner = _user("partner", "davss")
    assert readable_schemes(partner) == {"davss"}
    assert can_log(partner, "davss") and can_read_events(partner, "davss")
    assert not can_log(partner, "channel") and not can_read_events(partner, "channel")
    assert can_read_figures(partner)


def test_a_viewer_reads_figures_only() -> None:
    viewer = _user("viewer")
    assert readable_schemes(viewer) == set()
    assert not can_log(viewer, "davss") and not can_read_events(viewer, "davss")
    assert can_read_figures(viewer)


def test_nobody_signed_in_may_do_anything() -> None:
    nobody = Anonymous()
    assert readable_schemes(nobody) == set()
    assert not can_log(nobody, "davss") and not can_read_figures(nobody)
