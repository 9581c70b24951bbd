"""`paygo invoices [--status S] [--json]`: list invoices (numbers, parties, amounts, status)."""

import argparse
import json
import sys

STATUSES = ("issued", "scheduled", "in_flight", "paid", "failed", "void")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("invoices", help="list invoices")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.invoicing.repo import list_invoices

    with database() as (_, session):
        rows = list_invoices(session, args.status)
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
