"""`paygo statements`: not built yet."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("statements", help="(not built yet)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print("paygo statements: not built yet")
    return 2
