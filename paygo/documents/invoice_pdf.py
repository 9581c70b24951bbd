"""The invoice PDF an employer (or its payroll company) pays and finance reviews.

Rule (Audit1 billing guide, seeds/004): "each invoice links back to the source payroll file and
includes a breakdown by class code and state". So every invoice shows the payroll run and the
file it came from (name and the first 12 hex digits of its sha256), one line per (state, class
code) with auditable wages, net rate per $100 (its exact text) and premium, then the fee lines.
Remit (1099Policy, seeds/000): when the payroll company remits on the employer's behalf the bill
"is due within 30 days of the bill date"; a consolidated remit bill lists, for one payroll company
and period, each employer's invoice. NACHA's data-security rule: a bank account shows as its last
four digits only; this module never receives more than those four digits.

Totals are sums of integer cents, checked when the document is built:
- invoice: total = premium lines + fee lines. Lines 220,000 cents at 1.234 -> 2,715 and
  150,000 at 0.85 -> 1,275, fee 300: total = 2,715 + 1,275 + 300 = 4,290 cents ($42.90).
- adjustment: lines and fees are the corrected run, summing to the new total; the total billed is
  new total - previous total. Previous $42.90, new $30.00: total = -1,290 cents, shown "-$12.90",
  a credit refunded to the employer.
- consolidated remit bill: total = sum of the listed employer invoices.
Amounts are shown "$1,234.56", negatives "-$12.34" (layout.dollars).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from paygo.documents import layout
from paygo.documents.layout import dollars, fein_text

LAST4 = re.compile(r"[0-9]{4}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
REMIT_DAYS = 30


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    ADJUSTMENT = "adjustment"
    CONSOLIDATED_REMIT_BILL = "consolidated_remit_bill"


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    SCHEDULED = "scheduled"
    PAID = "paid"
    FAILED = "failed"
    VOID = "void"
    NETTED = "netted"  # a credit whose debit never collected: it lowered what is owed, nothing is refunded


class PaymentMethod(StrEnum):
    ACH_DEBIT = "ach_debit"
    REMIT = "remit"


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


@dataclass(frozen=True)
class Employer:
    name: str
    fein: str  # 9 digits, no dash; shown 12-3456789

    def __post_init__(self) -> None:
        fein_text(self.fein)  # raises ValueError unless 9 digits


@dataclass(frozen=True)
class PayrollRun:
    run_id: str
    run_type: str  # regular | off_cycle | correction
    pay_date: date
    period_start: date
    period_end: date


@dataclass(frozen=True)
class SourceFile:
    name: str
    sha256: str  # 64 lowercase hex digits; the PDF shows the first 12
    mapping: str | None = None  # the mapping profile the file was read with, `id@version` (issue 13)
    roster: str | None = None  # the roster versions that supplied state/class, `946123457@v2 ...`

    @property
    def read_with(self) -> str | None:
        """The source-file line's second half: `gusto-payroll-journal@1a2b3c4d5e6f, roster 946123457@v2`."""
        if self.mapping is None:
            return None
        return self.mapping + (f", roster {self.roster}" if self.roster else "")

    def __post_init__(self) -> None:
        if not SHA256_HEX.fullmatch(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hex digits")

    @property
    def short_sha256(self) -> str:
        return self.sha256[:12]


@dataclass(frozen=True)
class PremiumLine:
    state: str
    class_code: str
    auditable_wages_cents: int
    net_rate: str  # the rate's exact decimal text per $100, e.g. "1.234"
    premium_cents: int


@dataclass(frozen=True)
class FeeLine:
    description: str
    amount_cents: int


@dataclass(frozen=True)
class Adjustment:
    """What an adjustment invoice corrects; a negative difference is a credit (refund)."""

    original_invoice_number: str
    previous_total_cents: int
    new_total_cents: int

    @property
    def difference_cents(self) -> int:
        return self.new_total_cents - self.previous_total_cents


@dataclass(frozen=True)
class RemitBillItem:
    """One employer invoice listed on a consolidated remit bill."""

    invoice_number: str
    employer: Employer
    policy_number: str
    carrier_name: str
    payroll_run_id: str
    pay_date: date
    total_cents: int


@dataclass(frozen=True)
class Payment:
    """How the money moves: an ACH debit of the employer's account (last four only) or a remittance."""

    method: PaymentMethod
    account_type: AccountType | None = None  # ach_debit only
    account_last4: str | None = None  # ach_debit only; exactly 4 digits, never more
    debit_date: date | None = None  # ach_debit, once scheduled

    def __post_init__(self) -> None:
        # database rows hold the plain text ("ach_debit"); coerce so comparisons and .value work
        object.__setattr__(self, "method", PaymentMethod(self.method))
        if self.account_type is not None:
            object.__setattr__(self, "account_type", AccountType(self.account_type))
        if self.method is PaymentMethod.ACH_DEBIT:
            if self.account_type is None or self.account_last4 is None:
                raise ValueError("an ACH debit needs the account type and the account's last four digits")
            if not LAST4.fullmatch(self.account_last4):
                raise ValueError("account_last4 must be exactly 4 digits")
        elif self.account_type is not None or self.account_last4 is not None or self.debit_date is not None:
            raise ValueError("a remitted invoice carries no bank account and no debit date")


@dataclass(frozen=True)
class Period:
    start: date
    end: date


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on one invoice. Invoices and adjustments fill employer..source_file and
    lines; a consolidated remit bill fills `billing_period` and `remit_items` instead."""

    invoice_number: str
    kind: InvoiceKind
    status: InvoiceStatus
    issue_date: date
    due_date: date
    payroll_company: str
    total_cents: int
    payment: Payment
    carrier_name: str | None = None
    employer: Employer | None = None
    policy_number: str | None = None
    payroll_run: PayrollRun | None = None
    source_file: SourceFile | None = None
    lines: tuple[PremiumLine, ...] = ()
    fee_lines: tuple[FeeLine, ...] = ()
    adjustment: Adjustment | None = None
    billing_period: Period | None = None
    remit_items: tuple[RemitBillItem, ...] = ()
    replaced_by: str | None = None  # VOID only: the invoice that replaces this one

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", InvoiceKind(self.kind))  # "invoice" -> InvoiceKind.INVOICE
        object.__setattr__(self, "status", InvoiceStatus(self.status))
        if self.due_date < self.issue_date:
            raise ValueError("due date is before the issue date")
        if self.replaced_by is not None and self.status is not InvoiceStatus.VOID:
            raise ValueError("only a void invoice is replaced by another")
        if self.status is InvoiceStatus.SCHEDULED and self.payment.debit_date is None:
            raise ValueError("a scheduled invoice needs its ACH debit date")
        if self.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL:
            self._check_consolidated()
        else:
            self._check_employer_invoice()

    def _check_consolidated(self) -> None:
        if self.payment.method is not PaymentMethod.REMIT:
            raise ValueError("a consolidated remit bill is paid by remittance")
        if self.billing_period is None or not self.remit_items:
            raise ValueError("a consolidated remit bill needs its period and its employer invoices")
        if self.lines or self.fee_lines or self.adjustment is not None:
            raise ValueError("a consolidated remit bill lists invoices, not premium lines")
        listed = sum(item.total_cents for item in self.remit_items)
        if listed != self.total_cents:
            raise ValueError(f"total {self.total_cents} != sum of listed invoices {listed}")

    def _check_employer_invoice(self) -> None:
        missing = [
            name
            for name in ("carrier_name", "employer", "policy_number", "payroll_run", "source_file")
            if getattr(self, name) is None
        ]
        if missing or not self.lines:
            raise ValueError(f"an invoice needs {', '.join(missing) or 'premium lines'}")
        billed = self.premium_cents + self.fees_cents
        if self.kind is InvoiceKind.ADJUSTMENT:
            if self.adjustment is None:
                raise ValueError("an adjustment invoice needs the invoice it adjusts")
            if billed != self.adjustment.new_total_cents:
                raise ValueError(f"lines and fees {billed} != adjusted new total {self.adjustment.new_total_cents}")
            if self.total_cents != self.adjustment.difference_cents:
                raise ValueError("an adjustment's total is its difference (new total - previous total)")
        else:
            if self.adjustment is not None:
                raise ValueError("only an adjustment invoice carries adjustment details")
            if billed != self.total_cents:
                raise ValueError(f"total {self.total_cents} != lines {self.premium_cents} + fees {self.fees_cents}")

    @property
    def premium_cents(self) -> int:
        return sum(line.premium_cents for line in self.lines)

    @property
    def fees_cents(self) -> int:
        return sum(fee.amount_cents for fee in self.fee_lines)


TITLES = {
    InvoiceKind.INVOICE: "Premium invoice",
    InvoiceKind.ADJUSTMENT: "Adjustment invoice",
    InvoiceKind.CONSOLIDATED_REMIT_BILL: "Consolidated remit bill",
}

STATUS_COLORS = {
    InvoiceStatus.ISSUED: colors.HexColor("#334e68"),
    InvoiceStatus.SCHEDULED: colors.HexColor("#2f6f9f"),
    InvoiceStatus.PAID: colors.HexColor("#2e7d32"),
    InvoiceStatus.FAILED: colors.HexColor("#b26a00"),
    InvoiceStatus.VOID: layout.STAMP_RED,
    InvoiceStatus.NETTED: colors.HexColor("#5c6770"),
}


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as deterministic PDF bytes (same document, same bytes)."""
    title = TITLES[doc.kind]
    who = doc.employer.name if doc.employer else doc.payroll_company
    story: list[Flowable] = [*_heading(doc, title), Spacer(1, 8)]
    if doc.status is InvoiceStatus.VOID:
        replaced = f" It is replaced by invoice {doc.replaced_by}." if doc.replaced_by else " It is not replaced."
        story += [layout.banner(f"VOID: this invoice is cancelled and must not be paid.{replaced}", layout.STAMP_RED),
                  Spacer(1, 8)]
    story += [_amount_due_box(doc), Spacer(1, 10)]
    if doc.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL:
        story += _consolidated_body(doc)
    else:
        story += _employer_invoice_body(doc)
    story += [Spacer(1, 8), layout.rich("<b>How this is paid</b>", layout.HEADING), layout.para(_payment_text(doc))]
    return layout.render_pdf(
        story,
        title=f"{title} {doc.invoice_number}",
        running_header=f"{title} {doc.invoice_number}  |  {who}  |  issued {layout.date_text(doc.issue_date)}",
        footer_note="Amounts in US dollars. Bank accounts are shown by their last four digits only.",
        stamp="VOID" if doc.status is InvoiceStatus.VOID else None,
    )


def _heading(doc: InvoiceDocument, title: str) -> list[Flowable]:
    facts = Table(
        [
            ["Invoice no.", doc.invoice_number],
            ["Issue date", layout.date_text(doc.issue_date)],
            ["Due date", layout.date_text(doc.due_date)],
            ["Status", doc.status.value.upper()],
        ],
        colWidths=[0.95 * inch, 1.75 * inch],
    )
    facts.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), "Helvetica", 8.5),
                ("TEXTCOLOR", (0, 0), (0, -1), layout.MUTED),
                ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 9.5),
                ("TEXTCOLOR", (1, 3), (1, 3), STATUS_COLORS[doc.status]),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    left = [layout.para(title.upper(), layout.TITLE), layout.para(f"Workers' compensation premium, pay-as-you-go. "
                                                                   f"Billed via {doc.payroll_company}.", layout.SMALL)]
    table = Table([[left, facts]], colWidths=[layout.CONTENT_WIDTH - 2.7 * inch, 2.7 * inch])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("LINEBELOW", (0, 0), (-1, 0), 1.5, layout.ACCENT),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return [table]


