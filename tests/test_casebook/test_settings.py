"""Settings have one home: casebook/settings.py holds every default (DEFAULTS) and every
environment variable (_FROM_ENVIRONMENT); no other module reads the environment or defaults a
setting itself, so a setting added without a default fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from casebook import create_app
from casebook.settings import _FROM_ENVIRONMENT, DEFAULTS

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGES = ("casebook", "events", "projections")
SETTINGS = Path("casebook/settings.py")
#: Modules that read the environment themselves, and why.
READS_THE_ENVIRONMENT = {
    # CASEBOOK_KEY_FILE is read by the store on every use of a key, by every process that opens
    # the database (tests switch it between calls); it is no app setting.
    Path("events/keyfile.py"),
}
#: The settings read that are Flask's own, with Flask's default (not in DEFAULTS).
FLASK_BUILT_INS = frozenset({"SECRET_KEY"})


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            yield relative, ast.parse(path.read_text("utf-8"), filename=str(relative))


def _reads_environment(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "os" and node.attr in ("environ", "environb", "getenv")):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "environb", "getenv") for alias in node.names):
            lines.append(node.lineno)
    return lines


def _is_config(node: ast.expr) -> bool:
    """`app.config`, `current_app.config`, or a name `config` kept for one of them."""
    return ((isinstance(node, ast.Attribute) and node.attr == "config")
            or (isinstance(node, ast.Name) and node.id == "config"))


def _config_keys_read(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Subscript) and _is_config(node.value)
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            yield node.slice.value, node.lineno
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and _is_config(node.func.value) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def test_only_settings_reads_the_environment() -> None:
    offences = [f"{path}:{line}" for path, tree in _modules()
                if path != SETTINGS and path not in READS_THE_ENVIRONMENT
                for line in _reads_environment(tree)]
    assert offences == []


def test_the_check_finds_an_environment_read() -> None:
    tree = ast.parse("import os\nfrom os import getenv\nA = os.environ.get('X')\nB = os.getenv('Y')")
    assert sorted(_reads_environment(tree)) == [2, 3, 4]


def test_no_module_defaults_a_setting_itself() -> None:
    offences = [
        f"{path}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault" and _is_config(node.func.value)
    ]
    assert offences == []


def test_every_setting_read_has_a_default() -> None:
    read = {(key, f"{path}:{line}") for path, tree in _modules() if path.parts[0] == "casebook"
            for key, line in _config_keys_read(tree)}
    assert {key for key, _ in read} >= {"DATABASE_URL", "SMALL_NUMBER_THRESHOLD", "HSTS_SECONDS"}
    assert sorted(where for key, where in read
                  if key not in DEFAULTS and key not in FLASK_BUILT_INS) == []


def test_the_built_ins_are_flasks_own() -> None:
    assert FLASK_BUILT_INS <= set(Flask.default_config)
    assert not FLASK_BUILT_INS & set(DEFAULTS)


def test_every_environment_variable_sets_a_known_setting() -> None:
    assert all(variable.startswith("CASEBOOK_") for variable in _FROM_ENVIRONMENT)
    assert sorted(key for key, _ in _FROM_ENVIRONMENT.values()
                  if key not in DEFAULTS and key not in FLASK_BUILT_INS) == []


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'settings.sqlite3'}"


def _app(url: str, tmp_path: Path, **config: object) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "settings-test",
                      **config})
    app.instance_path = str(tmp_path / "instance")
    return app


def _pragma(app: Flask, name: str) -> int:
    engine = app.extensions["casebook.engine"]
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(f"PRAGMA {name}")).scalar_one())
    finally:
        engine.dispose()


def test_sqlite_runs_as_the_settings_say(sqlite_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert _pragma(_app(sqlite_url, tmp_path), "synchronous") == 2  # FULL
    assert _pragma(_app(sqlite_url, tmp_path), "cache_size") == -65536
    monkeypatch.setenv("CASEBOOK_SQLITE_SYNCHRONOUS", "normal")
    monkeypatch.setenv("CASEBOOK_SQLITE_CACHE_KIB", "2000")
    assert _pragma(_app(sqlite_url, tmp_path), "synchronous") == 1  # NORMAL
    assert _pragma(_app(sqlite_url, tmp_path), "cache_size") == -2000


def test_cookie_defaults_follow_the_settings(sqlite_url: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _app(sqlite_url, tmp_path)
    assert plain.config["SESSION_COOKIE_NAME"] == "casebook_session"
    assert plain.config["REMEMBER_COOKIE_SECURE"] is False
    assert plain.config["WTF_CSRF_TIME_LIMIT"] is None
    monkeypatch.setenv("CASEBOOK_SECURE_COOKIES", "true")
    assert _app(sqlite_url, tmp_path).config["REMEMBER_COOKIE_SECURE"] is True
    chosen = _app(sqlite_url, tmp_path, REMEMBER_COOKIE_SECURE=False)
    assert chosen.config["REMEMBER_COOKIE_SECURE"] is False
