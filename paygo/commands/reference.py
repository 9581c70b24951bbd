"""`paygo load-reference DIR`: load companies, employers, carriers, billing settings, policies, rates.

All or nothing, in one transaction; every bad row is listed as file:row: reason (exit 1).
Loading the same folder twice changes nothing. Account numbers are shown as ****last4 only.
"""

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("load-reference", help="load reference data (companies, employers, carriers, policies)")
    parser.add_argument("directory", metavar="DIR", type=Path, help="the reference folder (docs/reference-data.md)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.config import ConfigError, load_settings
    from paygo.db.crypto import AccountCipher
    from paygo.db.migrate import current_revision, head_revision
    from paygo.db.session import make_engine, session_scope
    from paygo.reference import ReferenceDataError, load_reference

    if not args.directory.is_dir():
        print(f"paygo load-reference: {args.directory} is not a folder", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        cipher = AccountCipher(settings.account_keys())
    except ConfigError as exc:
        print(f"paygo load-reference: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) != head_revision():
            print("paygo load-reference: the database is not at the latest revision: run `paygo db upgrade`",
                  file=sys.stderr)
            return 2
        try:
            with session_scope(engine) as session:
                report = load_reference(session, args.directory, cipher)
        except ReferenceDataError as exc:
            print(f"refused: {len(exc.problems)} problem(s), nothing was loaded")
            for problem in exc.problems:
                print(f"  {problem}")
            return 1
    finally:
        engine.dispose()
    if not report.changed:
        print(f"{args.directory}: already loaded, nothing changed")
        return 0
    for label, counts in (("created", report.created), ("updated", report.updated)):
        if counts:
            print(f"{label}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for change in report.bank_changes:
        print(f"  bank details: {change}")
    return 0
