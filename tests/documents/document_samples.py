"""Sample documents for the PDF tests (a uniquely named module, not conftest, so no other test
folder's conftest can shadow it on import): one realistic value per kind, changed per test with `replace`.

The sample invoice's numbers, computed by hand (premium = wages x rate / 100, rounded half away):
    CA 8810    220,000 cents at 1.234   -> 2,714.8     -> 2,715
    CA 5403  1,234,567 cents at 8.0512  -> 99,397.458  -> 99,397
    NV 8810    150,000 cents at 0.85    -> 1,275.0     -> 1,275
    premium 2,715 + 99,397 + 1,275 = 103,387; fee 300; total 103,687 cents = $1,036.87
    wages 220,000 + 1,234,567 + 150,000 = 1,604,567 cents = $16,045.67
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

from pypdf import PdfReader

from paygo.documents import (
    AccountType,
    Adjustment,
    BillingModel,
    CarrierStatement,
    Employer,
    FeeLine,
    InvoiceDocument,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PayrollRun,
    Period,
    PremiumLine,
    RemitBillItem,
    SourceFile,
    StatementFee,
    StatementRow,
)

FULL_ACCOUNT_NUMBER = "4400012345678"  # what the bank holds; only its last four may ever appear
LAST4 = FULL_ACCOUNT_NUMBER[-4:]  # "5678"
SHA256 = "3f9a1c0be7d24410a5c6e0f1d2b3a4958677f8e9d0c1b2a3f4e5d6c7b8a99012"

ACME = Employer(name="Acme Roofing & Sons, LLC", fein="123456789")
BETA = Employer(name="Beta Bakery Inc.", fein="987650001")

SAMPLE_LINES = (
    PremiumLine("CA", "8810", 220_000, "1.234", 2_715),
    PremiumLine("CA", "5403", 1_234_567, "8.0512", 99_397),
    PremiumLine("NV", "8810", 150_000, "0.85", 1_275),
)


def sample_invoice() -> InvoiceDocument:
    return InvoiceDocument(
        invoice_number="INV-2025-000123",
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.SCHEDULED,
        issue_date=date(2025, 3, 17),
        due_date=date(2025, 3, 20),
        payroll_company="Gusto Payroll Co",
        total_cents=103_687,
        payment=Payment(
            PaymentMethod.ACH_DEBIT, AccountType.CHECKING, LAST4, debit_date=date(2025, 3, 20)
        ),
        carrier_name="Granite State Mutual",
        employer=ACME,
        policy_number="WC-100-2025",
        payroll_run=PayrollRun("RUN-0311", "regular", date(2025, 3, 14), date(2025, 3, 1), date(2025, 3, 14)),
        source_file=SourceFile("acme_2025-03-14.csv", SHA256),
        lines=SAMPLE_LINES,
        fee_lines=(FeeLine("Platform fee, payroll cycle", 300),),
    )


def sample_void_invoice() -> InvoiceDocument:
    return replace(sample_invoice(), status=InvoiceStatus.VOID, replaced_by="INV-2025-000140")


def sample_adjustment(new_lines: tuple[PremiumLine, ...], previous_total: int) -> InvoiceDocument:
    new_total = sum(line.premium_cents for line in new_lines)
    return replace(
        sample_invoice(),
        invoice_number="INV-2025-000141",
        kind=InvoiceKind.ADJUSTMENT,
        status=InvoiceStatus.ISSUED,
        lines=new_lines,
        fee_lines=(),
        adjustment=Adjustment("INV-2025-000123", previous_total, new_total),
        total_cents=new_total - previous_total,
        payment=Payment(PaymentMethod.ACH_DEBIT, AccountType.CHECKING, LAST4),
    )


def sample_remit_bill() -> InvoiceDocument:
    items = (
        RemitBillItem("INV-2025-000123", ACME, "WC-100-2025", "Granite State Mutual", "RUN-0311",
                      date(2025, 3, 14), 103_687),
        RemitBillItem("INV-2025-000124", BETA, "WC-200-2025", "Granite State Mutual", "RUN-0312",
                      date(2025, 3, 14), 45_001),
    )
    return InvoiceDocument(
        invoice_number="RB-2025-03-0007",
        kind=InvoiceKind.CONSOLIDATED_REMIT_BILL,
        status=InvoiceStatus.ISSUED,
        issue_date=date(2025, 3, 31),
        due_date=date(2025, 4, 30),  # 30 days after the bill date
        payroll_company="Gusto Payroll Co",
        total_cents=148_688,  # 103,687 + 45,001
        payment=Payment(PaymentMethod.REMIT),
        billing_period=Period(date(2025, 3, 1), date(2025, 3, 31)),
        remit_items=items,
    )


def sample_statement() -> CarrierStatement:
    # settled 600,000 + 400,000 = 1,000,000; carrier fees 50,000 + 100,000 + 25,000 = 175,000;
    # clawbacks 12,345; net = 1,000,000 - 175,000 - 12,345 = 812,655. Cycle fee 2,000 not deducted.
    return CarrierStatement(
        carrier_name="Granite State Mutual",
        month=date(2025, 3, 1),
        issue_date=date(2025, 4, 2),
        settled_premium_cents=1_000_000,
        fees=(
            StatementFee(BillingModel.PERCENTAGE, "5% of $10,000.00 collected", 50_000),
            StatementFee(BillingModel.FLAT, "March 2025", 100_000),
            StatementFee(BillingModel.SETUP, "1 new policy x $250.00", 25_000),
            StatementFee(BillingModel.CYCLE_BASED, "4 payroll cycles x $5.00", 2_000),
        ),
        clawbacks_cents=12_345,
        net_cents=812_655,
        rows=(
            # 600,000 - (30,000 + 25,000) - 0 = 545,000
            StatementRow("WC-100-2025", ACME, 600_000, 55_000, 0),
            # 400,000 - 20,000 - 12,345 = 367,655
            StatementRow("WC-200-2025", BETA, 400_000, 20_000, 12_345),
        ),
    )


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text pypdf reads back from each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_content_streams(pdf: bytes) -> bytes:
    """Every page's decompressed content stream (what a byte search of the file cannot see)."""
    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages)
