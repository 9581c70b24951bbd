"""`paygo ach reconcile FILE [--date YYYY-MM-DD]`: apply a return / notification-of-change file.

Safe to run twice: a file already reconciled (same sha256, whatever its name) changes nothing.
Prints applied, duplicates, exceptions, retries scheduled and failures; accounts masked (****1234).
"""

import argparse
from datetime import date
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the return / NOC file from the bank")
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="the day the file was received (default today)")


def run(args: argparse.Namespace) -> int:
    from paygo.ach.reconcile import reconcile_return_file
    from paygo.commands.common import UsageError, account_cipher, database
    from paygo.config import ConfigError

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    with database() as (settings, session):
        # only NOCs carrying an account need the key; reconcile raises ConfigError then
        cipher = account_cipher(settings, required=False)
        try:
            r = reconcile_return_file(session, data, name=args.file.name, received_on=args.date or date.today(),
                                      cipher=cipher)
        except ConfigError as exc:
            raise UsageError(str(exc)) from exc
    if r.already_reconciled:
        print(f"{args.file.name}: already reconciled, nothing changed")
        return 0
    print(f"{args.file.name}: {r.items} returns/NOCs")
    print(f"  applied            {r.applied} (NOCs {r.nocs_applied}, clawbacks {r.clawbacks})")
    print(f"  duplicates         {r.duplicates}")
    print(f"  exceptions         {r.exceptions}")
    print(f"  retries scheduled  {r.retries_scheduled}")
    print(f"  failures           {r.failures}")
    if r.masked_accounts:
        print(f"  accounts           {', '.join(sorted(set(r.masked_accounts)))}")
    for err in r.parse_errors:
        print(f"  reader: {err}")
    return 0
