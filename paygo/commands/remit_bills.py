"""`paygo remit-bills [issue] [--date YYYY-MM-DD]`: issue the consolidated remit bills of every ended
month; `paygo remit-bills list [--json]`: every bill with its total, balance, status and invoices.

One bill per payroll company and month of pay dates, for the remit invoices not yet on a bill
(`paygo.invoicing.remit`); a late invoice for a month already billed gets a supplementary bill.
Safe to run twice: the second run issues nothing and says so. PDFs are written after the commit
under PAYGO_HOME/invoices/. Exit 0, or 2 on a usage error.
"""

import argparse
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("remit-bills", help="issue consolidated remit bills for ended months, or list them")
    parser.add_argument("action", nargs="?", choices=("issue", "list"), default="issue",
                        help="issue (default) the bills of ended months, or list every bill with its balance")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")
    parser.add_argument("--json", action="store_true", help="with list: one JSON array")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return list_bills(args) if args.action == "list" else issue(args)


def list_bills(args: argparse.Namespace) -> int:
    import json

    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.invoicing.remit import list_remit_bills

    with database() as (_, session):
        bills = list_remit_bills(session)
    if args.json:
        print(json.dumps(bills, indent=1))
        return 0
    for b in bills:
        print(f"{b['number']}  {b['payroll_company_id']:<20} {b['period_start'][:7]} #{b['sequence']}  "
              f"total {format_cents(b['total_cents']):>12}  balance {format_cents(b['balance_cents']):>12}  "
              f"{b['status']:<7} due {b['due_date']}  {', '.join(b['invoices'])}")
    print(f"{len(bills)} remit bill(s)" if bills else "no remit bills")
    return 0


def issue(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.db import models as m
    from paygo.invoicing.pdfs import write_invoice_pdfs
    from paygo.invoicing.remit import issue_remit_bills

    today = args.date or date.today()
    with database() as (settings, session):
        numbers = issue_remit_bills(session, today=today)
        session.commit()  # the bills exist before their PDFs are drawn
        write_invoice_pdfs(session, settings.home, numbers)
        bills = session.scalars(select(m.RemitBill).where(m.RemitBill.number.in_(numbers))
                                .order_by(m.RemitBill.number)).all()
        for b in bills:
            print(f"{b.number}  {b.payroll_company_id:<20} {b.period_start:%Y-%m} #{b.sequence}  "
                  f"{format_cents(b.total_cents):>12}  due {b.due_date}")
    print(f"{len(numbers)} remit bill(s) issued" if numbers else "no remit bills to issue")
    return 0
