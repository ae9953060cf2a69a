"""Each scheme's rules for what falls due, as stored on its row and read back (both databases)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from casebook.database import migrate, migrations_config
from events.db import make_engine, reading, writing
from events.tables import schemes
from projections.due_items import DueRules, rules_by_scheme, rules_for


def _store(engine: Engine, scheme: str, rules: DueRules) -> None:
    with writing(engine) as connection:
        connection.execute(sa.update(schemes).where(schemes.c.scheme_id == scheme)
                           .values(due_rules=rules.to_json()))


def test_a_scheme_that_changed_no_rule_follows_the_defaults(engine: Engine) -> None:
    with reading(engine) as connection:
        assert rules_for(connection, "asb-casework") == DueRules()
        assert rules_for(connection, "no-such-scheme") == DueRules()
        assert set(rules_by_scheme(connection).values()) == {DueRules()}


def test_a_schemes_own_rules_are_read_back_and_no_other_schemes(engine: Engine) -> None:
    mine = DueRules(cpw_compliance_days=14, cpn_review_months=3, threshold_working_days=15,
                    panel_working_days=20, inactive_days=3650)
    _store(engine, "asb-casework", mine)
    _store(engine, "davss", DueRules(inactive_days=30))
    with reading(engine) as connection:
        assert rules_for(connection, "asb-casework") == mine
        assert rules_for(connection, "davss") == DueRules(inactive_days=30)
        every = rules_by_scheme(connection)
    assert every["asb-casework"] == mine
    assert every["channel"] == DueRules()


def test_the_due_rules_column_comes_and_goes_with_migration_0013(
    new_database_url: Callable[..., str],
) -> None:
    engine = make_engine(new_database_url(empty=True))
    try:
        migrate(engine, "0012")
        assert "due_rules" not in {c["name"] for c in sa.inspect(engine).get_columns("schemes")}
        migrate(engine)
        assert "due_rules" in {c["name"] for c in sa.inspect(engine).get_columns("schemes")}
        with writing(engine) as connection:
            command.downgrade(migrations_config(connection), "0012")
        assert "due_rules" not in {c["name"] for c in sa.inspect(engine).get_columns("schemes")}
    finally:
        engine.dispose()
