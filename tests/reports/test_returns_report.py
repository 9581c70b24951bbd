"""Pins the returns report: applied returns counted by code and by employer with their amounts, NOCs
counted apart (no money), a second copy of a return ignored (only its number shown), exceptions (an
unmatched return, an R11 sent to ops) listed one by one and never counted, and the CSV's columns with
dollars next to explicit cents. Returns are made by reconciling real bank files."""

import csv
import io
from datetime import date

from pypdf import PdfReader

from paygo.ach.reconcile import reconcile_return_file
from paygo.reports import build, render
from paygo.reports.csv_files import RETURNS_COLUMNS
from paygo.reports.returns import ReturnItem, code_description, returns_report
from returns_factory import CIPHER, make_world, return_file, returned

AS_OF = date(2025, 4, 30)


def apply(s, tmp_path, items, on, n):
    r = reconcile_return_file(s, return_file(tmp_path, items, on, n), name=f"r{n}.ach", received_on=on, cipher=CIPHER)
    s.commit()
    return r


def test_descriptions_come_from_the_nacha_codes():
    assert code_description("R01") == "Insufficient Funds"
    assert code_description("C05") == "Incorrect Transaction Code"
    assert code_description("R98") == "Bank-specific return code"
    assert code_description("X42") == ""


def test_pure_counts_skip_duplicates_and_keep_exceptions_apart():
    items = [
        ReturnItem(1, "return", "R01", "applied", 2865, "1" * 15, "INV-1", "123456789", "Bay Bakery"),
        ReturnItem(2, "return", "R01", "applied", 1000, "2" * 15, "INV-2", "123456789", "Bay Bakery"),
        ReturnItem(3, "return", "R03", "applied", 500, "3" * 15, "INV-3", "231234569", "Keystone"),
        ReturnItem(4, "return", "R01", "duplicate", 2865, "1" * 15, "INV-1", "123456789", "Bay Bakery"),
        ReturnItem(5, "return", "R01", "exception", 999, "9" * 15, exception_kind="return_unmatched"),
    ]
    r = returns_report(items, AS_OF)
    assert [(c.code, c.count, c.amount_cents) for c in r.by_code] == [("R01", 2, 3865), ("R03", 1, 500)]
    assert [(e.employer_fein, e.code, e.count, e.amount_cents) for e in r.by_employer] == [
        ("123456789", "R01", 2, 3865), ("231234569", "R03", 1, 500)]
    assert (r.returns.count, r.returns.amount_cents, r.duplicates) == (3, 4365, 1)
    assert [e.id for e in r.exceptions] == [5]


def test_returns_from_reconciled_files(sqlite_session, tmp_path):
    s = sqlite_session
    bay = make_world(s)
    key = make_world(s, fein="231234569")
    key.employer.name = "Keystone Logistics"
    a1, a2, b1, b2 = bay.invoice(2715, 150), bay.invoice(1000), key.invoice(500), key.invoice(4200)
    ea1, ea2 = bay.send(a1, effective=date(2025, 3, 18)), bay.send(a2, effective=date(2025, 3, 18))
    eb1, eb2 = key.send(b1, effective=date(2025, 3, 18)), key.send(b2, effective=date(2025, 3, 18))
    s.commit()
    first = apply(s, tmp_path, [returned("R01", ea1), returned("R03", eb1),
                                returned("C05", ea2, corrected="37", amount=0), returned("R11", eb2)],
                  date(2025, 3, 20), 1)
    assert (first.applied, first.exceptions) == (4, 1)  # R11 is applied (the invoice fails) and queued for ops
    again = apply(s, tmp_path, [returned("R02", eb1)], date(2025, 3, 21), 3)
    assert (again.applied, again.exceptions) == (0, 1)  # another code for an entry already returned: only queued
    unknown = dict(returned("R02", ea1), trace="091000010000999", amount=777)
    second = apply(s, tmp_path, [returned("R01", ea1), unknown], date(2025, 3, 21), 2)
    assert (second.duplicates, second.exceptions) == (1, 1)

    report = build(s, "returns", AS_OF)
    assert [(c.kind, c.code, c.count, c.amount_cents) for c in report.by_code] == [
        ("return", "R01", 1, 2865), ("return", "R03", 1, 500), ("return", "R11", 1, 4200), ("noc", "C05", 1, 0)]
    assert [(e.employer_name, e.code, e.count, e.amount_cents) for e in report.by_employer] == [
        ("Bay Bakery", "R01", 1, 2865), ("Bay Bakery", "C05", 1, 0), ("Keystone Logistics", "R03", 1, 500),
        ("Keystone Logistics", "R11", 1, 4200)]
    assert [(e.code, e.amount_cents, e.employer_fein, e.invoice_number, e.exception_resolved)
            for e in report.exceptions] == [("R02", 500, "231234569", b1.number, False), ("R02", 777, "", "", False)]
    assert report.exceptions[0].exception_kind == "return_of_returned_entry"
    assert report.exceptions[1].exception_kind.startswith("return_")  # unmatched: no entry of that trace
    assert report.duplicates == 1

    rows = list(csv.DictReader(io.StringIO(render(report, "returns", "csv").decode())))
    assert tuple(rows[0]) == RETURNS_COLUMNS
    r01 = next(r for r in rows if r["section"] == "by_code" and r["code"] == "R01")
    assert (r01["count"], r01["amount"], r01["amount_cents"], r01["as_of"]) == ("1", "28.65", "2865", "2025-04-30")
    total = next(r for r in rows if r["section"] == "total" and r["kind"] == "return")
    assert (total["count"], total["amount"], total["amount_cents"]) == ("3", "75.65", "7565")
    exc = [r for r in rows if r["section"] == "exception"]
    assert [(r["code"], r["amount"], r["employer_fein"], r["exception_state"]) for r in exc] == [
        ("R02", "5.00", "23-1234569", "open"), ("R02", "7.77", "", "open")]
    assert next(r for r in rows if r["section"] == "duplicates")["count"] == "1"
    assert "9876543210123" not in render(report, "returns", "csv").decode()  # never an account number

    page = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render(report, "returns", "pdf"))).pages)
    assert "ACH RETURNS" in page and "Apr 30, 2025" in page
    assert "$75.65" in page and "Insufficient Funds" in page and "23-1234569" in page  # total, a code, a FEIN
    assert "no entry matched" in page and "$7.77" in page  # the unmatched exception, listed apart
    assert "0123" not in page  # the account 9876543210123: not even its last four