def _amount_label(doc: InvoiceDocument) -> str:
    if doc.status is InvoiceStatus.VOID:
        return "Amount (void, not payable)"
    if doc.status is InvoiceStatus.NETTED:
        return "Credit (deducted)"
    if doc.total_cents < 0 and doc.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL:
        return "Credit note"
    if doc.total_cents < 0:
        return "Credit to you (refund)"
    if doc.status is InvoiceStatus.PAID:
        return "Amount paid"
    return "Amount due"


def _total_label(doc: InvoiceDocument) -> str:
    if doc.status is InvoiceStatus.VOID:
        return "TOTAL (VOID)"
    if doc.total_cents < 0:
        return "TOTAL CREDIT"
    return "TOTAL PAID" if doc.status is InvoiceStatus.PAID else "TOTAL DUE"


def _amount_due_box(doc: InvoiceDocument) -> Table:
    when = layout.date_text(doc.due_date)
    if doc.status is InvoiceStatus.VOID:
        when = "nothing will be collected"
    elif doc.status is InvoiceStatus.NETTED:
        when = "deducted from what is owed"
    elif doc.total_cents < 0 and doc.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL:
        when = "deducted from your open bills"
    elif doc.total_cents < 0:
        when = "refunded, nothing to pay"
    elif doc.payment.method is PaymentMethod.ACH_DEBIT and doc.payment.debit_date is not None:
        when = f"ACH debit on {layout.date_text(doc.payment.debit_date)}"
    elif doc.payment.method is PaymentMethod.ACH_DEBIT:
        when = f"ACH debit, due {when}"
    else:
        when = f"pay by {when}"
    table = Table(
        [[_amount_label(doc), dollars(doc.total_cents), when]],
        colWidths=[2.2 * inch, 2.2 * inch, layout.CONTENT_WIDTH - 4.4 * inch],
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), layout.SHADE),
                ("BOX", (0, 0), (-1, -1), 0.75, layout.ACCENT),
                ("FONT", (0, 0), (0, 0), "Helvetica-Bold", 10),
                ("FONT", (1, 0), (1, 0), "Helvetica-Bold", 16),
                ("FONT", (2, 0), (2, 0), "Helvetica", 9.5),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _employer_invoice_body(doc: InvoiceDocument) -> list[Flowable]:
    assert doc.employer and doc.payroll_run and doc.source_file  # checked in __post_init__
    run = doc.payroll_run
    half = (layout.CONTENT_WIDTH - 0.3 * inch) / 2
    bill_to = layout.field_block(
        "Bill to",
        [
            ("Employer", doc.employer.name),
            ("FEIN", fein_text(doc.employer.fein)),
            ("Policy no.", doc.policy_number or ""),
            ("Carrier", doc.carrier_name or ""),
            ("Payroll company", doc.payroll_company),
        ],
        half,
    )
    source = layout.field_block(
        "Payroll this invoice bills",
        [
            ("Payroll run", f"{run.run_id} ({run.run_type})"),
            ("Pay date", layout.date_text(run.pay_date)),
            ("Period", layout.period_text(run.period_start, run.period_end)),
            ("Source file", doc.source_file.name),
            ("File sha256", f"{doc.source_file.short_sha256}..."),
            *([("Read with", doc.source_file.read_with)] if doc.source_file.read_with else []),
        ],
        half,
    )
    story: list[Flowable] = [layout.side_by_side(bill_to, source)]
    if doc.adjustment is not None:
        story += _adjustment_block(doc.adjustment, doc.status is InvoiceStatus.NETTED)
    widths = [0.8 * inch, 1.0 * inch, 1.9 * inch, 1.5 * inch, layout.CONTENT_WIDTH - 5.2 * inch]
    rows = [
        [line.state, line.class_code, dollars(line.auditable_wages_cents), line.net_rate, dollars(line.premium_cents)]
        for line in doc.lines
    ]
    story += [
        layout.rich("<b>Premium by state and class code</b>", layout.HEADING),
        layout.data_table(
            ["State", "Class code", "Auditable wages", "Net rate per $100", "Premium"],
            rows,
            widths,
            right_cols=(2, 3, 4),
            total_rows=[["Total", "", dollars(sum(line.auditable_wages_cents for line in doc.lines)), "",
                         dollars(doc.premium_cents)]],
        ),
    ]
    if doc.fee_lines:
        story += [
            layout.rich("<b>Fees</b>", layout.HEADING),
            layout.data_table(
                ["Description", "Amount"],
                [[fee.description, dollars(fee.amount_cents)] for fee in doc.fee_lines],
                [layout.CONTENT_WIDTH - 1.6 * inch, 1.6 * inch],
                right_cols=(1,),
            ),
        ]
    totals = [("Premium", dollars(doc.premium_cents)), ("Fees", dollars(doc.fees_cents))]
    if doc.adjustment is not None:
        totals += [
            ("New total for this payroll run", dollars(doc.adjustment.new_total_cents)),
            (f"Previously billed ({doc.adjustment.original_invoice_number})",
             dollars(-doc.adjustment.previous_total_cents)),
        ]
    totals.append((_total_label(doc), dollars(doc.total_cents)))
    story += [Spacer(1, 8), layout.totals_box(totals)]
    return story


