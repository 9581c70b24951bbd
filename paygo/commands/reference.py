"""`paygo load-reference DIR`: load companies, employers, carriers, billing settings, policies, rates.

All or nothing, in one transaction; every bad row is listed as file:row: reason (exit 1).
Loading the same folder twice changes nothing. Account numbers are shown as ****last4 only.
"""

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("load-reference", help="load reference data (companies, employers, carriers, policies)")
    parser.add_argument("directory", metavar="DIR", type=Path, help="the reference folder (docs/reference-data.md)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError, account_cipher, database
    from paygo.db.migrate import current_revision, head_revision
    from paygo.reference import ReferenceDataError, load_reference

    if not args.directory.is_dir():
        raise UsageError(f"{args.directory} is not a folder")
    with database() as (settings, session):
        cipher = account_cipher(settings)
        if current_revision(session.get_bind()) != head_revision():
            raise UsageError("the database is not at the latest revision: run `paygo db upgrade`")
        try:
            report = load_reference(session, args.directory, cipher)
        except ReferenceDataError as exc:
            session.rollback()  # nothing half-loaded
            print(f"refused: {len(exc.problems)} problem(s), nothing was loaded")
            for problem in exc.problems:
                print(f"  {problem}")
            return 1
    if not report.changed:
        print(f"{args.directory}: already loaded, nothing changed")
        return 0
    for label, counts in (("created", report.created), ("updated", report.updated)):
        if counts:
            print(f"{label}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for change in report.bank_changes:
        print(f"  bank details: {change}")
    return 0
