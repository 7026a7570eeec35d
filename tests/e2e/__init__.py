"""End-to-end tests against the real Claude Code CLI.

A package, so that its conftest.py does not shadow tests/conftest.py.
"""
