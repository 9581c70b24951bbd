"""Pins what an invoice PDF says when read back with pypdf: number, dates, every line's numbers,
totals, who pays and how; a bank account only by its last four digits; VOID stamps and their
replacement; adjustment credits; the consolidated remit bill; multi-page flow with "Page n of m";
byte-identical output (golden file, refresh with PAYGO_UPDATE_GOLDENS=1); and the arithmetic the
document refuses to print when it does not add up."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from document_samples import (
    FULL_ACCOUNT_NUMBER,
    LAST4,
    SAMPLE_LINES,
    pdf_content_streams,
    pdf_pages_text,
    sample_adjustment,
    sample_invoice,
    sample_remit_bill,
    sample_void_invoice,
)
from pypdf import PdfReader

from paygo.documents import (
    AccountType,
    Adjustment,
    FeeLine,
    InvoiceDocument,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PremiumLine,
    render_invoice_pdf,
)

GOLDEN = Path(__file__).parents[1] / "fixtures" / "pdf" / "invoice_INV-2025-000123.pdf"


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages_text(pdf) for line in page.splitlines()]


def contains_run(haystack: list[str], needle: list[str]) -> bool:
    """True when `needle` appears as consecutive lines of `haystack` (one table row, cell by cell)."""
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def test_invoice_shows_number_dates_parties_and_source_file(invoice: InvoiceDocument) -> None:
    text = "\n".join(lines_of(render_invoice_pdf(invoice)))
    for expected in [
        "PREMIUM INVOICE",
        "INV-2025-000123",
        "Mar 17, 2025",  # issue date
        "Mar 20, 2025",  # due date and debit date
        "SCHEDULED",
        "Acme Roofing & Sons, LLC",
        "12-3456789",  # FEIN 123456789 with its dash
        "WC-100-2025",
        "Granite State Mutual",
        "Gusto Payroll Co",
        "RUN-0311 (regular)",
        "Mar 1, 2025 to Mar 14, 2025",
        "acme_2025-03-14.csv",
        "3f9a1c0be7d2...",  # first 12 hex digits of the sha256
    ]:
        assert expected in text, expected
    assert "3f9a1c0be7d24" not in text  # not more than 12 digits of the hash


@pytest.mark.parametrize(
    "row",
    [
        # 220,000 cents = $2,200.00 at 1.234 -> 2,715 cents = $27.15
        ["CA", "8810", "$2,200.00", "1.234", "$27.15"],
        # 1,234,567 cents = $12,345.67 at 8.0512 -> 99,397 cents = $993.97
        ["CA", "5403", "$12,345.67", "8.0512", "$993.97"],
        # 150,000 cents = $1,500.00 at 0.85 -> 1,275 cents = $12.75
        ["NV", "8810", "$1,500.00", "0.85", "$12.75"],
        # wages 1,604,567 = $16,045.67; premium 2,715 + 99,397 + 1,275 = 103,387 = $1,033.87
        ["Total", "$16,045.67", "$1,033.87"],
        # the fee line, 300 cents
        ["Platform fee, payroll cycle", "$3.00"],
        # total 103,387 + 300 = 103,687 = $1,036.87, in the amount box and in the totals
        ["Amount due", "$1,036.87", "ACH debit on Mar 20, 2025"],
        ["TOTAL DUE", "$1,036.87"],
    ],
)
def test_every_line_and_total_reads_back(invoice: InvoiceDocument, row: list[str]) -> None:
    assert contains_run(lines_of(render_invoice_pdf(invoice)), row)


def test_account_shows_last_four_only_never_the_full_number(invoice: InvoiceDocument) -> None:
    pdf = render_invoice_pdf(invoice)
    text = "\n".join(lines_of(pdf))
    assert f"checking account ending {LAST4} on Mar 20, 2025" in text
    for haystack in (pdf, pdf_content_streams(pdf), text.encode()):
        assert FULL_ACCOUNT_NUMBER.encode() not in haystack
        assert FULL_ACCOUNT_NUMBER[:-4].encode() not in haystack  # nor the digits before the last four


@pytest.mark.parametrize("last4", ["567", "45678", "56a8", "", FULL_ACCOUNT_NUMBER])
def test_payment_holds_exactly_four_digits(last4: str) -> None:
    with pytest.raises(ValueError, match="4 digits"):
        Payment(PaymentMethod.ACH_DEBIT, AccountType.CHECKING, last4)


@pytest.mark.parametrize(
    "status, amount_label, total_label, says",
    [
        (InvoiceStatus.PAID, "Amount paid", "TOTAL PAID", f"Paid by ACH debit from the employer's checking account ending {LAST4}."),
        (InvoiceStatus.FAILED, "Amount due", "TOTAL DUE", f"checking account ending {LAST4} was returned unpaid"),
        (InvoiceStatus.ISSUED, "Amount due", "TOTAL DUE", "will be debited by ACH"),
    ],
)
def test_status_changes_the_wording(
    invoice: InvoiceDocument, status: InvoiceStatus, amount_label: str, total_label: str, says: str
) -> None:
    lines = lines_of(render_invoice_pdf(replace(invoice, status=status)))
    assert status.value.upper() in lines
    assert contains_run(lines, [amount_label, "$1,036.87"])  # 103,687 cents
    assert contains_run(lines, [total_label, "$1,036.87"])
    assert says in "\n".join(lines)


def test_void_invoice_is_stamped_and_names_its_replacement() -> None:
    pdf = render_invoice_pdf(sample_void_invoice())
    lines = lines_of(pdf)
    assert lines.count("VOID") >= 2  # the status and the diagonal stamp
    text = "\n".join(lines)
    assert "VOID: this invoice is cancelled and must not be paid. It is replaced by invoice INV-2025-000140." in text
    assert "TOTAL DUE" not in text and "will be debited" not in text
    # the stamp is drawn in 150-point bold on the page itself
    assert b"/F2 150 Tf" in pdf_content_streams(pdf)


def test_void_without_replacement_says_so() -> None:
    text = "\n".join(lines_of(render_invoice_pdf(replace(sample_void_invoice(), replaced_by=None))))
    assert "It is not replaced." in text


def test_non_void_invoice_has_no_stamp(invoice: InvoiceDocument) -> None:
    assert "VOID" not in lines_of(render_invoice_pdf(invoice))


def test_adjustment_with_negative_difference_is_a_credit() -> None:
    # corrected run: only CA 8810, 2,715 cents; previously billed 103,687
    # difference = 2,715 - 103,687 = -100,972 cents = -$1,009.72, a refund
    doc = sample_adjustment((SAMPLE_LINES[0],), previous_total=103_687)
    lines = lines_of(render_invoice_pdf(doc))
    text = "\n".join(lines)
    assert "ADJUSTMENT INVOICE" in text
    assert "corrects invoice INV-2025-000123" in text
    assert contains_run(lines, ["Credit to you (refund)", "-$1,009.72", "refunded, nothing to pay"])
    assert contains_run(lines, ["Previously billed (INV-2025-000123)", "-$1,036.87"])
    assert contains_run(lines, ["TOTAL CREDIT", "-$1,009.72"])
    assert f"refunded by ACH credit to the employer's checking account ending {LAST4}" in text


def test_adjustment_with_positive_difference_is_due() -> None:
    # the corrected run adds NV 5403: 987,654 cents at 3.17 = 31,308.63 -> 31,309 cents ($313.09)
    # new total 2,715 + 99,397 + 1,275 + 31,309 = 134,696 ($1,346.96), no fees
    # previously 103,687 -> difference 134,696 - 103,687 = 31,009 cents = $310.09 due
    extra = PremiumLine("NV", "5403", 987_654, "3.17", 31_309)
    doc = sample_adjustment((*SAMPLE_LINES, extra), previous_total=103_687)
    lines = lines_of(render_invoice_pdf(doc))
    assert contains_run(lines, ["NV", "5403", "$9,876.54", "3.17", "$313.09"])
    assert contains_run(lines, ["TOTAL DUE", "$310.09"])
    assert contains_run(lines, ["New total for this payroll run", "$1,346.96"])


def test_consolidated_remit_bill_lists_each_employer_invoice() -> None:
    lines = lines_of(render_invoice_pdf(sample_remit_bill()))
    text = "\n".join(lines)
    assert "CONSOLIDATED REMIT BILL" in text
    # 103,687 + 45,001 = 148,688 cents = $1,486.88
    assert contains_run(lines, ["INV-2025-000123", "Acme Roofing & Sons, LLC", "12-3456789", "WC-100-2025",
                                "Mar 14, 2025", "$1,036.87"])
    assert contains_run(lines, ["INV-2025-000124", "Beta Bakery Inc.", "98-7650001", "WC-200-2025",
                                "Mar 14, 2025", "$450.01"])
    assert contains_run(lines, ["TOTAL DUE", "$1,486.88"])
    assert "Pay within 30 days of the bill date: by Apr 30, 2025." in text
    assert "Gusto Payroll Co remits this premium" in text


def test_remit_invoice_says_pay_within_30_days_with_the_payroll_company(invoice: InvoiceDocument) -> None:
    doc = replace(invoice, status=InvoiceStatus.ISSUED, due_date=date(2025, 4, 16), payment=Payment(PaymentMethod.REMIT))
    text = "\n".join(lines_of(render_invoice_pdf(doc)))
    assert "Gusto Payroll Co remits this premium on the employer's behalf. Pay within 30 days" in text
    assert "by Apr 16, 2025" in text
    assert "account ending" not in text


def test_long_invoice_flows_onto_pages_with_header_and_total_on_last_page(invoice: InvoiceDocument) -> None:
    # 120 lines, each printed with the 150-cent premium it is given; total 120 x 150 = 18,000 = $180.00
    lines = tuple(PremiumLine("CA", f"{8000 + i}", 10_000 + i, "1.5", 150) for i in range(120))
    pdf = render_invoice_pdf(replace(invoice, lines=lines, fee_lines=(), total_cents=18_000))
    pages = pdf_pages_text(pdf)
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "INV-2025-000123" in page  # running header
        assert "Auditable wages" in page  # column header repeated
    last = [line.strip() for line in pages[-1].splitlines()]
    assert contains_run(last, ["TOTAL DUE", "$180.00"])
    assert all("TOTAL DUE" not in page for page in pages[:-1])
    every_class = "\n".join(pages)
    assert all(f"\n{8000 + i}\n" in every_class for i in range(120))  # every line printed once at least


def test_rendering_is_byte_identical_to_the_golden(invoice: InvoiceDocument) -> None:
    pdf = render_invoice_pdf(invoice)
    if os.environ.get("PAYGO_UPDATE_GOLDENS") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(pdf)
    assert pdf == render_invoice_pdf(sample_invoice())  # deterministic within a run
    assert pdf == GOLDEN.read_bytes(), "PDF changed; if intended, rerun with PAYGO_UPDATE_GOLDENS=1 and look at it"
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        # lines 103,387 + fee 300 = 103,687; claiming 103,688 is off by a cent
        (dict(total_cents=103_688), "103688 != lines 103387 \\+ fees 300"),
        (dict(due_date=date(2025, 3, 16)), "before the issue date"),
        (dict(replaced_by="INV-2025-000140"), "only a void invoice"),
        (dict(payment=Payment(PaymentMethod.ACH_DEBIT, AccountType.CHECKING, LAST4)), "debit date"),
        (dict(lines=()), "premium lines"),
        (dict(source_file=None), "source_file"),
        (dict(adjustment=Adjustment("INV-1", 1, 2)), "only an adjustment"),
        (dict(kind=InvoiceKind.ADJUSTMENT), "the invoice it adjusts"),
        (dict(kind=InvoiceKind.CONSOLIDATED_REMIT_BILL), "paid by remittance"),
        (dict(fee_lines=(FeeLine("fee", 300), FeeLine("fee", 1))), "103687 != lines 103387 \\+ fees 301"),
    ],
)
def test_inconsistent_invoice_is_refused(invoice: InvoiceDocument, change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(invoice, **change)


def test_adjustment_total_must_be_its_difference() -> None:
    doc = sample_adjustment((SAMPLE_LINES[0],), previous_total=103_687)
    with pytest.raises(ValueError, match="difference"):
        replace(doc, total_cents=2_715)  # the new total, not new - previous = -100,972


def test_remit_bill_total_must_be_the_sum_of_its_invoices() -> None:
    with pytest.raises(ValueError, match="148689 != sum of listed invoices 148688"):
        replace(sample_remit_bill(), total_cents=148_689)


def test_remit_payment_refuses_bank_details() -> None:
    with pytest.raises(ValueError, match="no bank account"):
        Payment(PaymentMethod.REMIT, AccountType.CHECKING, LAST4)


def test_plain_text_codes_from_the_database_are_accepted(invoice: InvoiceDocument) -> None:
    # a database row holds "scheduled", "ach_debit", "checking": the document coerces them to enums
    doc = replace(invoice, kind="invoice", status="scheduled",
                  payment=Payment("ach_debit", "checking", LAST4, debit_date=date(2025, 3, 20)))
    assert doc.status is InvoiceStatus.SCHEDULED and doc.payment.method is PaymentMethod.ACH_DEBIT
    assert render_invoice_pdf(doc) == render_invoice_pdf(invoice)
    with pytest.raises(ValueError):
        replace(invoice, status="pending")  # not a status
