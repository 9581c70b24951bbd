"""Every database constraint of the data model rejects what it should, on SQLite and PostgreSQL.

Pins the invariants held by the database itself: one live invoice per (policy, employer, run);
one in-flight debit per invoice; presentments 1..3 once each; an invoice's noticed debit
(date, presentment 1..3, bank version) all set or all NULL; invoice numbers unique; a payroll
file once per sha256; a NACHA file once per (creation date, modifier); a return applied once;
one default billing setting per carrier; non-zero ledger entries; FEIN length; CHECKed enums.
A voided invoice frees its run for a reissue but keeps its number.
"""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from paygo.db import models as m
from paygo.db.counters import invoice_number, next_value


def entry(world, presentment=1, status="in_flight", trace="021000020000001", **overrides):
    return m.AchEntry(**{
        "ach_file_id": world["ach_file"].id, "invoice_id": world["invoice"].id, "presentment": presentment,
        "trace_number": trace, "amount_cents": 2715, "transaction_code": 27, "effective_date": date(2025, 3, 18),
        "routing": "021000021", "account_last4": "0123", "bank_details_version": 1, "status": status} | overrides)


def invoice(world, number="INV-000002", **overrides):
    w = world
    return m.Invoice(**{
        "number": number, "kind": "invoice", "status": "issued", "policy_id": w["policy"].id,
        "employer_id": w["employer"].id, "payroll_run_id": "R1", "payroll_run_pk": w["run"].id,
        "premium_cents": 2715, "employer_fee_cents": 0, "total_cents": 2715, "payment_method": "ach_debit",
        "due_date": date(2025, 3, 18)} | overrides)


def ret(world, status, key="021000020000001|2715|2025-03-20|R01"):
    return m.AchReturn(return_file_id=world["return_file"].id, kind="return", code="R01",
                       original_trace="021000020000001", amount_cents=2715, dedupe_key=key, status=status,
                       ach_entry_id=None if status != "applied" else world["entry"].id)


