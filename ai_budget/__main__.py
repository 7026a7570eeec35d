"""Run the CLI as `python -m ai_budget`."""

from ai_budget.entry import main

main()
