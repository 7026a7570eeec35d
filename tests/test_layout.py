"""The package's shape: layers whose imports only point down, no cycles, small modules and functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ai_budget"

# Top to bottom. A module may import its own package and any lower layer, never a sibling or a higher
# one. The calculation code (planning, the transcript totals) thus cannot reach the journal or git.
LAYERS: list[set[str]] = [
    {"ai_budget", "ai_budget.__main__"},
    {"ai_budget.entry", "ai_budget.api"},
    {"ai_budget.cli"},
    {"ai_budget.integrations"},
    {"ai_budget.session"},
    {"ai_budget.sync"},
    {"ai_budget.claude", "ai_budget.planning", "ai_budget.journal", "ai_budget.github"},
    {"ai_budget.model"},
    {"ai_budget.paths", "ai_budget.quantities", "ai_budget.fileio"},
    {"ai_budget.fmt", "ai_budget.timeutil", "ai_budget.jsonio", "ai_budget.http", "ai_budget.errors"},
    {"ai_budget.severity"},
    {"ai_budget.redact", "ai_budget.version"},
]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def imports(tree: ast.Module, name: str, is_package: bool, known: set[str]) -> set[str]:
    """Every ai_budget module this one imports, at any depth (function-level and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod.
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {f for f in found if f in known and f != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    return {n: imports(t, n, n in packages, set(mods)) for n, t in mods.items()}


def layer_of(name: str) -> tuple[int, str]:
    """(layer index, the unit within it) for a module: the longest matching prefix."""
    best: tuple[int, str] | None = None
    for index, units in enumerate(LAYERS):
        for unit in units:
            if (name == unit or name.startswith(unit + ".")) and (best is None or len(unit) > len(best[1])):
                best = (index, unit)
    assert best is not None, f"{name} is in no layer: add it to LAYERS"
    return best


def test_every_import_points_down() -> None:
    wrong = []
    for name, targets in graph().items():
        here, unit = layer_of(name)
        for target in targets:
            there, other = layer_of(target)
            # The API façade (ai_budget/__init__) may re-export anything below it.
            if name == "ai_budget" or other == unit or there > here:
                continue
            wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    edges = graph()
    # The package __init__ files only carry docstrings, except the API façade, which is checked above.
    edges.pop("ai_budget", None)
    for targets in edges.values():
        targets.discard("ai_budget")
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]) if nxt in trail else nxt)
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_layer_check_catches_a_wrong_arrow() -> None:
    assert layer_of("ai_budget.planning.recommend")[0] > layer_of("ai_budget.session.log")[0]
    assert layer_of("ai_budget.claude.transcripts.totals")[1] == "ai_budget.claude"
    tree = ast.parse("def f():\n    from ai_budget.journal.journal import Journal\n")
    known = {"ai_budget.journal.journal", "ai_budget.planning.x"}
    assert imports(tree, "ai_budget.planning.x", False, known) == {"ai_budget.journal.journal"}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= MAX_MODULE_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


@pytest.mark.parametrize(
    "module", ["ai_budget.planning.recommend", "ai_budget.planning.tiers", "ai_budget.claude.transcripts"]
)
def test_calculation_code_loads_neither_git_nor_the_journal(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "bad = [m for m in sys.modules if m == 'git' or m.startswith(('git.', 'ai_budget.journal'))]; "
        "print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_importing_the_api_loads_neither_click_nor_git() -> None:
    code = (
        "import sys, ai_budget; ai_budget.current_usage; "
        "print(sorted(m for m in sys.modules if m in ('click', 'git')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
