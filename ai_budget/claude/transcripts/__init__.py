"""Claude Code transcripts: find them, total them by the dedupe rule, cache per-file results."""

from ai_budget.claude.transcripts.cache import PARALLEL_MIN_FILES, Index, ScanStats
from ai_budget.claude.transcripts.discover import Transcript, find_transcripts
from ai_budget.claude.transcripts.records import ROW_FIELDS, Message, Row, counts_of
from ai_budget.claude.transcripts.report import Report, tokens
from ai_budget.claude.transcripts.scan import FileScan, scan_file
from ai_budget.claude.transcripts.totals import Counts

__all__ = [
    "PARALLEL_MIN_FILES",
    "ROW_FIELDS",
    "Counts",
    "FileScan",
    "Index",
    "Message",
    "Report",
    "Row",
    "ScanStats",
    "Transcript",
    "counts_of",
    "find_transcripts",
    "scan_file",
    "tokens",
]
