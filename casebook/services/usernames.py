"""What a username may look like, and when two usernames could be taken for one another."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: 2 to 128 letters, digits, dots, dashes, underscores or @, a letter or digit at each end.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,126}[A-Za-z0-9]$")
USERNAME_RULE = ("Enter a username of 2 to 128 letters, digits, dots, dashes, underscores or @, "
                 "starting and ending with a letter or digit, with no spaces")

#: Characters read as one another on a screen or a printed list; separators count as one.
_CONFUSED = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "_": ".", "-": "."})
#: Letter pairs read as one letter.
_PAIRS = (("rn", "m"), ("vv", "w"))


def username_key(name: str) -> str:
    """The form shared by every spelling that reads as `name`: case, look-alike letters,
    separators and stray dots or spaces at the ends make no difference."""
    key = unicodedata.normalize("NFKC", name).casefold().strip()
    for pair, letter in _PAIRS:
        key = key.replace(pair, letter)
    key = re.sub(r"\.+", ".", key.translate(_CONFUSED))
    return key.strip(". ")[:128]


def look_alike(name: str, existing: Iterable[str]) -> str | None:
    """The existing username `name` could be taken for, if any."""
    key = username_key(name)
    return next((other for other in existing if username_key(other) == key), None)


def username_problem(name: str, existing: Iterable[str]) -> str | None:
    """What is wrong with `name` as a new username beside `existing` ones, or None."""
    if not USERNAME.match(name):
        return USERNAME_RULE
    other = look_alike(name, existing)
    if other == name:
        return f"There is already a user called {name}."
    if other is not None:
        return (f"This username is too like {other}, who already has an account: choose one "
                "that cannot be mistaken for it")
    return None
