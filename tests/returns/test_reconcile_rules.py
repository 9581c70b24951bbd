"""Pins what reconciling a return does over time: R01 re-presented at most twice (its noticed debit date
cleared until the next notice) then the invoice fails
and the employer is told once; a late R10 after settlement claws the wallet back with explicit entries;
NOC corrected data is validated before it touches the employer; R11 goes to ops and fails the invoice;
the retry window of a later presentment counts from the first."""

from datetime import date

import pytest
from sqlalchemy import select

from paygo.ach.reconcile import BankChange, parse_correction, reconcile_return_file
from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.ledger import posting, repo
from returns_factory import CIPHER, make_world, reload, return_file, returned


def apply(s, tmp_path, items, received_on, n=1):
    r = reconcile_return_file(s, return_file(tmp_path, items, received_on, n), name=f"r{n}.ach",
                              received_on=received_on, cipher=CIPHER)
    s.commit()
    return r


def test_three_nsf_presentments_then_failed_and_notified_once(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)
    days = [(date(2025, 3, 18), date(2025, 3, 19)), (date(2025, 3, 25), date(2025, 3, 26)),
            (date(2025, 4, 1), date(2025, 4, 2))]
    seen = []
    for n, (effective, received) in enumerate(days, start=1):
        entry = w.send(inv, effective=effective, presentment=n)
        r = apply(s, tmp_path, [returned("R01", entry)], received, n)
        seen.append((r.retries_scheduled, r.failures, reload(s, inv).status))
    # presentments 1 and 2 -> scheduled again; 3 -> failed
    assert seen == [(1, 0, "scheduled"), (1, 0, "scheduled"), (0, 1, "failed")]
    notes = list(s.scalars(select(m.Notification.kind)))
    assert notes == ["charge_failure", "charge_failure"]  # the employer's notice and the carrier's copy
    history = list(s.scalars(select(m.InvoiceStatusChange.to_status).where(m.InvoiceStatusChange.invoice_id == inv.id)
                             .order_by(m.InvoiceStatusChange.id)))
    assert history == ["scheduled", "scheduled", "failed"]
    assert repo.balance(s, "employer_receivable:123456789") == 2865  # still owed, nothing in transit
    assert repo.balance(s, "ach_in_transit") == 0


def test_the_retry_window_counts_from_the_first_presentment(db_session, tmp_path):
    # R01 on presentment 2, 186 days after presentment 1: no retry (its own date alone would allow one);
    # the first presentment's date is read in bulk for the file, as for any return of a later presentment
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)
    first = w.send(inv, effective=date(2025, 3, 18))
    assert apply(s, tmp_path, [returned("R01", first)], date(2025, 3, 19), 1).retries_scheduled == 1
    second = w.send(inv, effective=date(2025, 9, 18), presentment=2)
    r = apply(s, tmp_path, [returned("R01", second)], date(2025, 9, 22), 2)
    assert (r.retries_scheduled, r.failures, reload(s, inv).status) == (0, 1, "failed")


def test_late_r10_after_settlement_claws_back_the_wallet(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)
    entry = w.send(inv, effective=date(2025, 3, 18))
    settle(s, today=date(2025, 3, 20))
    s.commit()
    assert repo.balance(s, "carrier_wallet:granite") == -2579  # 2715 - 5% (136)
    r = apply(s, tmp_path, [returned("R10", entry)], date(2025, 4, 15))
    assert (r.applied, r.clawbacks, r.failures) == (1, 1, 1)
    assert repo.balance(s, "carrier_wallet:granite") == 0
    assert repo.balance(s, "cash_at_bank") == 0 and repo.balance(s, "platform_fees") == 0
    assert repo.balance(s, "employer_receivable:123456789") == 2865
    assert repo.unbalanced_transactions(s) == []
    assert reload(s, inv).status == "failed" and reload(s, entry).status == "returned"
    assert reload(s, w.employer).authorization_status == "needs_reauthorization"
    kinds = list(s.scalars(select(m.LedgerTransaction.kind).order_by(m.LedgerTransaction.id)))
    assert kinds[-2:] == ["clawback", "debit_returned"]


