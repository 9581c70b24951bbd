"""`paygo report`: reports for finance (docs/reports.md).

    paygo report [totals] [--by period|policy|employer] [--out FILE]
    paygo report aging   [--date YYYY-MM-DD] [--format csv|pdf] [--out FILE]
    paygo report returns [--date YYYY-MM-DD] [--format csv|pdf] [--out FILE]
    paygo report wallets [--date YYYY-MM-DD] [--since YYYY-MM] [--format csv|pdf] [--out FILE]

`totals` (the default, and the form without a report name) is the invoice totals CSV: the key,
outstanding_cents, processed_cents, failed_cents, total_cents, invoices; void invoices are excluded
(paygo.invoicing.report). `aging`, `returns` and `wallets` are paygo.reports: `--date` is the
business date (default today) the report is as of; a CSV goes to stdout unless `--out` is given, a
PDF to `--out` or PAYGO_HOME/reports/<report>-<date>.pdf. Reports only read the database.
"""

import argparse
import sys
from datetime import date
from pathlib import Path

REPORTS = ("totals", "aging", "returns", "wallets")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report", help="reports for finance: invoice totals, receivables aging, returns, carrier wallet movements",
        description="Without a report name: invoice totals as CSV (--by). aging: open receivables by days past "
                    "due; returns: returns and NOCs by code and employer; wallets: carrier wallet movements by month.")
    parser.add_argument("report", nargs="?", choices=REPORTS, default="totals", help="which report (default totals)")
    parser.add_argument("--by", choices=("period", "policy", "employer"), default=None,
                        help="totals only: group by (default period)")
    parser.add_argument("--date", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="aging, returns, wallets: the business date the report is as of (default today)")
    parser.add_argument("--since", default=None, metavar="YYYY-MM",
                        help="wallets only: first month shown (earlier movements make the opening balance)")
    parser.add_argument("--format", choices=("csv", "pdf"), default=None, help="aging, returns, wallets (default csv)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the report here instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError, database

    if args.report == "totals":
        given = [f"--{n}" for n in ("date", "since", "format") if getattr(args, n) is not None]
        if given:
            raise UsageError(f"{', '.join(given)}: only for aging, returns or wallets")
        from paygo.invoicing.report import report_csv

        with database() as (_, session):
            text = report_csv(session, args.by or "period")
        return _emit(text.encode(), args.out)
    if args.by is not None:
        raise UsageError("--by: only for the totals report")
    if args.since is not None and args.report != "wallets":
        raise UsageError("--since: only for the wallets report")
    since = None
    if args.since is not None:
        from paygo.statements import parse_month

        try:
            since = parse_month(args.since)
        except ValueError as exc:
            raise UsageError(f"--since {args.since!r}: expected YYYY-MM") from exc
    from paygo.reports import build, render

    as_of = args.date or date.today()
    fmt = args.format or "csv"
    with database() as (settings, session):
        data = render(build(session, args.report, as_of, since), args.report, fmt)
    out = args.out
    if out is None and fmt == "pdf":
        out = settings.home / "reports" / f"{args.report}-{as_of.isoformat()}.pdf"
    return _emit(data, out)


def _emit(data: bytes, out: Path | None) -> int:
    if out is None:
        sys.stdout.write(data.decode())
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"wrote {out}")
    return 0