# Each case: rows to add, built from the world; the add must raise IntegrityError.
REJECTED = {
    "second live invoice for a run": lambda w: [invoice(w)],
    "second live invoice, the first one paid": lambda w: [invoice(w, status="paid")],
    "reused invoice number": lambda w: [invoice(w, number="INV-000001", kind="adjustment", adjusts_id=w["invoice"].id)],
    "a noticed debit of presentment 4": lambda w: [invoice(w, kind="adjustment", adjusts_id=w["invoice"].id,
        debit_date=date(2025, 3, 18), debit_presentment=4, debit_bank_details_version=1)],
    "a debit date without its presentment": lambda w: [invoice(w, kind="adjustment", adjusts_id=w["invoice"].id,
        debit_date=date(2025, 3, 18))],
    "second in-flight entry for an invoice": lambda w: [entry(w, 1), entry(w, 2, trace="021000020000002")],
    "same presentment twice": lambda w: [entry(w, 1, "returned"), entry(w, 1, "in_flight", "021000020000002")],
    "presentment 4": lambda w: [entry(w, 4)],
    "zero-amount entry": lambda w: [entry(w, amount_cents=0)],
    "unknown transaction code": lambda w: [entry(w, transaction_code=26)],
    "duplicate payroll file sha256": lambda w: [m.PayrollFile(sha256="a" * 64, original_name="renamed.csv",
                                                              stored_path="raw/x", size_bytes=100, status="accepted")],
    "same ACH creation date and modifier": lambda w: [m.AchFile(
        creation_date=date(2025, 3, 16), file_id_modifier="A", sha256="d" * 64, path="ach/2.ach",
        batch_count=1, entry_count=1, total_debit_cents=1, total_credit_cents=0)],
    "same run version twice": lambda w: [m.PayrollRun(
        employer_id=w["employer"].id, payroll_run_id="R1", version=1, run_type="regular",
        pay_date=date(2025, 3, 14), period_start=date(2025, 3, 1), period_end=date(2025, 3, 14),
        content_sha256="e" * 64, payroll_file_id=w["file"].id)],
    "FEIN of 8 digits": lambda w: [m.Employer(fein="12345678", name="x", payroll_company_id="acme-payroll",
                                              pay_frequency="weekly")],
    "unknown pay frequency": lambda w: [m.Employer(fein="223456789", name="x", payroll_company_id="acme-payroll",
                                                   pay_frequency="daily")],
    "employer of unknown payroll company": lambda w: [m.Employer(fein="323456789", name="x",
                                                                 payroll_company_id="nobody", pay_frequency="weekly")],
    "zero ledger entry": lambda w: [m.LedgerAccount(id=1, code="cash_at_bank", kind="asset"),
                                    m.LedgerTransaction(id=1, idempotency_key="k", kind="t", description="d",
                                                        effective_date=date(2025, 1, 1), content_sha256="f" * 64),
                                    m.LedgerEntry(transaction_id=1, account_id=1, amount_cents=0)],
    "second default billing setting": lambda w: [
        m.BillingSetting(carrier_id="granite", fee_type="percentage", fee_rate="0.05"),
        m.BillingSetting(carrier_id="granite", fee_type="flat", fee_amount_cents=5000)],
    "percentage fee without a rate": lambda w: [m.BillingSetting(carrier_id="granite", fee_type="percentage",
                                                                 fee_amount_cents=5)],
    # total 1 != premium 2715 + fee 0
    "invoice total not premium plus fee": lambda w: [invoice(w, number="INV-000009", kind="consolidated_remit",
                                                             payroll_run_id=None, total_cents=1)],
    "adjustment without the invoice it adjusts": lambda w: [invoice(w, number="INV-000010", kind="adjustment")],
    "unknown invoice status": lambda w: [invoice(w, number="INV-000011", kind="adjustment",
                                                 adjusts_id=w["invoice"].id, status="lost")],
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_constraint_rejects(db_session, world, case):
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add_all(REJECTED[case](world))
            db_session.flush()


def test_void_frees_the_run_but_keeps_its_number(db_session, world):
    world["invoice"].status = "void"
    db_session.flush()
    db_session.add(invoice(world, number="INV-000002", reissue_of_id=world["invoice"].id))
    db_session.commit()
    numbers = db_session.scalars(select(m.Invoice.number).order_by(m.Invoice.number)).all()
    assert numbers == ["INV-000001", "INV-000002"]


def test_returned_entry_allows_the_next_presentment(db_session, world):
    db_session.add(entry(world, 1, "returned"))
    db_session.flush()
    db_session.add(entry(world, 2, "in_flight", "021000020000002"))
    db_session.commit()
    assert db_session.scalar(select(m.AchEntry.presentment).where(m.AchEntry.status == "in_flight")) == 2


def test_second_copy_of_a_return_is_recorded_only_as_duplicate(db_session, world):
    rf = m.ReturnFile(sha256="9" * 64, name="returns-1.ach")
    db_session.add(rf)
    db_session.flush()
    e = entry(world)
    db_session.add(e)
    db_session.flush()
    world |= {"return_file": rf, "entry": e}
    db_session.add(ret(world, "applied"))
    db_session.flush()
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add(ret(world, "applied"))
    db_session.add(ret(world, "duplicate"))
    db_session.commit()
    statuses = sorted(db_session.scalars(select(m.AchReturn.status)))
    assert statuses == ["applied", "duplicate"]


def test_invoice_numbers_come_from_a_counter(db_session, world):
    # the migration seeds the counter at 0: first allocation 1, then 2
    assert [next_value(db_session, "invoice") for _ in range(2)] == [1, 2]
    db_session.rollback()  # a rolled-back allocation was never used
    assert next_value(db_session, "invoice") == 1
    assert invoice_number(1) == "INV-000001"
