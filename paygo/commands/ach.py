"""`paygo ach`: inspect, originate, reconcile, settle (spec/cli.md).

Each sub-command lives in its own module (`ach_inspect`, `ach_originate`, `ach_reconcile`,
`ach_settle`) exposing `add_arguments(parser)` and `run(args) -> int`; a module is imported only
when its sub-command is parsed or run.
"""

import argparse
import importlib

SUBCOMMANDS = {
    "inspect": ("ach_inspect", "parse and validate any NACHA file, returns and NOCs included"),
    "originate": ("ach_originate", "build (and upload) the NACHA debit file for what is due"),
    "reconcile": ("ach_reconcile", "apply a return / notification-of-change file from the bank"),
    "settle": ("ach_settle", "settle entries whose return window has passed"),
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ach", help="NACHA files: inspect, originate, reconcile, settle")
    ach_sub = parser.add_subparsers(dest="ach_command", metavar="SUBCOMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(f"paygo.commands.{module_name}")
        child = ach_sub.add_parser(name, help=help_text)
        module.add_arguments(child)
        child.set_defaults(handler=module.run)
