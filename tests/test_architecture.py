"""The dependency direction of STYLE.md: events <- projections <- casebook, checked by walking imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What each package may not import.
FORBIDDEN = {
    "events": {"projections", "casebook", "flask"},
    "projections": {"casebook", "flask"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_the_walker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from casebook.cli.data import main\n    import flask\n")
    assert imported_modules(sample) == {"casebook.cli.data", "flask"}


def test_a_command_starts_without_the_libraries_only_some_commands_use() -> None:
    """Every command pays for what the command line imports: alembic (migrations) and openpyxl
    (workbooks) are imported when a command needs them, not when any command starts."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, casebook.cli.data; from casebook import create_app; create_app({'TESTING': True,"
         " 'DATABASE_URL': 'sqlite://'}); print(sorted({'alembic', 'openpyxl'} & sys.modules.keys()))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert loaded == "[]"
