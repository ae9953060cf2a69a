"""casebook.roles is the one place roles and their capabilities are spelled: every capability
names known roles, and no other module or template lists roles of its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from casebook import roles
from casebook.roles import ADMIN, OFFICER, PARTNER, ROLES, VIEWER, may

ROOT = Path(__file__).resolve().parent.parent.parent
CASEBOOK = ROOT / "casebook"
ROLE_CONSTANTS = frozenset({"ADMIN", "OFFICER", "PARTNER", "VIEWER"})

CAPABILITIES = {name: value for name, value in vars(roles).items()
                if name.isupper() and isinstance(value, frozenset)}


def _names_a_role(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in ROLES
    if isinstance(node, ast.Name):
        return node.id in ROLE_CONSTANTS
    return isinstance(node, ast.Attribute) and node.attr in ROLE_CONSTANTS


def role_collections(source: str) -> list[int]:
    """The lines of every tuple, list, set or dict in `source` naming two or more roles."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            elements = list(node.keys)
        else:
            continue
        if sum(_names_a_role(element) for element in elements) >= 2:
            found.append(node.lineno)
    return sorted(found)


def test_the_roles_are_the_four_the_database_allows() -> None:
    assert ROLES == ("admin", "officer", "partner", "viewer")
    assert (ADMIN, OFFICER, PARTNER, VIEWER) == ROLES
    assert set(roles.DESCRIPTIONS) == set(ROLES)


@pytest.mark.parametrize("name", sorted(CAPABILITIES))
def test_every_capability_is_a_non_empty_set_of_known_roles(name: str) -> None:
    assert CAPABILITIES[name], name
    assert CAPABILITIES[name] <= set(ROLES), name


def test_the_capabilities_are_there() -> None:
    assert {"LOG_EVENTS", "READ_EVENTS", "READ_FIGURES", "READ_ALL_FIGURES", "ALL_SCHEMES",
            "SCHEME_LIMITED", "ADMINISTER"} <= set(CAPABILITIES)


def test_may_says_whether_a_role_has_a_capability_and_nobody_signed_in_has_none() -> None:
    assert may(PARTNER, roles.LOG_EVENTS)
    assert not may(VIEWER, roles.READ_EVENTS)
    assert not may(PARTNER, roles.READ_ALL_FIGURES)
    assert may(ADMIN, roles.ADMINISTER) and not may(OFFICER, roles.ADMINISTER)
    assert not any(may(None, capability) for capability in CAPABILITIES.values())


def test_the_check_finds_a_role_list_however_it_is_spelled() -> None:
    source = ('a = ("admin", "officer")\n'
              'b = frozenset({ADMIN, roles.VIEWER})\n'
              'c = {"partner": 1, "viewer": 2}\n'
              'd = ["admin"]\n'
              'e = role == "partner"\n'
              'f = ("admin.index", "officer ")\n')
    assert role_collections(source) == [1, 2, 3]


def test_no_module_but_roles_lists_roles_of_its_own() -> None:
    offences = [f"{path.relative_to(ROOT)}:{line}"
                for path in sorted(CASEBOOK.rglob("*.py")) if path != CASEBOOK / "roles.py"
                for line in role_collections(path.read_text("utf-8"))]
    assert offences == [], "use a capability from casebook/roles.py instead"


def test_no_template_spells_a_role() -> None:
    quoted = re.compile("[\"'](?:" + "|".join(ROLES) + ")[\"']")
    offences = [f"{path.relative_to(ROOT)}:{number}"
                for path in sorted((CASEBOOK / "templates").rglob("*.html"))
                for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if quoted.search(line)]
    assert offences == [], "pass the template what a capability from casebook/roles.py allows"
