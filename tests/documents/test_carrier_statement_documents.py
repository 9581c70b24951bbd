"""Pins the monthly carrier statement: net = settled premium - carrier-paid fees - clawbacks, with
cycle-based fees (paid by employers) listed but not deducted; the PDF reads back every amount and
row; the CSV is exact text; a statement that does not add up is refused."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from document_samples import ACME, pdf_pages_text, sample_statement

from paygo.documents import BillingModel, StatementFee, StatementRow, render_statement_pdf, statement_csv


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for page in pdf_pages_text(pdf) for line in page.splitlines()]


def contains_run(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


@pytest.mark.parametrize(
    "row",
    [
        ["Settled premium", "$10,000.00"],  # 600,000 + 400,000 cents
        ["Platform fees (carrier)", "-$1,750.00"],  # 50,000 + 100,000 + 25,000
        ["Clawbacks (late returns)", "-$123.45"],  # 12,345
        ["NET TO CARRIER WALLET", "$8,126.55"],  # 1,000,000 - 175,000 - 12,345 = 812,655
        ["Percentage of collected premium", "5% of $10,000.00 collected", "$500.00"],
        ["Flat monthly fee", "March 2025", "$1,000.00"],
        ["Setup fee, new policies", "1 new policy x $250.00", "$250.00"],
        ["Total fees charged to the carrier", "$1,750.00"],
        ["Cycle-based fee (paid by employers)", "4 payroll cycles x $5.00", "$20.00"],  # not deducted
        # 600,000 - 55,000 - 0 = 545,000
        ["WC-100-2025", "Acme Roofing & Sons, LLC", "12-3456789", "$6,000.00", "-$550.00", "$0.00", "$5,450.00"],
        # 400,000 - 20,000 - 12,345 = 367,655
        ["WC-200-2025", "Beta Bakery Inc.", "98-7650001", "$4,000.00", "-$200.00", "-$123.45", "$3,676.55"],
        # rows: fees 75,000; net 545,000 + 367,655 = 912,655 (the flat 100,000 is carrier-level)
        ["Total", "$10,000.00", "-$750.00", "-$123.45", "$9,126.55"],
    ],
)
def test_statement_pdf_reads_back(row: list[str]) -> None:
    assert contains_run(lines_of(render_statement_pdf(sample_statement())), row)


def test_statement_pdf_header_and_determinism() -> None:
    pdf = render_statement_pdf(sample_statement())
    text = "\n".join(lines_of(pdf))
    assert "CARRIER STATEMENT" in text and "Granite State Mutual" in text and "March 2025" in text
    assert "Page 1 of 1" in text
    assert pdf == render_statement_pdf(sample_statement())


def test_statement_csv_is_exact() -> None:
    assert statement_csv(sample_statement()) == (
        "line,carrier,month,policy_number,employer_name,employer_fein,description,settled_premium,fees,clawbacks,net\n"
        'policy,Granite State Mutual,2025-03,WC-100-2025,"Acme Roofing & Sons, LLC",12-3456789,,6000.00,550.00,0.00,5450.00\n'
        "policy,Granite State Mutual,2025-03,WC-200-2025,Beta Bakery Inc.,98-7650001,,4000.00,200.00,123.45,3676.55\n"
        # the description holds commas, so it is quoted
        'fee:percentage,Granite State Mutual,2025-03,,,,"5% of $10,000.00 collected",,500.00,,-500.00\n'
        "fee:flat,Granite State Mutual,2025-03,,,,March 2025,,1000.00,,-1000.00\n"
        "fee:setup,Granite State Mutual,2025-03,,,,1 new policy x $250.00,,250.00,,-250.00\n"
        "fee:cycle_based,Granite State Mutual,2025-03,,,,4 payroll cycles x $5.00,,20.00,,\n"
        "total,Granite State Mutual,2025-03,,,,,10000.00,1750.00,123.45,8126.55\n"
    )


def test_statement_csv_reads_back_as_cents() -> None:
    # total net 8126.55 -> 812,655 cents; policy settled 6000.00 + 4000.00 = 1,000,000 cents = total settled
    records = list(csv.DictReader(io.StringIO(statement_csv(sample_statement()))))
    cents = lambda text: int(text.replace(".", ""))  # noqa: E731  "5450.00" -> 545000, exact text arithmetic
    total = next(r for r in records if r["line"] == "total")
    assert cents(total["net"]) == 812_655
    assert sum(cents(r["settled_premium"]) for r in records if r["line"] == "policy") == cents(total["settled_premium"])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(net_cents=812_656), "net 812656 != settled - carrier fees - clawbacks = 812655"),
        # deducting the cycle-based 2,000 too would give 810,655: refused, employers pay it
        (dict(net_cents=810_655), "= 812655"),
        (dict(month=date(2025, 3, 2)), "first day"),
        (dict(settled_premium_cents=1_000_001, net_cents=812_656), "rows settle 1000000"),
        (dict(clawbacks_cents=0, net_cents=825_000), "rows claw back 12345"),
    ],
)
def test_inconsistent_statement_is_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(sample_statement(), **change)


def test_carrier_fees_exclude_cycle_based() -> None:
    statement = sample_statement()
    assert statement.carrier_fees_cents == 175_000  # 50,000 + 100,000 + 25,000; not the 2,000 cycle fee
    assert [m.paid_by_carrier for m in BillingModel] == [True, True, True, False]


def test_statement_with_many_policies_flows_onto_pages() -> None:
    # 150 policies settling 1,000 cents each: 150,000 settled, no fees or clawbacks, net 150,000
    rows = tuple(StatementRow(f"WC-{i:04d}", ACME, 1_000, 0, 0) for i in range(150))
    statement = replace(sample_statement(), rows=rows, settled_premium_cents=150_000, clawbacks_cents=0,
                        fees=(StatementFee(BillingModel.FLAT, "March 2025", 0),), net_cents=150_000)
    pages = pdf_pages_text(render_statement_pdf(statement))
    assert len(pages) > 1
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert contains_run([line.strip() for line in pages[-1].splitlines()],
                        ["Total", "$1,500.00", "$0.00", "$0.00", "$1,500.00"])
