"""Each scheme's rules for what falls due on its cases, as admins change them on the scheme form.

Saving changed rules recomputes what is due on the scheme's cases in the same transaction, so
the cases list never shows dates worked out by the old rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from casebook.database import engine
from casebook.models import SchemeChange, writing_session
from casebook.services.accounts import AccountError
from events.db import reading
from events.tables import schemes
from projections.casework import refresh_scheme
from projections.due_items import DueRules, rules_for


@dataclass(frozen=True)
class Setting:
    """One number of a scheme's due rules, as the form asks for it."""

    name: str
    label: str
    hint: str
    unit: str
    highest: int


SETTINGS: tuple[Setting, ...] = (
    Setting("cpw_compliance_days", "Compliance check after a Community Protection Warning",
            "Calendar days after the warning is issued. Usually 28.", "days", 3650),
    Setting("cpn_review_months", "Review of a Community Protection Notice",
            "Months after the notice is issued, on the same day of the month. Usually 6.",
            "months", 120),
    Setting("threshold_working_days", "ASB Case Review threshold decision",
            "Working days after the application, not counting weekends or England's bank "
            "holidays. Usually 10.", "working days", 3650),
    Setting("panel_working_days", "ASB Case Review panel",
            "Working days after the decision that the threshold is met. Usually 25.",
            "working days", 3650),
    Setting("inactive_days", "Review of a case with no new events",
            "Days after the case's latest event. Usually 90.", "days", 3650),
)

NAMES = frozenset(setting.name for setting in SETTINGS)


def form_values(rules: DueRules) -> dict[str, str]:
    """The rules as the form shows them."""
    return {name: str(value) for name, value in asdict(rules).items()}


def check_due_rules(form: Mapping[str, str]) -> tuple[DueRules | None, dict[str, str]]:
    """The rules the form's numbers make, or None with a message for each wrong number."""
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for setting in SETTINGS:
        text = form.get(setting.name, "").strip()
        if not text:
            errors[setting.name] = f"Enter the number of {setting.unit} for: {setting.label}"
        elif not text.isascii() or not text.isdigit():
            errors[setting.name] = f"{setting.label} must be a whole number of {setting.unit}"
        elif not 1 <= int(text) <= setting.highest:
            errors[setting.name] = (f"{setting.label} must be from 1 to {setting.highest} "
                                    f"{setting.unit}")
        else:
            values[setting.name] = int(text)
    return (None, errors) if errors else (DueRules(**values), {})


def scheme_due_rules(scheme_id: str) -> DueRules:
    """A scheme's rules, for its admin form."""
    with reading(engine()) as connection:
        return rules_for(connection, scheme_id)


def set_due_rules(scheme_id: str, rules: DueRules, changed_by: str) -> int:
    """Keep a scheme's rules, each changed number in its history, and recompute what is due on
    its cases if any changed; returns how many changed."""
    with writing_session() as db:
        stored = db.execute(sa.select(schemes.c.due_rules)
                            .where(schemes.c.scheme_id == scheme_id)).first()
        if stored is None:
            raise AccountError("scheme_id", f"There is no scheme {scheme_id}.")
        old = asdict(DueRules.from_json(stored.due_rules))
        changed = {name: value for name, value in asdict(rules).items() if old[name] != value}
        if not changed:
            return 0
        db.execute(sa.update(schemes).where(schemes.c.scheme_id == scheme_id)
                   .values(due_rules=rules.to_json()))
        db.add_all(SchemeChange(scheme_id=scheme_id, changed_by=changed_by, field=name,
                                old=str(old[name]), new=str(value))
                   for name, value in changed.items())
        db.flush()
        refresh_scheme(db.connection(), scheme_id)
    return len(changed)