def test_r11_goes_to_ops_and_fails_for_now(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    inv = w.invoice(1000)
    entry = w.send(inv, effective=date(2025, 3, 18))
    r = apply(s, tmp_path, [returned("R11", entry)], date(2025, 3, 20))
    assert (r.applied, r.exceptions, r.failures) == (1, 1, 1)
    assert s.scalar(select(m.ExceptionItem.kind)) == "correct_and_resend"
    assert "9876543210123" not in s.scalar(select(m.ExceptionItem.detail))


def test_noc_with_invalid_routing_is_an_exception(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(1000), effective=date(2025, 3, 18))
    r = apply(s, tmp_path, [returned("C02", entry, corrected="231380105", amount=0)], date(2025, 3, 20))
    assert (r.applied, r.exceptions) == (0, 1)
    assert s.scalar(select(m.ExceptionItem.kind)) == "noc_invalid"
    assert reload(s, w.employer).bank_details_version == 1  # unchanged


@pytest.mark.parametrize("code, data, expected", [
    ("C01", "1918171614", BankChange(account="1918171614")),
    ("C02", "231380104", BankChange(routing="231380104")),  # 2*3+3*7+1+3*3+8*7+0+1*3+0 = 96 -> 4
    ("C03", "231380104   1918171614", BankChange(routing="231380104", account="1918171614")),
    ("C05", "37", BankChange(account_type="savings")),  # 37 savings debit
    ("C06", "1918171614" + " " * 10 + "27",  # account 1-17, 3 spaces, code 21-22
     BankChange(account="1918171614", account_type="checking")),
    ("C07", "2313801041918171614       32", BankChange(routing="231380104", account="1918171614",
                                                         account_type="savings")),
    ("C09", "ABC123", BankChange()),  # recorded, nothing of the bank details changes
])
def test_parse_correction(code, data, expected):
    assert parse_correction(code, data) == expected


@pytest.mark.parametrize("code, data", [("C02", "231380105"), ("C01", "12"), ("C05", "99"), ("C04", "NEW NAME")])
def test_parse_correction_refuses(code, data):
    with pytest.raises(ValueError):
        parse_correction(code, data)


def test_r01_clears_the_noticed_debit_until_the_next_notice(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)
    # as paygo.ach.schedule records the notice of presentment 1
    inv.debit_date, inv.debit_presentment, inv.debit_bank_details_version = date(2025, 3, 18), 1, 1
    entry = w.send(inv, effective=date(2025, 3, 18))
    s.commit()
    r = apply(s, tmp_path, [returned("R01", entry)], date(2025, 3, 19))
    assert r.retries_scheduled == 1
    inv = reload(s, inv)
    # back to scheduled for presentment 2, which no notice has announced yet
    assert (inv.status, inv.debit_date, inv.debit_presentment, inv.debit_bank_details_version) \
        == ("scheduled", None, None, None)


def test_a_returned_refund_credit_owes_the_employer_again_and_goes_to_ops(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715)
    inv.total_cents, inv.premium_cents, inv.status = -500, -500, "in_flight"  # stands in for a refund
    repo.post(s, posting.invoice_credited(inv.number, "123456789", "granite", 500, 0, date(2025, 3, 10)))
    repo.post(s, posting.refund_payable(inv.number, "123456789", "granite", 500, 0, date(2025, 3, 10)))
    af = m.AchFile(creation_date=date(2025, 3, 17), file_id_modifier="A", sha256="c" * 64, path="ach/r.ach",
                   status="confirmed", batch_count=1, entry_count=1, total_debit_cents=0, total_credit_cents=500)
    s.add(af)
    s.flush()
    entry = m.AchEntry(ach_file_id=af.id, invoice_id=inv.id, presentment=1, trace_number="011000010000777",
                       amount_cents=500, transaction_code=22, effective_date=date(2025, 3, 18),
                       routing=w.employer.bank_routing, account_last4=w.employer.bank_account_last4,
                       bank_details_version=w.employer.bank_details_version, status="in_flight")
    s.add(entry)
    s.flush()
    repo.post(s, posting.refund_sent(inv.number, 1, "123456789", 500, date(2025, 3, 18)))
    s.commit()
    assert repo.balance(s, "refunds_payable:123456789") == 0 and repo.balance(s, "refunds_in_transit") == -500
    r = apply(s, tmp_path, [returned("R03", entry) | {"tc": 22}], date(2025, 3, 19))
    assert (r.applied, r.failures, r.exceptions, r.retries_scheduled) == (1, 1, 1, 0)
    # 500 cents owed to the employer again, nothing left in transit; the receivable is untouched
    assert repo.balance(s, "refunds_payable:123456789") == -500
    assert repo.balance(s, "refunds_in_transit") == 0
    assert repo.balance(s, "employer_receivable:123456789") == 2715
    assert repo.unbalanced_transactions(s) == []
    assert reload(s, inv).status == "failed" and reload(s, entry).status == "returned"
    assert list(s.scalars(select(m.ExceptionItem.kind))) == ["refund_returned"]
