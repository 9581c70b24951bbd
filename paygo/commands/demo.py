"""`paygo demo [--out DIR]`: the whole pipeline end to end on built-in sample data (pipelines.demo)."""

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="run the whole pipeline end to end on built-in sample data")
    parser.add_argument("--out", type=Path, default=Path("paygo-demo"), help="folder for everything (default ./paygo-demo)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo  # imports dagster: only this command pays for it

    def echo(line: str) -> None:
        print(line, flush=True)

    try:
        run_demo(args.out, echo)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
