"""Aging of open receivables: what each employer and payroll company still owes, by days past due.

Rule (issue 12, "Reports for finance"; docs/reports.md): an open item is an invoice that still owes
money (`paygo.payments.balances.open_cents`, the one definition), aged on its due date against the
business date of the report (never the wall clock):

    days past due = as_of - due_date        (in calendar days)
    current   days <= 0    (not yet due, or due today)
    1-30      1 <= days <= 30
    31-60     31 <= days <= 60
    61-90     61 <= days <= 90
    over 90   days >= 91

The due date of an invoice is `invoices.due_date`, except a remit invoice already on a
consolidated bill, which is due when its bill is (`remit_bills.due_date`): the payroll company is
asked to pay the bill, and the bill may be issued later than the invoice's own estimate.
Worked example, as of 2025-06-30: INV-1 owes 4,050 due 2025-06-30 (0 days: current), INV-2 owes
500 due 2025-05-31 (30 days: 1-30), INV-3 owes 296,295 due 2025-03-31 (91 days: over 90) ->
employer totals current 4,050, 1-30 500, over 90 296,295, total 300,845 cents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

# (key, label, lowest days past due, highest days past due or None) in report order
BUCKETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("current", "Current", None, 0),
    ("days_1_30", "1-30", 1, 30),
    ("days_31_60", "31-60", 31, 60),
    ("days_61_90", "61-90", 61, 90),
    ("days_over_90", "Over 90", 91, None),
)
BUCKET_KEYS = tuple(b[0] for b in BUCKETS)
BUCKET_LABELS = tuple(b[1] for b in BUCKETS)


def bucket_index(days_past_due: int) -> int:
    """0 current, 1 (1-30), 2 (31-60), 3 (61-90), 4 (over 90)."""
    for i, (_, _, low, high) in enumerate(BUCKETS):
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return i
    raise AssertionError(days_past_due)  # the buckets cover every integer


@dataclass(frozen=True)
class OpenItem:
    """One invoice that still owes money, with whom it is owed by."""

    invoice_number: str
    employer_fein: str
    employer_name: str
    payroll_company_id: str
    payroll_company_name: str
    due_date: date  # the due date used for aging (the bill's for a billed remit invoice)
    open_cents: int

    def days_past_due(self, as_of: date) -> int:
        return (as_of - self.due_date).days


@dataclass
class AgingRow:
    """Open cents by bucket for one employer, one payroll company, or everything."""

    payroll_company_id: str = ""
    payroll_company_name: str = ""
    employer_fein: str = ""  # empty on a payroll company row and the total
    employer_name: str = ""
    buckets_cents: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    invoices: int = 0

    @property
    def total_cents(self) -> int:
        return sum(self.buckets_cents)

    def add(self, bucket: int, cents: int) -> None:
        self.buckets_cents[bucket] += cents
        self.invoices += 1


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    employers: tuple[AgingRow, ...]  # by payroll company id, then employer name, then FEIN
    payroll_companies: tuple[AgingRow, ...]  # by payroll company id
    total: AgingRow


def aging(items: Iterable[OpenItem], as_of: date) -> AgingReport:
    """Bucket every open item by its days past due on `as_of`; rows per employer and payroll company."""
    employers: dict[str, AgingRow] = {}
    companies: dict[str, AgingRow] = {}
    total = AgingRow()
    for it in items:
        if it.open_cents <= 0:
            raise ValueError(f"{it.invoice_number}: an open item owes a positive amount, got {it.open_cents}")
        b = bucket_index(it.days_past_due(as_of))
        emp = employers.setdefault(it.employer_fein, AgingRow(it.payroll_company_id, it.payroll_company_name,
                                                                it.employer_fein, it.employer_name))
        co = companies.setdefault(it.payroll_company_id, AgingRow(it.payroll_company_id, it.payroll_company_name))
        for row in (emp, co, total):
            row.add(b, it.open_cents)
    return AgingReport(
        as_of=as_of,
        employers=tuple(sorted(employers.values(),
                               key=lambda r: (r.payroll_company_id, r.employer_name, r.employer_fein))),
        payroll_companies=tuple(sorted(companies.values(), key=lambda r: r.payroll_company_id)),
        total=total,
    )
