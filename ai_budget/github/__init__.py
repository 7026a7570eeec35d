"""GitHub: Copilot counts from its billing API."""
