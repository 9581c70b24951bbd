"""`paygo report [--by period|policy|employer] [--out FILE]`: invoice totals as CSV.

Columns: the key, outstanding_cents, processed_cents, failed_cents, total_cents, invoices;
void invoices are excluded (paygo.invoicing.report).
"""

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="invoice totals by period, policy or employer, as CSV")
    parser.add_argument("--by", choices=("period", "policy", "employer"), default="period")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the CSV here instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.commands.common import database
    from paygo.invoicing.report import report_csv

    with database() as (_, session):
        text = report_csv(session, args.by)
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0
