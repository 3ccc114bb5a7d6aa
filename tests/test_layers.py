"""The packages depend on each other in one direction only:

    domain  ←  storage  ←  handlers  ←  bot (the runtime)      emulator → bot (demo, tests)

``domain`` imports nothing else of ours; ``storage`` knows neither Telegram nor the
handlers; the runtime never imports the emulator (only the CLI's ``demo`` command does,
when it runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "domain", "handlers", "storage", "emulator", "tests", "bench"}
ALLOWED = {
    "domain": {"domain"},
    "storage": {"storage", "domain"},
    "handlers": {"handlers", "storage", "domain"},
    "bot": {"bot", "handlers", "storage", "domain"},
    "emulator": {"emulator", "bot", "handlers", "storage", "domain"},
}
NO_TELEGRAM = {"domain", "storage"}
LAZY_EXCEPTIONS = {("bot/cli.py", "emulator")}  # `vanguard demo` loads the emulator


def imports_of(path: Path) -> set[str]:
    """The top-level packages a module imports (anywhere in it)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return [
        p
        for p in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in p.parts or package != "storage" or "versions" not in p.parts
    ]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for path in modules(package):
        relative = path.relative_to(ROOT).as_posix()
        for imported in imports_of(path) & OURS:
            if imported not in ALLOWED[package] and (relative, imported) not in LAZY_EXCEPTIONS:
                wrong.append(f"{relative} imports {imported}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("package", sorted(NO_TELEGRAM))
def test_domain_and_storage_know_nothing_of_telegram(package: str) -> None:
    wrong = [
        p.relative_to(ROOT).as_posix()
        for p in modules(package)
        if imports_of(p) & {"telegram", "aiohttp"}
    ]
    assert not wrong


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from handlers import context\n", encoding="utf-8")
    assert imports_of(module) & OURS == {"handlers"}


FEATURES = {"events", "export", "general", "inspections", "schedule", "summary", "topics"}


def handler_imports(path: Path) -> set[str]:
    """The ``handlers`` modules a module imports (anywhere in it, type-checking blocks
    too), as dotted names below ``handlers``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "handlers":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("handlers."):
                found.add(node.module.removeprefix("handlers."))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("handlers.")
                for a in node.names
                if a.name.startswith("handlers.")
            }
    return found


def test_no_feature_imports_another_feature() -> None:
    wrong = []
    for feature in sorted(FEATURES):
        for path in sorted((ROOT / "handlers" / feature).rglob("*.py")):
            for imported in handler_imports(path):
                other = imported.split(".")[0]
                if other in FEATURES and other != feature:
                    wrong.append(f"{path.relative_to(ROOT).as_posix()} imports handlers.{imported}")
    assert not wrong, "\n".join(wrong)


def shared_graph() -> dict[str, set[str]]:
    """The shared handler modules (``handlers/*.py``) and which of them each imports."""
    shared = {p.stem: p for p in (ROOT / "handlers").glob("*.py") if p.stem != "__init__"}
    return {
        name: {i for i in handler_imports(path) if i in shared and i != name}
        for name, path in shared.items()
    }


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (a list of module names), or [] if there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node], found = 1, []
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_shared_handler_modules_import_each_other_without_a_circle() -> None:
    assert cycle_in(shared_graph()) == []


def test_the_circle_check_sees_a_circle() -> None:
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) == []
