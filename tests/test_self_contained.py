"""The repository stands alone: no test, bench, CI script, code or doc names a path outside it.

A fresh clone has nothing beside it, so a test that reads `../something` passes only on the machine
it was written on. Three rules, each with a test that shows it catches what it is meant to:

- no file names the development machine's folders or documents that are not in the repository;
- no Python expression built from `__file__` (or from the repository root) climbs above the root;
- no relative path in a Markdown or shell file climbs above the root from where the file is.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

# Folders that hold the project's own files; dot-folders are skipped unless named here.
DOT_FOLDERS = {".ci", ".claude-plugin", ".github"}
SKIPPED = {"__pycache__", "node_modules", "dist", "build", "venv", "mutants", "corpus"}
TEXT = {".py", ".md", ".sh", ".json", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".html", ".jsonl"}

# Written so that this file does not match itself.
OUTSIDE_WORDS = {
    r"(?<![\w.])[/]work[/]": "a folder of the development machine",
    r"\.\.[/\\]shared\b": "the folder beside the development checkout",
    r"\bshared[/\\]reference\b": "the reference folder beside the development checkout",
    r"""["']shared["']\s*/\s*["']reference["']""": "the reference folder beside the development checkout",
    r"\bDESIGN\.md\b": "a design document that is not in the repository (docs/design.md is ours)",
    r"\bclaude-code-formats\.md\b": "a reference document that is not in the repository",
}

# Citations in files other people are editing now; each must still be there (so the entry goes when
# the line is fixed) and nothing else may match. Remove an entry when its owner fixes the line.
PENDING = {
}


def repo_files(root: Path) -> Iterator[Path]:
    """The project's text files: everything but caches, virtualenvs, build output and git."""
    for path in sorted(root.iterdir()):
        if path.is_dir():
            hidden = path.name.startswith(".") and path.name not in DOT_FOLDERS
            if hidden or path.name in SKIPPED or path.name.endswith(".egg-info"):
                continue
            yield from repo_files(path)
        elif path.suffix in TEXT or (path.suffix == "" and path.parent.name == ".ci"):
            yield path


