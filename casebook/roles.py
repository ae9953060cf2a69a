"""The roles people sign in with and what each may do: the one place either is spelled out."""

from __future__ import annotations

ADMIN = "admin"
OFFICER = "officer"
PARTNER = "partner"
VIEWER = "viewer"

#: Every role, in the order forms, the command line and the database constraint list them.
ROLES: tuple[str, ...] = (ADMIN, OFFICER, PARTNER, VIEWER)

#: What each role may do, in the words the admin pages use.
DESCRIPTIONS: dict[str, str] = {
    ADMIN: "Administrator: people, schemes and everything else",
    OFFICER: "Officer: logs and reads events in every scheme",
    PARTNER: "Partner: logs and reads events only in the schemes chosen below",
    VIEWER: "Viewer: figures and summaries only",
}

# --- capabilities: the roles that may do each thing ---------------------------------------

#: Log events and void them (in the schemes they may read).
LOG_EVENTS = frozenset({ADMIN, OFFICER, PARTNER})

#: Read events and cases (in the schemes they may read).
READ_EVENTS = frozenset({ADMIN, OFFICER, PARTNER})

#: Any signed-in user: their own landing page.
SIGNED_IN = frozenset(ROLES)

#: Read figures and summaries (every role): the board reads figures, never cases.
READ_FIGURES = frozenset(ROLES)

#: See every scheme's figures in full; others see their own schemes in full, the rest published.
READ_ALL_FIGURES = frozenset({ADMIN, OFFICER, VIEWER})

#: Read events and cases in every scheme, with no list of schemes of their own.
ALL_SCHEMES = frozenset({ADMIN, OFFICER})

#: Limited to the schemes chosen for them (and must have at least one).
SCHEME_LIMITED = frozenset({PARTNER})

#: Manage people, schemes, tokens and summaries.
ADMINISTER = frozenset({ADMIN})


def may(role: str | None, capability: frozenset[str]) -> bool:
    """Whether someone with `role` (None when nobody is signed in) has `capability`."""
    return role is not None and role in capability
