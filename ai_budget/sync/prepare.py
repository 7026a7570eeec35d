"""Before a merge: what was changed by hand committed, and the journal made ready to meet another.

A merge needs a clean tree (the backlog and budget.json are edited by hand, and ai-budget commits such
edits with its next change anyway), the merge drivers registered, this machine's rollups in its own
folder, and its ledger lines named with it: lines from before machine names were all written here, except
those the remote already has (a journal copied from it).
"""

from __future__ import annotations

from ai_budget import paths
from ai_budget.errors import GitFailed
from ai_budget.journal import attributes, rollups
from ai_budget.journal.journal import Journal
from ai_budget.journal.transaction import Transaction
from ai_budget.jsonio import loads, record_line


def changed_by_hand(journal: Journal) -> list[str]:
    """Tracked files that differ from the last commit (untracked files are the user's own)."""
    listed = journal.repo.git("status", "--porcelain", "-z", "--untracked-files=no", "--no-renames")
    return sorted({entry[3:] for entry in listed.split("\0") if len(entry) > 3})


def _attributes(tx: Transaction) -> bool:
    """`.gitattributes` holds the drivers' lines (a user's own lines are kept)."""
    have = tx.read(attributes.FILE) or ""
    missing = [line for line in attributes.TEXT.splitlines() if line not in have.splitlines()]
    if not missing:
        return False
    text = attributes.TEXT if not have.strip() else have.rstrip("\n") + "\n" + "\n".join(missing) + "\n"
    tx.write(attributes.FILE, text)
    return True


def _remote_lines(journal: Journal, tip: str | None, rel: str) -> set[str]:
    if tip is None:
        return set()
    try:
        return set(journal.repo.git("show", f"{tip}:{rel}").splitlines())
    except GitFailed:
        return set()


def _stamp(tx: Transaction, journal: Journal, tip: str | None) -> int:
    """Name this machine on its ledger lines from before machine names; how many were named."""
    named = 0
    for path in sorted((journal.root / paths.LEDGER_DIR).glob("*.jsonl")):
        rel = path.relative_to(journal.root).as_posix()
        text = tx.read(rel) or ""
        if all('"machine":' in line for line in text.splitlines() if line.strip()):
            continue  # every line named already: the common case, without a git process
        theirs = _remote_lines(journal, tip, rel)
        out, changed = [], False
        for line in text.splitlines():
            try:
                record = loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and "machine" not in record and line not in theirs:
                record["machine"] = tx.machine
                line, changed = record_line(record).rstrip("\n"), True
                named += 1
            out.append(line)
        if changed:
            tx.write(rel, "\n".join(out) + "\n")
    return named


def prepare(journal: Journal, tip: str | None) -> None:
    """Commit hand edits, then what the journal needs to be merged (each only when there is some)."""
    with journal.transaction("edits by hand") as tx:
        edited = changed_by_hand(journal)
        for rel in edited:
            tx.stage(rel)
        tx.message = f"edits by hand: {', '.join(edited[:5])}" + (" …" if len(edited) > 5 else "")
    with journal.transaction("sync: journal made ready to sync") as tx:
        done = []
        if _attributes(tx):
            done.append("merge drivers in .gitattributes")
        moved = rollups.migrate_legacy(tx)
        if moved:
            done.append(f"rollups moved under usage/{tx.machine}/")
        named = _stamp(tx, journal, tip)
        if named:
            done.append(f"{named} ledger lines named with {tx.machine}")
        tx.message = f"sync: journal made ready to sync ({'; '.join(done)})"
    attributes.configure(journal.repo)
