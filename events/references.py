"""Case references: how a case is keyed, and the schemes' reference prefixes (spec §3, §6).

References are case-insensitive. A new event's reference is stored in capitals
(`events.interchange`); events stored before that keep theirs as written, and the case index
(`cases`) is keyed by `case_key`, so "asb-1" then and "ASB-1" now are one case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: A scheme's case reference prefix: capitals and digits, starting with a capital.
CASE_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,15}$")


def case_key(case_ref: str) -> str:
    """The form a case is known by in the case index and every lookup of it."""
    return case_ref.upper()


def prefix_problem(case_ref: str, scheme: str, prefixes: Mapping[str, str | None]) -> str | None:
    """What is wrong with a reference that begins with another scheme's prefix and a hyphen
    ("DA-…" in ASB casework), or None; references of any other pattern are accepted (years of
    references made before casebook are imported).

    Only prefixes are compared, never other schemes' references, so the answer is the same
    whether or not the reference is in use.
    """
    key = case_key(case_ref)
    own = prefixes.get(scheme)
    for other, prefix in sorted(prefixes.items()):
        if other != scheme and prefix and prefix != own and key.startswith(prefix + "-"):
            hint = f" beginning {own}-" if own else ""
            return (f"Case reference cannot begin with {prefix}-, the prefix of another "
                    f"scheme's cases: check it, or use a reference{hint} for this scheme.")
    return None
