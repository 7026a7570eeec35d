"""The error hierarchy: each message names the problem and the next step."""

from __future__ import annotations

from ai_budget.redact import scrub


class BudgetError(Exception):
    """Base of every error the CLI turns into one line and a non-zero exit."""

    def __str__(self) -> str:
        # Messages reach the terminal, the brief, session logs and git: never with a token in them.
        return scrub(super().__str__())


class NotAJournal(BudgetError):
    """The journal folder does not exist or is not an ai-budget journal."""


class CorruptBudget(BudgetError):
    """budget.json cannot be parsed or validated."""


class NewerSchema(BudgetError):
    """budget.json was written by a newer ai-budget."""


class BadText(BudgetError):
    """A text file of the user's cannot be read as UTF-8."""


class UnknownTaskType(BudgetError):
    """A calibration task type that the journal does not know."""


class InvalidInput(BudgetError):
    """A value given on the command line is out of range or malformed."""


class JournalBusy(BudgetError):
    """Another ai-budget process holds the journal lock for too long."""


class CredentialsError(BudgetError):
    """The Claude login cannot be read or cannot read usage."""


class FetchError(BudgetError):
    """The usage endpoint could not give fresh numbers."""


class GitFailed(BudgetError):
    """A git command in the journal failed."""
