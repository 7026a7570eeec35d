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

    finish = _bare_cli()
    app = importlib.import_module("ai_budget.cli.app")
    importlib.import_module(f"ai_budget.cli.{module}")
    if command not in app.cli.commands:
        finish()  # the whole CLI after all
    return lambda: app.cli(prog_name="ai-budget")


def _bare_cli() -> "Callable[[], None]":
    """The CLI package made but its __init__ (which imports every command module) not yet run: the
    modules of one command, or the click-free fast paths, load alone. Returns what runs the __init__."""
    import importlib.util

    if "ai_budget.cli" in sys.modules:
        return lambda: None
    spec = importlib.util.find_spec("ai_budget.cli")
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules["ai_budget.cli"] = package
    loader = spec.loader
    return lambda: loader.exec_module(package)


def _fast_check(args: list[str]) -> str | None:
    """`check` from the kept basis (cli.fast_check), or None: the full path answers."""
    _bare_cli()
    from ai_budget.cli import fast_check

    try:
        return fast_check.answer(args)
    except Exception:  # the full path is the rule; this one only saves its time
        return None


def _print(text: str) -> None:
    """Print as the CLI does: a reader that went away (`| head`) ends the command with 1, silently."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(1)


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
    if args[:1] == ["check"] and args[1:] in ([], ["--json"]):
        text = _fast_check(args[1:])
        if text is not None:
            _print(text)
            return
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
