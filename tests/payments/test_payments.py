"""Remit payments, re-presentment, write-offs and bank details (issue 12), played with the real
functions on a real database and the sandbox bank (docs/sandbox-bank.md: 9000000003 returns R03,
9000000002 R01 on every presentment)."""

from datetime import date

import pytest
from sqlalchemy import select

from money_world import BAY_AREA, MoneyWorld
from paygo.ach.represent import RepresentError, represent
from paygo.bank_details import change_bank_details
from paygo.db import models as m
from paygo.invoicing.write_off import WriteOffError, write_off
from paygo.ledger import repo as ledger
from paygo.payments import balances
from paygo.payments.lockbox import import_lockbox
from paygo.payments.record import PaymentError, bill_balance, record_payment

D = date
LONE_STAR = "741234561"  # pays by remit through acme-payroll (WC-TX-5001, harbor-casualty, cycle fee)


def remit_world(db_session, tmp_path) -> tuple[MoneyWorld, m.RemitBill]:
    w = MoneyWorld(db_session, tmp_path)
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    [number] = w.remit_bills(D(2025, 7, 1))
    bill = db_session.scalar(select(m.RemitBill).where(m.RemitBill.number == number))
    return w, bill


def wallet(s, carrier: str) -> int:
    return -ledger.balance(s, f"carrier_wallet:{carrier}")


def test_a_partial_then_an_overpayment_pays_the_bill_and_the_rest_waits_for_the_next_bill(db_session, tmp_path):
    w, bill = remit_world(db_session, tmp_path)
    s = db_session
    total = bill.total_cents
    fees_before = ledger.balance(s, "platform_fees")  # the setup fees charged at ingest
    assert total > 0 and bill_balance(s, bill.id) == total
    r1 = record_payment(s, bill_number=bill.number, amount_cents=total - 5000, on=D(2025, 7, 20), reference="CHK-1")
    s.commit()
    assert r1.created and bill_balance(s, bill.id) == 5000 and s.get(m.RemitBill, bill.id).status == "issued"
    assert ledger.balance(s, "cash_at_bank") == total - 5000
    r2 = record_payment(s, bill_number=bill.number, amount_cents=8000, on=D(2025, 7, 25), reference="WIRE-9",
                        method="wire")
    s.commit()
    assert r2.paid_bills == [bill.number] and r2.credit_left_cents == 3000
    assert s.get(m.RemitBill, bill.id).status == "paid"
    assert {i.status for i in s.scalars(select(m.Invoice).where(m.Invoice.remit_bill_id == bill.id))} == {"paid"}
    assert ledger.balance(s, "payer_credit:acme-payroll") == -3000  # held for the payer
    # every cent of the bill reached the carrier less its fee: harbor-casualty takes no percentage,
    # its cycle fee was on the invoice and is platform revenue
    invoices = s.scalars(select(m.Invoice).where(m.Invoice.remit_bill_id == bill.id)).all()
    assert wallet(s, "harbor-casualty") == sum(i.premium_cents for i in invoices)
    assert ledger.balance(s, "platform_fees") - fees_before == -sum(i.employer_fee_cents for i in invoices)
    assert ledger.unbalanced_transactions(s) == []
    # the held credit pays the next bill as it is issued
    w.ingest("acme_2025-06-06.csv", D(2025, 7, 3), data=_july_copy())
    [next_bill] = w.remit_bills(D(2025, 8, 1))
    nb = s.scalar(select(m.RemitBill).where(m.RemitBill.number == next_bill))
    assert bill_balance(s, nb.id) == nb.total_cents - 3000
    assert ledger.balance(s, "payer_credit:acme-payroll") == 0


def _july_copy() -> bytes:
    from money_world import SAMPLE

    lines = (SAMPLE / "payroll" / "acme_2025-06-06.csv").read_text().replace("2025-06-06", "2025-07-03").replace("2025-05-24", "2025-06-21").replace("2025-05-31", "2025-06-28").splitlines()
    rows = [lines[0]] + [",".join(c[:2] + [c[2] + "-JUL"] + c[3:]) for c in (line.split(",") for line in lines[1:])]
    return ("\n".join(rows) + "\n").encode()


def test_the_same_reference_is_recorded_once_and_another_amount_under_it_is_refused(db_session, tmp_path):
    _, bill = remit_world(db_session, tmp_path)
    s = db_session
    record_payment(s, bill_number=bill.number, amount_cents=1000, on=D(2025, 7, 20), reference="CHK-7")
    s.commit()
    again = record_payment(s, bill_number=bill.number, amount_cents=1000, on=D(2025, 7, 21), reference=" CHK-7 ")
    assert not again.created
    with pytest.raises(PaymentError, match="recorded before"):
        record_payment(s, bill_number=bill.number, amount_cents=2000, on=D(2025, 7, 21), reference="CHK-7")
    s.rollback()
    assert s.scalar(select(m.Payment).where(m.Payment.reference == "CHK-7")).amount_cents == 1000
    assert ledger.balance(s, "cash_at_bank") == 1000


