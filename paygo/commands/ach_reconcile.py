"""`paygo ach reconcile FILE [--date YYYY-MM-DD]`: apply a return / notification-of-change file.

Safe to run twice: a file already reconciled (same sha256, whatever its name) changes nothing.
Prints applied, duplicates, exceptions, retries scheduled and failures; accounts masked (****1234).
Exit 0 when applied (or nothing to do: a bank's zero-entry heartbeat file), 1 when the file is refused
whole (not NACHA, a broken gzip archive, or any structural or control violation `paygo ach inspect`
reports: each is printed, nothing is applied, one exception item is queued for ops), 2 for a usage error.
"""

import argparse
from datetime import date
from pathlib import Path

PRINTED_VIOLATIONS = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the return / NOC file from the bank")
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="the day the file was received (default today)")


def run(args: argparse.Namespace) -> int:
    from paygo.ach.reconcile import RefusedFile, reconcile_return_file
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
                                      cipher=cipher, tolerances=settings.bank.nacha_tolerances)
        except ConfigError as exc:
            raise UsageError(str(exc)) from exc
    if r.already_reconciled:
        print(f"{args.file.name}: already reconciled, nothing changed")
        return 0
    if isinstance(r, RefusedFile):
        return _refused(args.file.name, r)
    if r.items == 0:
        print(f"{args.file.name}: nothing to do, no returns or NOCs in the file")
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
    for warning in r.warnings:  # what the bank's tolerance profile allowed
        print(f"  tolerated: {warning}")
    return 0


def _refused(name: str, r) -> int:
    """What a refused file gets: the reason or every violation (capped), and the exception item."""
    if r.not_nacha:
        print(f"{name}: refused, nothing applied: {r.parse_errors[0].removeprefix('file: ')}")
    else:
        print(f"{name}: refused whole, nothing applied: {len(r.parse_errors)} violation(s) of the NACHA "
              f"format or its controls")
        for line in r.parse_errors[:PRINTED_VIOLATIONS]:
            print(f"  {line}")
        if len(r.parse_errors) > PRINTED_VIOLATIONS:
            print(f"  ... and {len(r.parse_errors) - PRINTED_VIOLATIONS} more (paygo ach inspect {name} lists them all)")
    if r.refused_before:
        print(f"  refused before, as exception #{r.exception_id}; nothing new queued")
    else:
        print(f"  queued for ops as exception #{r.exception_id}; a corrected re-delivery will be applied")
    return 1