def outside_words(path: Path, text: str, root: Path) -> list[str]:
    found = []
    rel = path.relative_to(root).as_posix()
    for pattern, what in OUTSIDE_WORDS.items():
        if (rel, pattern) in PENDING:
            continue
        for match in re.finditer(pattern, text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{rel}:{line}: {match.group(0)!r} names {what}")
    return found


# --- Python: paths built from __file__ or the repository root --------------------------------------

ROOT_NAMES = {"REPO", "ROOT", "REPO_ROOT"}


class Climb(ast.NodeVisitor):
    """Follows each path expression anchored at `__file__` and counts the folders it goes up.

    `up` is how far above the file itself an expression points: `Path(__file__)` is 0, its
    `.parent` 1 (the file's folder), `.parents[1]` 2, `/ ".."` one more, `/ "x"` one less,
    `os.path.dirname(...)` one more. A module-level name bound to such an expression keeps its value.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth  # the repository root is `depth` folders above the file
        self.names: dict[str, int] = {}
        self.found: list[int] = []
        self.known: dict[int, int | None] = {}  # by id(node): each expression is followed once

    def up(self, node: ast.expr) -> int | None:
        if id(node) not in self.known:
            self.known[id(node)] = self._up(node)
        return self.known[id(node)]

    def _up(self, node: ast.expr) -> int | None:
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return 0
            if node.id in ROOT_NAMES and node.id not in self.names:
                return self.depth  # the root, imported from conftest
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            inner = self.up(node.value)
            if inner is not None and node.attr == "parent":
                return inner + 1
            return None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            inner = self.up(node.value.value)
            index = node.slice
            if inner is not None and node.value.attr == "parents" and isinstance(index, ast.Constant):
                return inner + int(index.value) + 1
            return None
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            inner = self.up(node.left)
            if inner is None:
                return None
            return self.walk(inner, node.right, node.lineno)
        return None

    def call(self, node: ast.Call) -> int | None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in {"resolve", "absolute", "expanduser"} and isinstance(func, ast.Attribute):
            return self.up(func.value)
        if not node.args:
            return None
        if name in {"Path", "PurePath", "abspath", "realpath", "normpath", "fspath", "str"}:
            return self.up(node.args[0])
        if name == "dirname":
            inner = self.up(node.args[0])
            return None if inner is None else inner + 1
        if name == "join":
            inner = self.up(node.args[0])
            for part in node.args[1:]:
                if inner is None:
                    return None
                inner = self.walk(inner, part, node.lineno)
            return inner
        return None

    def walk(self, up: int, segment: ast.expr, line: int) -> int | None:
        """`up` after joining a literal segment ("..", "x", "x/../.."); None for anything else."""
        if not (isinstance(segment, ast.Constant) and isinstance(segment.value, str)):
            return None
        for part in segment.value.replace("\\", "/").split("/"):
            if part == "..":
                up += 1
                if up > self.depth:
                    self.found.append(line)
            elif part not in {"", "."}:
                up -= 1
        return up

    def visit_Assign(self, node: ast.Assign) -> None:
        value = self.up(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and value is not None:
                self.names[target.id] = value
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.expr):
            value = self.up(node)
            if value is not None and value > self.depth:
                self.found.append(node.lineno)
                return
        super().generic_visit(node)


def python_climbs(path: Path, text: str, root: Path) -> list[str]:
    rel = path.relative_to(root)
    climb = Climb(depth=len(rel.parts))
    climb.visit(ast.parse(text, filename=str(path)))
    where = rel.as_posix()
    return [f"{where}:{line}: a path from __file__ climbs out of the repository" for line in climb.found]


# --- Markdown and shell: relative paths ------------------------------------------------------------

RELATIVE_UP = re.compile(r"(?<![\w.])((?:\.\.[/\\])*\.\.)(?![\w.])")


def relative_climbs(path: Path, text: str, root: Path) -> list[str]:
    """A run of `..` segments longer than the file's depth climbs out, from the file's own folder."""
    rel = path.relative_to(root)
    depth = len(rel.parts) - 1
    found = []
    for match in RELATIVE_UP.finditer(text):
        if match.group(1).count("..") > depth:
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{rel.as_posix()}:{line}: {match.group(0)!r} climbs out of the repository")
    return found


def problems(root: Path) -> list[str]:
    found: list[str] = []
    for path in repo_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += outside_words(path, text, root)
        if path.suffix == ".py":
            found += python_climbs(path, text, root)
        elif path.suffix in {".md", ".sh"} or path.parent.name == ".ci":
            found += relative_climbs(path, text, root)
    return found


def test_nothing_in_the_repository_names_a_path_outside_it() -> None:
    assert problems(REPO) == []


def test_the_pending_citations_are_still_there() -> None:
    """Each PENDING entry is a known line in someone else's file: drop the entry once it is fixed."""
    for rel, pattern in PENDING:
        assert re.search(pattern, (REPO / rel).read_text()), f"{rel} is fixed: remove it from PENDING"


# --- the rules catch what they are meant to ---------------------------------------------------------

CAUGHT = {
    "tests/test_a.py": 'SAMPLES = REPO.parent / "sh' + 'ared" / "ref' + 'erence" / "samples"\n',
    "tests/test_b.py": 'S = Path("/wo' + 'rk/shared/ref' + 'erence/samples")\n',
    "tests/test_c.py": "S = Path(__file__).resolve().parent.parent.parent / 'x'\n",
    "bench/d.py": "S = Path(__file__).parents[2] / 'x'\n",
    "bench/e.py": "S = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n",
    "tests/test_f.py": "HERE = Path(__file__).parent\nS = HERE / '..' / '..' / 'x'\n",
    "tests/test_g.py": "REPO = Path(__file__).parent.parent\nS = REPO.parent / 'x'\n",
    ".ci/run": 'cd "$(dirname "$0")/../.."\n',
    "docs/h.md": "See [the design](../../DESIGN" + ".md).\n",
    "ai_budget/i.py": '"""The rule (DESIGN' + '.md, "Transcript accounting")."""\n',
    "README.md": "Samples in `../sha" + "red/reference/samples`.\n",
}

FINE = {
    "tests/test_a.py": "REPO = Path(__file__).resolve().parent.parent\nS = REPO / 'x'\n",
    "tests/test_b.py": "S = Path(__file__).parent.parent / 'bench' / '..' / 'x'\n",
    "tests/test_c.py": "x = tmp_path / 'a' / '..' / 'b'\ncwd = '/home/dev/work/repo'\n",
    "ai_budget/claude/d.py": "import os\nP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n",
    ".ci/run": 'cd "$(dirname "$0")/.."\n',
    "docs/e.md": "See [the README](../README.md) and [the design](design.md).\n",
}


@pytest.mark.parametrize("rel", sorted(CAUGHT))
def test_each_rule_catches_a_path_outside(tmp_path: Path, rel: str) -> None:
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(CAUGHT[rel])
    found = problems(tmp_path)
    assert len(found) >= 1 and all(line.startswith(f"{rel}:") for line in found), found


def test_paths_inside_the_repository_pass(tmp_path: Path) -> None:
    for rel, text in FINE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert problems(tmp_path) == []


def test_hidden_and_build_folders_are_not_read(tmp_path: Path) -> None:
    for folder in (".venv", "build", "node_modules", "ai_budget.egg-info", ".git"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.py").write_text('S = "/wo' + 'rk/shared"\n')
    assert problems(tmp_path) == []
