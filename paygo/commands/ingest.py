"""`paygo ingest PAYROLL.csv --company ID`: validate, price and invoice one local payroll file.

The path the SFTP sensor takes, for a local file (spec/cli.md). Safe to run twice: the second
run of the same bytes changes nothing and says so. Exit 0 accepted or already ingested, 1
rejected (every error listed with its row and column), 2 a usage error. Invoice PDFs are
written after the commit under PAYGO_HOME/invoices/.
"""

import argparse
from datetime import date, datetime, timezone
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ingest", help="validate, price and invoice one payroll file")
    parser.add_argument("payroll", metavar="PAYROLL.csv", type=Path)
    parser.add_argument("--company", required=True, metavar="ID", help="the uploading payroll company")
    parser.add_argument("--date", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="business date the invoices are issued on (default today)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.billing.money import format_cents
    from paygo.commands.common import UsageError, database
    from paygo.ingest import IngestError, ingest_payroll_file
    from paygo.invoicing.pdfs import repair_missing_pdfs, write_invoice_pdfs

    try:
        data = args.payroll.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.payroll}: {exc.strerror or exc}") from exc
    with database() as (settings, session):
        try:
            result = ingest_payroll_file(session, data, company_id=args.company, original_name=args.payroll.name,
                                         home=settings.home, received_at=datetime.now(timezone.utc),
                                         business_date=args.date or date.today())
        except IngestError as exc:
            raise UsageError(str(exc)) from exc
        if result.status == "accepted":
            write_invoice_pdfs(session, settings.home, result.invoices + result.voided)
        repair_missing_pdfs(session, settings.home)  # any PDF an earlier run committed but never wrote
    print(f"{args.payroll.name}: {result.message}  sha256 {result.file_sha256}")
    for e in result.errors:
        row = "file" if e.row is None else f"row {e.row}"
        column = f", {e.column_text}" if e.column_text else ""  # a mapped file: `COMP CODE (class_code)`
        print(f"  {row}{column}: {e.error}")
    if result.status == "accepted":
        for number in result.voided:
            print(f"  voided {number}")
        for number in result.invoices:
            print(f"  invoice {number}: {settings.home / 'invoices' / (number + '.pdf')}")
        print(f"  premium {format_cents(result.total_premium_cents)}, billed {format_cents(result.billed_cents)}")
    return 1 if result.status == "rejected" else 0
