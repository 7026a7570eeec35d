"""The transcripts package stays small, one-way and free of the journal's dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ai_budget" / "claude" / "transcripts"
MODULES = sorted(PACKAGE.glob("*.py"))
ALLOWED = {
    "ai_budget.errors",
    "ai_budget.paths",
    "ai_budget.jsonio",
    "ai_budget.timeutil",
    "ai_budget.claude.pricing",
    "ai_budget.claude.price_table",
}
OWN = "ai_budget.claude.transcripts"


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_size_functions_and_docstrings(path: Path) -> None:
    module = tree(path)
    assert len(path.read_text().splitlines()) < 400
    assert "\n" not in (ast.get_docstring(module) or "x\n")
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno is not None and node.end_lineno - node.lineno < 60, node.name
            assert "\n" not in (ast.get_docstring(node) or ""), node.name


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_only_the_allowed_modules_at_the_top(path: Path) -> None:
    module = tree(path)
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            # `from ai_budget import paths` imports the module ai_budget.paths.
            prefix = node.module + "." if node.module == "ai_budget" else ""
            names = [prefix + alias.name if prefix else node.module for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("ai_budget"):
                assert name in ALLOWED or name.startswith(OWN + "."), name
                assert node.col_offset == 0, f"{name} imported inside a function"


def test_importing_the_package_loads_no_journal_code() -> None:
    code = (
        "import sys, ai_budget.claude.transcripts; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'pydantic', 'git', 'dateutil')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
