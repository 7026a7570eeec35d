"""The data: budget.json and its sections, usage snapshots, backlog tasks, calibration, accounts."""
