"""The `paygo` command line (spec/cli.md).

Each command lives in its own module under `paygo.commands` and exposes
`register(subparsers)`; the module is imported only when its command runs, so
`paygo check` never pays for importing the database or Dagster.
Exit codes: 0 success, 1 a rejected input (a command's documented failure), 2 a usage error.
"""

import argparse
import importlib
import sys

# command name -> module under paygo.commands; each module defines register(subparsers).
COMMANDS = {
    "demo": "demo",
    "check": "check",
    "db": "db",
    "load-reference": "reference",
    "ingest": "ingest",
    "invoices": "invoices",
    "remit-bills": "remit_bills",
    "ach": "ach",
    "report": "report",
    "statements": "statements",
    "payouts": "payouts",
    "exceptions": "exceptions",
    "mapping": "mapping",
    "payments": "payments",
    "employers": "employers",
    "dunning": "dunning",
    "notifications": "notifications",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paygo", description="Pay-as-you-go workers' compensation premium billing."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(run `paygo {name} --help`)")
            continue
        importlib.import_module(f"paygo.commands.{module}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(only=wanted).parse_args(argv)
    from paygo.commands.common import UsageError

    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:  # `paygo ... | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except UsageError as exc:
        print(f"paygo {' '.join(a for a in argv[:2] if not a.startswith('-'))}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
