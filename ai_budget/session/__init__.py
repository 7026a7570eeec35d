"""The session loop: `check` at the start, `log` at the end, and usage kept current in the journal."""