def _adjustment_block(adj: Adjustment, netted: bool = False) -> list[Flowable]:
    difference = adj.difference_cents
    refund = "deducted from what you owe" if netted else "refunded to you"
    meaning = f"a credit, {refund}" if difference < 0 else "an additional amount due" if difference else "no change"
    return [
        layout.rich("<b>What this adjusts</b>", layout.HEADING),
        layout.rich(
            f"This invoice corrects invoice <b>{escape(adj.original_invoice_number)}</b>: previous total "
            f"<b>{dollars(adj.previous_total_cents)}</b>, new total <b>{dollars(adj.new_total_cents)}</b>, "
            f"difference <b>{dollars(difference)}</b> ({meaning})."
        ),
    ]


def _consolidated_body(doc: InvoiceDocument) -> list[Flowable]:
    assert doc.billing_period is not None  # checked in __post_init__
    period = layout.period_text(doc.billing_period.start, doc.billing_period.end)
    employers = len({item.employer.fein for item in doc.remit_items})
    story: list[Flowable] = [
        layout.field_block(
            "Bill to",
            [("Payroll company", doc.payroll_company), ("Period", period),
             ("Invoices", f"{len(doc.remit_items)} for {employers} employer(s)")],
            layout.CONTENT_WIDTH / 2,
        ),
        layout.rich("<b>Employer invoices included</b>", layout.HEADING),
    ]
    widths = [1.25 * inch, 2.05 * inch, 0.85 * inch, 1.0 * inch, 1.05 * inch]
    widths.append(layout.CONTENT_WIDTH - sum(widths))
    rows = [
        [
            item.invoice_number,
            layout.para(item.employer.name, layout.CELL),
            fein_text(item.employer.fein),
            item.policy_number,
            layout.date_text(item.pay_date),
            dollars(item.total_cents),
        ]
        for item in doc.remit_items
    ]
    story += [
        layout.data_table(
            ["Invoice no.", "Employer", "FEIN", "Policy no.", "Pay date", "Amount"],
            rows,
            widths,
            right_cols=(5,),
            total_rows=[["", "", "", "", "Total", dollars(doc.total_cents)]],
        ),
        Spacer(1, 8),
        layout.totals_box([(_total_label(doc), dollars(doc.total_cents))]),
    ]
    return story