def test_a_failed_invoice_is_re_presented_only_to_new_bank_details(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path, accounts={BAY_AREA: "9000000003"})
    s = db_session
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.run_days(D(2025, 6, 9), D(2025, 6, 13))
    inv = w.invoice("INV-000001")
    assert inv.status == "failed"
    with pytest.raises(RepresentError, match="R03: the employer's bank details have not changed"):
        represent(s, "INV-000001", on=D(2025, 6, 16))
    s.rollback()
    employer = s.scalar(select(m.Employer).where(m.Employer.fein == BAY_AREA))
    change_bank_details(s, employer, source="set_bank", on=D(2025, 6, 16), routing="021000021",
                        account_ciphertext=w.cipher.encrypt("000555123456"), account_last4="3456",
                        account_type="checking")
    employer.authorization_status = "active"
    s.commit()
    assert represent(s, "INV-000001", on=D(2025, 6, 16)) == 2
    s.commit()
    w.run_days(D(2025, 6, 16), D(2025, 6, 24))
    assert w.invoice("INV-000001").status == "paid"
    entries = [(n, tc, a, st) for n, tc, a, st in w.entries() if n == "INV-000001"]
    assert [st for *_, st in entries] == ["returned", "settled"] and entries[0][2] == entries[1][2]
    keys = set(s.scalars(select(m.Notification.idempotency_key)))
    assert {"pre_debit_notice:INV-000001:1", "pre_debit_notice:INV-000001:2"} <= keys
    versions = s.scalars(select(m.EmployerBankAccount.version).where(
        m.EmployerBankAccount.employer_id == employer.id).order_by(m.EmployerBankAccount.version)).all()
    assert versions == [1, 2]
    with pytest.raises(RepresentError, match="only a failed invoice"):
        represent(s, "INV-000001", on=D(2025, 6, 25))


def test_three_r01_cannot_be_re_presented_and_the_rest_is_paid_by_wire_or_written_off(db_session, tmp_path):
    w = MoneyWorld(db_session, tmp_path, accounts={BAY_AREA: "9000000002"})
    s = db_session
    w.ingest("acme_2025-06-06.csv", D(2025, 6, 6))
    w.run_days(D(2025, 6, 9), D(2025, 6, 30))
    inv = w.invoice("INV-000001")
    assert inv.status == "failed"
    with pytest.raises(RepresentError, match="presented 3 times"):
        represent(s, "INV-000001", on=D(2025, 7, 1))
    s.rollback()
    r = record_payment(s, invoice_number="INV-000001", amount_cents=10000, on=D(2025, 7, 1), reference="W-1",
                       method="wire")
    s.commit()
    assert r.applied == {"INV-000001": 10000} and w.invoice("INV-000001").status == "failed"
    assert balances.open_cents(s, [inv.id]) == {inv.id: inv.total_cents - 10000}
    with pytest.raises(WriteOffError, match="needs a reason"):
        write_off(s, "INV-000001", reason=" ", on=D(2025, 7, 2))
    assert write_off(s, "INV-000001", reason="employer closed", on=D(2025, 7, 2)) == inv.total_cents - 10000
    s.commit()
    assert w.invoice("INV-000001").status == "written_off"
    assert ledger.balance(s, f"employer_receivable:{BAY_AREA}") == 0
    assert ledger.balance(s, "premium_unsettled:granite-mutual") == 0  # no premium left waiting for money
    with pytest.raises(WriteOffError, match="it is written_off"):
        write_off(s, "INV-000001", reason="again", on=D(2025, 7, 3))
    s.rollback()
    with pytest.raises(PaymentError, match="written_off"):
        record_payment(s, invoice_number="INV-000001", amount_cents=100, on=D(2025, 7, 3), reference="W-2")


def test_a_lockbox_file_pays_what_it_matches_and_queues_the_rest_once(db_session, tmp_path):
    _, bill = remit_world(db_session, tmp_path)
    s = db_session
    owed = bill_balance(s, bill.id)
    dollars = f"{owed // 100}.{owed % 100:02d}"
    data = ("received_on,reference,amount,remittance,method\n"
            f"2025-07-20,LBX-1,{dollars},Acme payroll {bill.number},lockbox\n"
            "2025-07-20,LBX-2,10.00,no number here,check\n"
            f"2025-07-20,LBX-3,1.00,{bill.number} partial,check\n"
            "2025-07-20,LBX-4,abc,REMIT-000099,check\n").encode()
    r = import_lockbox(s, data, on=D(2025, 7, 21))
    s.commit()
    assert len(r.recorded) == 1 and len(r.exceptions) == 3
    assert s.get(m.RemitBill, bill.id).status == "paid"
    again = import_lockbox(s, data, on=D(2025, 7, 22))
    s.commit()
    assert again.recorded == [] and len(again.already) == 1
    assert s.scalar(select(m.Payment).where(m.Payment.reference == "LBX-1")).amount_cents == owed
    queued = s.scalars(select(m.ExceptionItem.detail).where(m.ExceptionItem.kind == "unmatched_payment")).all()
    assert len(queued) == 3 and any("names no bill" in d for d in queued)
