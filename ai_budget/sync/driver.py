"""The merge drivers git runs: `python -m ai_budget.sync.driver KIND BASE OURS THEIRS PATH`.

git hands over three temporary files and the journal path; the merged text replaces OURS. Exit 0: merged;
exit 1 with one line on stderr: git marks the file conflicted, and `ai-budget sync` aborts the merge.
Run straight by git (never through click), so a merge costs one short process per file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ai_budget.errors import BudgetError
from ai_budget.fileio import write_atomic
from ai_budget.sync import merges

KINDS: dict[str, Callable[[str, str, str, str], str]] = {
    "budget": lambda b, o, t, _: merges.budget(b, o, t),
    "ledger": lambda b, o, t, _: merges.ledger(b, o, t),
    "sessions": lambda b, o, t, _: merges.session_log(b, o, t),
    "lines": lambda b, o, t, _: merges.lines(b, o, t),
    "rollup": merges.rollup,
}


def merge_files(kind: str, base: Path, ours: Path, theirs: Path, rel: str) -> None:
    """Merge the three files into `ours`; MergeFailed (or a read error) says why not."""
    try:
        texts = [p.read_bytes().decode("utf-8") for p in (base, ours, theirs)]
    except UnicodeDecodeError:
        raise merges.MergeFailed(f"{rel} is not UTF-8 text on one side") from None
    write_atomic(ours, KINDS[kind](texts[0], texts[1], texts[2], rel))


def main(argv: list[str]) -> int:
    """The driver's command line; the exit status git reads."""
    if len(argv) != 5 or argv[0] not in KINDS:
        print(f"ai-budget merge driver: expected KIND BASE OURS THEIRS PATH, got {argv}", file=sys.stderr)
        return 2
    kind, base, ours, theirs, rel = argv
    try:
        merge_files(kind, Path(base), Path(ours), Path(theirs), rel)
    except (BudgetError, OSError, ValueError) as exc:
        print(f"ai-budget cannot merge {rel}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