def _payment_text(doc: InvoiceDocument) -> str:
    pay = doc.payment
    if doc.status is InvoiceStatus.VOID:
        return "Nothing is collected for a void invoice." + (
            f" Invoice {doc.replaced_by} replaces it." if doc.replaced_by else ""
        )
    if pay.method is PaymentMethod.REMIT:
        if doc.total_cents < 0 and doc.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL:
            return (f"This credit note of {dollars(-doc.total_cents)} corrects invoices already billed: it is "
                    f"deducted from what {doc.payroll_company} owes on its open remit bills, oldest first.")
        if doc.total_cents < 0:
            return f"The credit of {dollars(-doc.total_cents)} is returned to {doc.payroll_company}."
        whose = "its client employers'" if doc.kind is InvoiceKind.CONSOLIDATED_REMIT_BILL else "the employer's"
        return (
            f"{doc.payroll_company} remits this premium on {whose} behalf. Pay within {REMIT_DAYS} days of "
            f"the bill date: by {layout.date_text(doc.due_date)}."
        )
    account = f"{pay.account_type.value if pay.account_type else ''} account ending {pay.account_last4}"
    if doc.status is InvoiceStatus.NETTED:
        return (f"The debit this credit corrects was not collected, so the credit of {dollars(-doc.total_cents)} "
                "is deducted from what the employer owes for the payroll run instead of being refunded.")
    if doc.total_cents < 0:
        return f"The credit of {dollars(-doc.total_cents)} is refunded by ACH credit to the employer's {account}."
    if doc.status is InvoiceStatus.PAID:
        return f"Paid by ACH debit from the employer's {account}."
    if doc.status is InvoiceStatus.FAILED:
        return (f"The ACH debit from the employer's {account} was returned unpaid. "
                "Contact us to update bank details or authorize a new debit.")
    if pay.debit_date is not None:
        return (f"{dollars(doc.total_cents)} will be debited by ACH from the employer's {account} "
                f"on {layout.date_text(pay.debit_date)}. No action is needed.")
    return f"{dollars(doc.total_cents)} will be debited by ACH from the employer's {account} by the due date."
