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
    from paygo.config import ConfigError, load_settings
    from paygo.db.crypto import AccountCipher
    from paygo.db.session import make_engine, session_scope

    try:
        settings = load_settings()
        data = args.file.read_bytes()
    except (ConfigError, OSError) as exc:
        print(f"paygo ach reconcile: {exc}")
        return 2
    try:
        cipher = AccountCipher(settings.account_keys())
    except ConfigError:
        cipher = None  # only NOCs carrying an account need it; reconcile raises then
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            r = reconcile_return_file(session, data, name=args.file.name, received_on=args.date or date.today(),
                                      cipher=cipher)
    except ConfigError as exc:
        print(f"paygo ach reconcile: {exc}")
        return 2
    finally:
        engine.dispose()
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
