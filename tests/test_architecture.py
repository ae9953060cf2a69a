"""The dependency direction of STYLE.md: events <- projections <- casebook, checked by walking
imports (those inside functions too): no lower layer imports a higher one, the web never the
command line, the services nothing of Flask, and no module imports itself through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "projections", "casebook")
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


def module_name(path: Path, root: Path = ROOT) -> str:
    """`casebook/web/__init__.py` is `casebook.web`; `casebook/cli/data.py` is `casebook.cli.data`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of events, projections and casebook, by its dotted name."""
    return {module_name(path, root): path
            for package in PACKAGES for path in sorted((root / package).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path], root: Path = ROOT) -> set[str]:
    """The modules of `modules` that `path` imports, anywhere in it: `from casebook.services import
    reads` imports `casebook.services.reads`, and a name that is not a module its package."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source = ".".join(part for part in (base, node.module or "") if part)
            named.update(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                         for alias in node.names)
    found = set()
    for imported in named:
        while imported and imported not in modules:  # `import a.b.c` of a name in a.b
            imported = imported.rpartition(".")[0]
        if imported and imported != name:
            found.add(imported)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = our_modules(root)
    return {name: imports_of(path, modules, root) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another, round a loop (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = stack[stack.index(module):]
            del stack[stack.index(module):]
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


def test_the_graph_follows_package_imports_to_the_modules_named(tmp_path: Path) -> None:
    (tmp_path / "casebook" / "services").mkdir(parents=True)
    for name in ("__init__", "services/__init__", "services/reads", "services/retention"):
        (tmp_path / "casebook" / f"{name}.py").write_text("")
    (tmp_path / "casebook" / "services" / "reads.py").write_text(
        "from casebook.services import retention, CLOSED\n"
        "def f():\n    from . import retention\n    import casebook.services.retention.x\n")
    (tmp_path / "casebook" / "services" / "retention.py").write_text("from .reads import f\n")
    graph = import_graph(tmp_path)
    assert graph["casebook.services.reads"] == {"casebook.services.retention", "casebook.services"}
    assert import_cycles(graph) == [["casebook.services.reads", "casebook.services.retention"]]


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    loops = [f"{module} imports {sorted(graph[module] & set(cycle))}"
             for cycle in import_cycles(graph) for module in cycle]
    assert loops == []


def test_the_web_never_imports_the_command_line_even_through_other_modules() -> None:
    graph = import_graph()
    reached: set[str] = set()
    waiting = [module for module in graph if module.startswith("casebook.web")]
    while waiting:
        module = waiting.pop()
        if module not in reached:
            reached.add(module)
            waiting.extend(graph[module])
    assert sorted(module for module in reached if module.startswith("casebook.cli")) == []


#: What the services, the use cases any front end calls, may not import.
NOT_FOR_SERVICES = ("flask", "flask_login", "flask_wtf", "werkzeug", "casebook.web", "casebook.cli")


def test_the_services_import_nothing_of_flask_the_web_or_the_command_line() -> None:
    offences = [f"{path.relative_to(ROOT)} imports {module}"
                for path in sorted((ROOT / "casebook" / "services").rglob("*.py"))
                for module in sorted(imported_modules(path))
                if any(module == banned or module.startswith(f"{banned}.") for banned in NOT_FOR_SERVICES)]
    assert offences == []


def test_a_command_starts_without_the_libraries_only_some_commands_use() -> None:
    """Every command pays for what the command line imports: alembic (migrations) and openpyxl
    (workbooks) are imported when a command needs them, not when any command starts."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c",
         "import sys, casebook.cli; from casebook import create_app; create_app({'TESTING': True,"
         " 'DATABASE_URL': 'sqlite://'}); print(sorted({'alembic', 'openpyxl'} & sys.modules.keys()))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert loaded == "[]"


#: The store's writes, which only `casebook.services.recording` calls (with the projector bound).
STORE_WRITES = {"append", "import_lines"}


def test_only_the_recording_service_writes_to_the_store() -> None:
    offences = []
    for path in sorted((ROOT / "casebook").rglob("*.py")):
        if path == ROOT / "casebook" / "services" / "recording.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
            names = {alias.name for alias in getattr(node, "names", [])}
            if isinstance(node, ast.ImportFrom) and node.module == "events.store":
                offences += [f"{path.relative_to(ROOT)} imports {name}" for name in names & STORE_WRITES]
            # The module whole would give its writes as `store.append`.
            elif (isinstance(node, ast.Import) and "events.store" in names) or (
                    isinstance(node, ast.ImportFrom) and node.module == "events" and "store" in names):
                offences.append(f"{path.relative_to(ROOT)} imports events.store")
    assert offences == []
