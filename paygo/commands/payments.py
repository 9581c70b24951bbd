"""`paygo payments record|import|list`: money that came other than by our debit (issue 12).

  paygo payments record (--bill REMIT-... | --invoice INV-...) --amount 123.45 --reference TEXT
                        [--method check|wire|ach_credit|lockbox] [--date YYYY-MM-DD]
  paygo payments import FILE [--date YYYY-MM-DD]      a lockbox / incoming-credit CSV (docs/payments.md)
  paygo payments list [--json]

Recording is applied at once (paygo.payments.record); the same reference from the same payer again
changes nothing. Exit 0; 1 when the payment is refused (the reason is printed) or an import line went
to the exception queue; 2 on a usage error.
"""

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("payments", help="record or import remit payments (checks, wires, ACH credits)")
    parser.add_argument("action", choices=("record", "import", "list"))
    parser.add_argument("file", nargs="?", type=Path, help="with import: the lockbox CSV")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--bill", metavar="REMIT-...", help="the remit bill paid")
    target.add_argument("--invoice", metavar="INV-...", help="the invoice paid")
    parser.add_argument("--amount", help="dollars and cents, e.g. 1290.08")
    parser.add_argument("--reference", help="check number, wire reference: recorded once per payer")
    parser.add_argument("--method", default="check", choices=("check", "wire", "ach_credit", "lockbox"))
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError

    if args.action == "record":
        if not (args.bill or args.invoice) or args.amount is None or not args.reference:
            raise UsageError("record needs --bill or --invoice, --amount and --reference")
        return _record(args)
    if args.action == "import":
        if args.file is None:
            raise UsageError("import needs the CSV file")
        if not args.file.is_file():
            raise UsageError(f"no such file: {args.file}")
        return _import(args)
    return _list(args)


def _record(args: argparse.Namespace) -> int:
    from paygo.billing.money import MoneyError, format_cents, parse_cents
    from paygo.commands.common import UsageError, database
    from paygo.payments.record import PaymentError, record_payment

    try:
        cents = parse_cents(args.amount)
    except MoneyError as exc:
        raise UsageError(f"--amount {args.amount!r}: {exc}") from exc
    today = args.date or date.today()
    with database() as (_, session):
        try:
            r = record_payment(session, amount_cents=cents, on=today, reference=args.reference, method=args.method,
                               bill_number=args.bill, invoice_number=args.invoice)
        except PaymentError as exc:
            session.rollback()
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        session.commit()
    if not r.created:
        print(f"{r.number}: reference {args.reference!r} was recorded before; nothing changed")
        return 0
    print(f"{r.number}: ${format_cents(cents)} {args.method} {args.reference!r} on {today}")
    for number, applied in r.applied.items():
        print(f"  applied ${format_cents(applied)} to {number}")
    for number in r.paid_invoices + r.paid_bills:
        print(f"  {number} paid")
    if r.credit_left_cents:
        print(f"  ${format_cents(r.credit_left_cents)} held as the payer's credit, applied to its next bill")
    return 0


def _import(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError, database
    from paygo.payments.lockbox import LockboxError, import_lockbox

    today = args.date or date.today()
    with database() as (_, session):
        try:
            r = import_lockbox(session, args.file.read_bytes(), on=today)
        except LockboxError as exc:
            raise UsageError(f"{args.file}: {exc}") from exc
        session.commit()
    print(f"{args.file.name}: {r.lines} line(s): {len(r.recorded)} recorded, {len(r.already)} recorded before, "
          f"{len(r.exceptions)} to the exception queue")
    for why in r.exceptions:
        print(f"  {why}")
    return 1 if r.exceptions else 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.db import models as m

    with database() as (_, session):
        applied = dict(session.execute(select(m.PaymentApplication.payment_id,
                                              func.sum(m.PaymentApplication.amount_cents))
                                       .group_by(m.PaymentApplication.payment_id)).all())
        rows = [{"number": p.number, "payer_kind": p.payer_kind, "payer_id": p.payer_id, "reference": p.reference,
                 "method": p.method, "amount_cents": p.amount_cents, "received_on": p.received_on.isoformat(),
                 "applied_cents": int(applied.get(p.id, 0)), "unapplied_cents": p.amount_cents - int(applied.get(p.id, 0))}
                for p in session.scalars(select(m.Payment).order_by(m.Payment.id))]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['number']}  {r['received_on']}  {r['payer_id']:<16} {r['method']:<10} {r['reference']:<20} "
              f"{format_cents(r['amount_cents']):>12}  unapplied {format_cents(r['unapplied_cents']):>10}")
    print(f"{len(rows)} payment(s)")
    return 0
