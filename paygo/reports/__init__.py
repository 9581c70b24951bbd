"""Reports for finance (issue 12): aging of open receivables, returns by code and employer, carrier
wallet movements; each as CSV and as PDF (docs/reports.md).

Layout: `aging`, `returns`, `wallets` are pure (plain values in, rows out); `queries` is the thin
read-only layer over the database; `csv_files` and `pdfs` write the values. `build(session, kind,
as_of, since)` runs a report and `render(report, kind, fmt)` gives its bytes. A report writes no
money state: it only reads.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from paygo.reports import csv_files, pdfs, queries
from paygo.reports.aging import AgingReport, aging
from paygo.reports.returns import ReturnsReport, returns_report
from paygo.reports.wallets import WalletReport, wallet_report

KINDS = ("aging", "returns", "wallets")
FORMATS = ("csv", "pdf")

Report = AgingReport | ReturnsReport | WalletReport


def build(session: Session, kind: str, as_of: date, since: date | None = None) -> Report:
    """The report's values from the database, as of the business date `as_of`."""
    if kind == "aging":
        return aging(queries.open_items(session), as_of)
    if kind == "returns":
        return returns_report(queries.return_items(session), as_of)
    if kind == "wallets":
        return wallet_report(queries.wallet_movements(session, as_of), queries.carriers(session), as_of, since)
    raise ValueError(f"report one of {', '.join(KINDS)}, not {kind!r}")


def render(report: Report, kind: str, fmt: str) -> bytes:
    """CSV (UTF-8) or PDF bytes of a built report."""
    if fmt not in FORMATS:
        raise ValueError(f"format one of {', '.join(FORMATS)}, not {fmt!r}")
    if kind == "aging":
        return csv_files.aging_csv(report).encode() if fmt == "csv" else pdfs.render_aging_pdf(report)
    if kind == "returns":
        return csv_files.returns_csv(report).encode() if fmt == "csv" else pdfs.render_returns_pdf(report)
    if kind == "wallets":
        return csv_files.wallets_csv(report).encode() if fmt == "csv" else pdfs.render_wallets_pdf(report)
    raise ValueError(f"report one of {', '.join(KINDS)}, not {kind!r}")
