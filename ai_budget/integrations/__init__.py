"""What ai-budget installs into Claude Code, and the demo."""
