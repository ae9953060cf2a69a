"""Which variant of each scheme's figures a user sees: the one rule pages, downloads and API use."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app

from casebook.roles import READ_ALL_FIGURES, may
from casebook.web.auth import can_read_events, role_of
from projections.disclosure import Disclosure, DisclosureOf


def disclosure_for(user: Any, scheme: str) -> Disclosure:
    """Every number, or the published variant, and whether free-text breakdown names show.

    A partner sees its own schemes in full and others published; anyone sees the names of
    free-text breakdown values (a category may name someone) only where they may read cases.
    """
    own = can_read_events(user, scheme)
    return Disclosure(full=may(role_of(user), READ_ALL_FIGURES) or own, labels=own)


def disclosures(user: Any) -> DisclosureOf:
    """`disclosure_for` of this user, for any scheme."""
    return partial(disclosure_for, user)


def sees_in_full(user: Any, scheme: str) -> bool:
    """Whether the user sees every number of the scheme's figures."""
    return disclosure_for(user, scheme).full


def small_number_threshold() -> int:
    """Counts below this are hidden in the published variant (CASEBOOK_SMALL_NUMBER_THRESHOLD)."""
    return int(current_app.config["SMALL_NUMBER_THRESHOLD"])
