"""The `ai-budget` program: the statusline runs on every assistant message, so it skips click."""

import os
import sys

TYPE_CHECKING = False  # not typing's: importing it costs the statusline milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable

# Commands run often enough that importing every other command module would be most of their
# time: the CLI module that defines each (a command not found there loads the whole CLI).
ONE_MODULE = {
    "tokens": "usage",
    "fetch": "usage",
    "check": "session",
    "log": "session",
    "hook": "claude_code",  # at every start and end of a Claude Code session
}


def _cli(command: str | None) -> "Callable[[], object]":
    """The CLI's entry: for a command of ONE_MODULE, the group with only that module's commands."""
    module = ONE_MODULE.get(command or "")
    if module is None:
        from ai_budget.cli import main

        return main
    import importlib
    import importlib.util

    # The package is made but its __init__ (which imports every command module) not yet run.
    spec = importlib.util.find_spec("ai_budget.cli")
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["ai_budget.cli"] = package
    app = importlib.import_module("ai_budget.cli.app")
    importlib.import_module(f"ai_budget.cli.{module}")
    if command not in app.cli.commands:
        spec.loader.exec_module(package)  # the whole CLI after all
    return lambda: app.cli(prog_name="ai-budget")


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args[:1] == ["statusline"] and not {"-h", "--help"} & set(args):
        from ai_budget.integrations.statusline import main as statusline

        sys.exit(statusline(args[1:]))
    if args == ["hook", "prompt"]:  # before every prompt the user sends: no click either
        from ai_budget.integrations.fast_hooks import main as hook

        sys.exit(hook(args[1:]))
    if args == ["hook", "session-start"]:  # at every start: from the kept basis, no click or pydantic
        from ai_budget.integrations.fast_start import main as start

        sys.exit(start())
    answers = None
    if args[:1] == ["tokens"]:
        # An unchanged question is answered from its kept answer, before click is imported.
        from ai_budget.claude.answers import Answers

        answers = Answers.of(args[1:])
        if answers is not None and answers.replay():
            # Printed and flushed: tearing the interpreter down would cost about 2 ms more.
            os._exit(0)
    cli = _cli(args[0] if args else None)
    if answers is not None:
        answers.record(cli)
    else:
        cli()
