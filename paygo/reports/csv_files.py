"""The finance reports as CSV: dollars with cents for people, and the same amounts in integer cents.

Every amount appears twice: `<name>` in dollars with two decimals and no separators ("1234.56",
"-12.34") and `<name>_cents` in integer cents (123456, -1234), so a spreadsheet reader sees
dollars and a program sums exact cents. Columns are listed in docs/reports.md; rows are in the
order of the report's values.
"""

from __future__ import annotations

import csv
import io

from paygo.documents.layout import fein_text, plain_dollars
from paygo.reports.aging import BUCKET_KEYS, AgingReport, AgingRow
from paygo.reports.returns import ReturnsReport, code_description
from paygo.reports.wallets import WalletReport, kind_label

AGING_AMOUNTS = (*BUCKET_KEYS, "total")
AGING_COLUMNS = ("level", "payroll_company_id", "payroll_company_name", "employer_fein", "employer_name",
                 "invoices", *AGING_AMOUNTS, *(f"{a}_cents" for a in AGING_AMOUNTS), "as_of")
RETURNS_COLUMNS = ("section", "kind", "code", "description", "employer_fein", "employer_name", "count",
                   "amount", "amount_cents", "ach_return_id", "original_trace", "invoice_number",
                   "exception_kind", "exception_state", "as_of")
WALLET_COLUMNS = ("carrier_id", "carrier_name", "period", "line", "kind", "label", "amount", "amount_cents",
                  "as_of")


def _fein(fein: str) -> str:
    return fein_text(fein) if fein else ""


def _writer() -> tuple[io.StringIO, csv.writer]:
    buf = io.StringIO()
    return buf, csv.writer(buf, lineterminator="\n")


def aging_csv(report: AgingReport) -> str:
    """One `employer` row per employer, one `payroll_company` row per company, one `total` row."""
    buf, w = _writer()
    w.writerow(AGING_COLUMNS)

    def row(level: str, r: AgingRow) -> list:
        cents = [*r.buckets_cents, r.total_cents]
        return [level, r.payroll_company_id, r.payroll_company_name, _fein(r.employer_fein), r.employer_name,
                r.invoices, *(plain_dollars(c) for c in cents), *cents, report.as_of.isoformat()]

    w.writerows(row("employer", r) for r in report.employers)
    w.writerows(row("payroll_company", r) for r in report.payroll_companies)
    w.writerow(row("total", report.total))
    return buf.getvalue()


def returns_csv(report: ReturnsReport) -> str:
    """`by_code` rows, `by_employer` rows, a `total` row per kind (applied only), one `exception` row per
    item in the ops queue, and a `duplicates` row counting the copies ignored."""
    buf, w = _writer()
    w.writerow(RETURNS_COLUMNS)
    as_of = report.as_of.isoformat()

    def amounts(cents: int) -> list:
        return [plain_dollars(cents), cents]

    for r in report.by_code:
        w.writerow(["by_code", r.kind, r.code, r.description, "", "", r.count, *amounts(r.amount_cents),
                    "", "", "", "", "", as_of])
    for r in report.by_employer:
        w.writerow(["by_employer", r.kind, r.code, r.description, _fein(r.employer_fein), r.employer_name, r.count,
                    *amounts(r.amount_cents), "", "", "", "", "", as_of])
    for t in (report.returns, report.nocs):
        w.writerow(["total", t.kind, "", t.description, "", "", t.count, *amounts(t.amount_cents),
                    "", "", "", "", "", as_of])
    for it in report.exceptions:
        w.writerow(["exception", it.kind, it.code, code_description(it.code), _fein(it.employer_fein),
                    it.employer_name, 1, *amounts(it.amount_cents), it.id, it.original_trace, it.invoice_number,
                    it.exception_kind, "resolved" if it.exception_resolved else "open", as_of])
    w.writerow(["duplicates", "", "", "copies of returns already recorded, ignored", "", "", report.duplicates,
                "", "", "", "", "", "", "", as_of])
    return buf.getvalue()


def wallets_csv(report: WalletReport) -> str:
    """Per carrier and month: an `opening` row, one `movement` row per kind, a `closing` row. Amounts are
    what the wallet holds (opening, closing) or the change of it (movements: positive adds)."""
    buf, w = _writer()
    w.writerow(WALLET_COLUMNS)
    as_of = report.as_of.isoformat()
    for c in report.carriers:
        for mo in c.months:
            period = f"{mo.period:%Y-%m}"
            w.writerow([c.carrier_id, c.carrier_name, period, "opening", "", "Opening balance",
                        plain_dollars(mo.opening_cents), mo.opening_cents, as_of])
            for kind, cents in mo.movements.items():
                w.writerow([c.carrier_id, c.carrier_name, period, "movement", kind, kind_label(kind),
                            plain_dollars(cents), cents, as_of])
            w.writerow([c.carrier_id, c.carrier_name, period, "closing", "", "Closing balance",
                        plain_dollars(mo.closing_cents), mo.closing_cents, as_of])
    return buf.getvalue()
