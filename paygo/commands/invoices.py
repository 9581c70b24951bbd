"""`paygo invoices [list] [--status S] [--json]`: list invoices (numbers, parties, amounts, status);
`paygo invoices represent INV-... [--date D]`: debit a failed invoice again where the rules allow
(paygo.ach.represent; the next `paygo ach originate` sends the notice and the entry);
`paygo invoices write-off INV-... --reason TEXT [--date D]`: what it still owes to bad debt.
Exit 0; 1 refused (the rule is printed); 2 usage error."""

import argparse
import json
import sys
from datetime import date

from paygo.states import INVOICE_STATUSES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("invoices", help="list invoices; re-present or write off one")
    parser.add_argument("action", nargs="?", choices=("list", "represent", "write-off"), default="list")
    parser.add_argument("invoice", nargs="?", metavar="INV-...", help="with represent / write-off")
    parser.add_argument("--status", choices=INVOICE_STATUSES)
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--reason", help="with write-off: why (kept in the invoice's history)")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError

    if args.action == "list":
        return list_invoices(args)
    if not args.invoice:
        raise UsageError(f"{args.action} needs the invoice number")
    if args.action == "write-off" and not (args.reason or "").strip():
        raise UsageError("write-off needs --reason")
    return change(args)


def change(args: argparse.Namespace) -> int:
    from paygo.ach.represent import RepresentError, represent
    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.invoicing.write_off import WriteOffError, write_off

    today = args.date or date.today()
    with database() as (_, session):
        try:
            if args.action == "represent":
                presentment = represent(session, args.invoice, on=today)
                message = (f"{args.invoice}: re-presented as presentment {presentment}; the next `paygo ach "
                           f"originate` sends the pre-debit notice and the debit")
            else:
                cents = write_off(session, args.invoice, reason=args.reason, on=today)
                message = f"{args.invoice}: ${format_cents(cents)} written off on {today}"
        except (RepresentError, WriteOffError) as exc:
            session.rollback()
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        session.commit()
    print(message)
    return 0


def list_invoices(args: argparse.Namespace) -> int:
    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.invoicing.repo import list_invoices as rows_of

    with database() as (_, session):
        rows = rows_of(session, args.status)
    if args.json:
        json.dump(rows, sys.stdout)
        sys.stdout.write("\n")
        return 0
    for r in rows:
        print(f"{r['number']}  {r['kind']:<10} {r['status']:<9} {r['policy_number'] or '':<12} "
              f"{r['employer_fein']}  {r['payroll_run_id'] or '':<12} {format_cents(r['total_cents']):>12}  "
              f"{r['payment_method']:<9} due {r['due_date']}")
    print(f"{len(rows)} invoice(s)")
    return 0
