"""Pins the aging of open receivables: the bucket boundaries (0 current; 1 and 30 in 1-30; 31 and 60 in
31-60; 61 and 90 in 61-90; 91 over 90), days counted from the report's business date and not the wall
clock, what is open coming from paygo.payments.balances (paid invoices gone, failed ones and partial
payments counted), rows per employer and per payroll company that add up to the total, and a billed
remit invoice aged on its bill's due date. The database case runs on SQLite and PostgreSQL."""

from datetime import date, datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet

from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.invoicing.remit import issue_remit_bills
from paygo.reference import load_reference
from paygo.reports import build
from paygo.reports.aging import BUCKET_KEYS, OpenItem, aging, bucket_index
from paygo.reports.queries import open_items
from ingest_helpers import REFERENCE, ingest
from returns_factory import CIPHER, make_world, return_file, returned

AS_OF = date(2025, 6, 30)  # a business date far from today: nothing may use the wall clock


@pytest.mark.parametrize("days, bucket", [
    (-45, "current"),  # not yet due
    (0, "current"),  # due today is not past due
    (1, "days_1_30"),
    (30, "days_1_30"),
    (31, "days_31_60"),
    (60, "days_31_60"),
    (61, "days_61_90"),
    (90, "days_61_90"),
    (91, "days_over_90"),
    (4000, "days_over_90"),
])
def test_bucket_boundaries(days, bucket):
    assert BUCKET_KEYS[bucket_index(days)] == bucket


def item(number, due, cents, fein="123456789", company="acme-payroll"):
    return OpenItem(number, fein, f"Employer {fein[:3]}", company, company.title(), due, cents)


def test_rows_per_employer_and_company_add_up_to_the_total():
    report = aging([
        item("INV-1", date(2025, 6, 30), 4050),  # 0 days: current
        item("INV-2", date(2025, 5, 31), 500),  # 30 days: 1-30
        item("INV-3", date(2025, 3, 31), 296_295),  # 91 days: over 90
        item("INV-4", date(2025, 4, 30), 700, fein="987654321", company="summit-payroll"),  # 61 days
    ], AS_OF)
    assert [(r.employer_fein, r.buckets_cents, r.invoices) for r in report.employers] == [
        ("123456789", [4050, 500, 0, 0, 296_295], 3), ("987654321", [0, 0, 0, 700, 0], 1)]
    assert [(r.payroll_company_id, r.total_cents) for r in report.payroll_companies] == [
        ("acme-payroll", 300_845), ("summit-payroll", 700)]
    assert report.total.buckets_cents == [4050, 500, 0, 700, 296_295]
    assert report.total.total_cents == 301_545 == sum(r.total_cents for r in report.employers)
    # the same items a day later: INV-1 and INV-2 move one bucket on (1 and 31 days)
    later = aging([item("INV-1", date(2025, 6, 30), 4050), item("INV-2", date(2025, 5, 31), 500)], AS_OF + timedelta(1))
    assert later.total.buckets_cents == [0, 4050, 500, 0, 0]


def test_an_item_that_owes_nothing_is_refused():
    with pytest.raises(ValueError, match="INV-9"):
        aging([item("INV-9", AS_OF, 0)], AS_OF)


def test_aging_from_the_database(db_session, tmp_path):
    """Invoices due 0, 1, 30, 31, 60, 61, 90, 91 days before AS_OF and 5 after; one paid, one failed,
    one partly paid by a remit payment; a second employer at another payroll company."""
    s = db_session
    w = make_world(s)
    s.add(m.PayrollCompany(id="summit-payroll", name="Summit Payroll Co"))
    w2 = make_world(s, fein="231234569")
    w2.employer.payroll_company_id, w2.employer.name = "summit-payroll", "Keystone Logistics"
    expected = [0] * 5
    for n, days in enumerate((0, 1, 30, 31, 60, 61, 90, 91, -5), start=1):
        inv = w.invoice(1000 * n, issued_on=AS_OF - timedelta(days=days))
        expected[bucket_index(days)] += inv.total_cents
    # paid: sent and settled -> owes nothing
    paid = w.invoice(77_700, issued_on=date(2025, 3, 3))
    w.send(paid, effective=date(2025, 3, 4))
    settle(s, today=date(2025, 3, 6))
    # failed (R03 returned): still owed, 45 days past due -> 31-60
    failed = w2.invoice(12_345, issued_on=AS_OF - timedelta(days=45))
    entry = w2.send(failed, effective=date(2025, 5, 16))
    reconcile_return_file(s, return_file(tmp_path, [returned("R03", entry)], date(2025, 5, 19)), name="r.ach",
                          received_on=date(2025, 5, 19), cipher=CIPHER)
    # partly paid by a check: 20,000 of 50,000 applied, due 10 days ago -> 30,000 in 1-30
    part = w2.invoice(50_000, issued_on=AS_OF - timedelta(days=10))
    pay = m.Payment(number="PAY-000001", payer_kind="employer", payer_id="231234569", reference="CHK 1001",
                    method="check", amount_cents=20_000, received_on=AS_OF - timedelta(days=2), source="cli")
    s.add(pay)
    s.flush()
    s.add(m.PaymentApplication(payment_id=pay.id, invoice_id=part.id, amount_cents=20_000,
                               applied_on=AS_OF - timedelta(days=2)))
    s.commit()
    assert s.get(m.Invoice, failed.id).status == "failed" and s.get(m.Invoice, paid.id).status == "paid"

    report = build(s, "aging", AS_OF)
    acme, summit = report.employers
    assert acme.buckets_cents == expected == [1000 + 9000, 2000 + 3000, 4000 + 5000, 6000 + 7000, 8000]
    assert acme.invoices == 9  # the paid invoice is not open
    assert summit.buckets_cents == [0, 30_000, 12_345, 0, 0]
    assert [(r.payroll_company_id, r.total_cents) for r in report.payroll_companies] == [
        ("acme-payroll", 45_000), ("summit-payroll", 42_345)]
    assert report.total.total_cents == 87_345


def test_a_billed_remit_invoice_is_due_when_its_bill_is(sqlite_session, tmp_path):
    """acme_2025-03-14.csv: INV-000002 pays by remit, due 2025-04-30 (March's bill date + 30 days);
    its bill is issued late, 2025-04-20, so the bill (and the invoice with it) is due 2025-05-20."""
    s = sqlite_session
    load_reference(s, REFERENCE, AccountCipher([Fernet.generate_key()]))
    s.commit()
    ingest(s, tmp_path, "acme_2025-03-14.csv", business_date=date(2025, 3, 15))
    on = date(2025, 5, 5)
    before = {i.invoice_number: i for i in open_items(s)}
    assert before["INV-000002"].due_date == date(2025, 4, 30)
    assert before["INV-000002"].days_past_due(on) == 5
    issue_remit_bills(s, today=date(2025, 4, 20), issued_at=datetime(2025, 4, 20, tzinfo=timezone.utc))
    s.commit()
    after = {i.invoice_number: i for i in open_items(s)}
    assert after["INV-000002"].due_date == date(2025, 5, 20)
    assert after["INV-000002"].days_past_due(on) == -15
    report = build(s, "aging", on)
    # the two ACH invoices (4,050 and 296,295 due 2025-03-15, 51 days) and the remit one, now current
    assert report.total.buckets_cents == [500, 0, 4050 + 296_295, 0, 0]
    assert {r.payroll_company_id for r in report.payroll_companies} == {"acme-payroll"}
