"""``video-conformance``: argument parsing and dispatch only.

Each subcommand lives in ``conformance/commands/<name>.py`` with two functions,
``add_arguments(parser)`` and ``main(args) -> int``. Errors become one line and an exit code;
no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from conformance import __version__
from conformance.errors import EXIT_HARNESS, EXIT_USAGE, HarnessError, UsageError

DESCRIPTION = """\
Check an OpenAI-compatible video generation API (POST /v1/videos, GET /v1/videos/{id},
GET /v1/videos/{id}/content) against the contract, with a budget you set in advance, and
write a report a person can read (report.html) and CI can gate on (junit.xml, summary.md)."""

EPILOG = """\
examples:
  video-conformance run                               check the bundled reference provider
  video-conformance plan --profile sciforium          what a run would create and cost
  video-conformance run --profile sciforium           check a vendor (key from its env var)
  video-conformance init --output acme.toml           write a profile for another provider
  video-conformance diff old/report.json new/report.json

exit codes: 0 gate passed, 1 conformance failure, 2 usage error, 3 harness error.
"video-conformance COMMAND --help" explains a command."""

COMMANDS: dict[str, str] = {
    "run": "check a provider against the contract and write its report",
    "serve": "run the bundled reference provider (optionally as a vendor dialect)",
    "plan": "print the jobs a run would create and what they would cost; sends nothing",
    "checks": "list the check catalogue (text, markdown or json)",
    "compare": "build the vendor matrix (matrix.html, matrix.md) from several report.json files",
    "diff": "compare two runs: regressed, fixed, new and vanished checks",
    "baseline": "write a per-vendor baseline of known failures from a report",
    "rejudge": "judge a recorded run (its transcript.har) again offline: no network, no billing",
    "setup-node": "install the pinned npm package openai that the openai-node oracle drives",
    "init": "write a profile TOML for a provider from flags (or questions on a terminal)",
    "annotate": "print a run's failures from junit.xml as GitHub Actions annotations",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints the whole usage block; one line is what the guide asks for.
        raise UsageError(f"{self.prog}: {message}")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-wrapped description and examples; wider help column."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``video-conformance`` and every subcommand.

    ``only`` names the one subcommand whose arguments are wanted: the others are listed (their
    help line is here) but their modules are not imported. Each command module imports what its
    command needs, and all of them together take longer to import than a short run lasts.
    """
    parser = _Parser(
        prog="video-conformance",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=_HelpFormatter
        )
        if only is None or name == only:
            module = importlib.import_module(f"conformance.commands.{name.replace('-', '_')}")
            module.add_arguments(command)
    return parser


def _command_named(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option, if it is one."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _without_httpx_cli() -> None:
    """Keep httpx from importing its command-line client.

    httpx imports it (with rich, click and pygments: a tenth of a second of every start-up)
    whenever rich and click are installed, as schemathesis installs them; it carries on
    without it when that import fails, and nothing here uses that client.
    """
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the subcommand, return its exit code (errors: one line)."""
    _without_httpx_cli()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        # A word that names no command builds every subparser, so argparse's error lists them.
        parser = build_parser(_command_named(words) or None)
        args = parser.parse_args(words)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        module = importlib.import_module(f"conformance.commands.{args.command.replace('-', '_')}")
        return int(module.main(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"harness error: {exc}", file=sys.stderr)
        return EXIT_HARNESS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback, never a secret
        from conformance.redact import redact_text

        print(f"internal error: {type(exc).__name__}: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_HARNESS


def entry() -> NoReturn:
    """The ``video-conformance`` console script: ``main()``, then exit at once.

    By the time ``main`` returns, the command has closed everything it opened and written
    everything it writes; tearing down the interpreter after that (module by module, with the
    SDK, pytest and the media libraries loaded) took half a second to a second of a short run
    on a busy 2-core machine. Only the standard streams are still buffered: they are flushed.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()
    os._exit(code)
