"""The journal: a local git repo of budget.json, tasks and session logs; every write is one transaction."""
