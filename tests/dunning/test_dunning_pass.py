"""Pins the dunning pass against a real database (SQLite and PostgreSQL): a remit bill is reminded
before its due date and after it, each stage once, to the payroll company's billing email; re-running
a date or a later one sends nothing twice; a missed stretch still sends the stage due; a partial
payment lowers the amount, a full one stops the reminders; a failed debit is reminded to the employer
from its failure date; nothing goes to a made-up address: a missing contact is one exception for ops;
void, written-off and in-flight invoices are never dunned. Business dates are in 2025, never today."""

from datetime import date

from sqlalchemy import select

from paygo.db import models as m
from paygo.dunning import run_dunning
from paygo.invoicing.remit import issue_remit_bills
from paygo.invoicing.status import record
from paygo.notifications.outbox import NO_CONTACT_KIND
from paygo.payments.record import record_payment
from returns_factory import make_world

BILLED = date(2025, 4, 1)  # March's bill is issued on April 1st, due May 1st


def remit_world(s, *, billing_email="billing@acme.example"):
    w = make_world(s)
    s.get(m.PayrollCompany, "acme-payroll").billing_email = billing_email
    invoices = [w.invoice(premium) for premium in (50_000, 120_000)]  # pay dates in March
    for inv in invoices:
        inv.payment_method = "remit"
    s.flush()
    [number] = issue_remit_bills(s, today=BILLED)
    s.commit()
    return w, number, invoices


def dun(s, day):
    r = run_dunning(s, today=day)
    s.commit()
    return r


def reminders(s):
    return list(s.execute(select(m.Notification.idempotency_key, m.Notification.recipient, m.Notification.subject)
                          .where(m.Notification.kind == "payment_reminder").order_by(m.Notification.id)))


def test_remit_bill_cadence_once_each_with_missed_days_and_payments(db_session):
    s = db_session
    _, number, _ = remit_world(s)
    bill = s.scalar(select(m.RemitBill).where(m.RemitBill.number == number))
    assert bill.due_date == date(2025, 5, 1)
    assert dun(s, date(2025, 4, 23)).queued == []  # 8 days before: too early
    r = dun(s, date(2025, 4, 24))
    assert [(k, st, c) for k, st, c, _ in r.queued] == [(f"payment_reminder:{number}:due_in_7", "due_in_7", 170_000)]
    assert r.overdue == []  # not yet due
    assert dun(s, date(2025, 4, 24)).queued == []  # the same date again
    assert dun(s, date(2025, 4, 28)).queued == []  # a later date before the next stage
    # the pass does not run from May 1st to May 5th: on the 6th the stage due now goes out once
    r = dun(s, date(2025, 5, 6))
    assert [st for _, st, _, _ in r.queued] == ["overdue_1"]
    assert r.overdue_cents == 170_000 and [o.number for o in r.overdue] == [number]
    key, to, subject = reminders(s)[-1]
    assert to == "billing@acme.example" and "$1,700.00" in subject and "2025-05-01" in subject
    assert dun(s, date(2025, 5, 6)).queued == []
    # a check for part of it: the next stage asks for the rest
    record_payment(s, amount_cents=70_000, on=date(2025, 5, 10), reference="CHK-1001", bill_number=number)
    s.commit()
    r = dun(s, date(2025, 5, 16))
    assert [(st, c) for _, st, c, _ in r.queued] == [("overdue_15", 100_000)]
    assert "$1,000.00" in reminders(s)[-1][2]
    # paid in full before the final notice: nothing more, nothing overdue
    record_payment(s, amount_cents=100_000, on=date(2025, 5, 20), reference="CHK-1002", bill_number=number)
    s.commit()
    r = dun(s, date(2025, 6, 5))
    assert r.queued == [] and r.overdue == []
    assert [k.rsplit(":", 1)[1] for k, _, _ in reminders(s)] == ["due_in_7", "overdue_1", "overdue_15"]


def test_failed_debit_is_reminded_from_its_failure_and_write_off_stops_it(db_session):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150, issued_on=date(2025, 3, 10))
    w.send(inv, effective=date(2025, 3, 18))
    record(s, inv, "failed", on=date(2025, 3, 20), by="test", why="R02 on presentment 1")
    s.commit()
    assert dun(s, date(2025, 3, 26)).queued == []  # the charge failure notice was day 0
    r = dun(s, date(2025, 3, 27))
    assert [(k, c, to) for k, _, c, to in r.queued] == [
        (f"payment_reminder:{inv.number}:overdue_7", 2865, "ap@baybakery.example")]
    assert [o.number for o in r.overdue] == [inv.number]
    body = s.scalar(select(m.Notification.body).where(m.Notification.idempotency_key == r.queued[0][0]))
    assert "failed on 2025-03-20" in body and "9876543210123" not in body
    record(s, inv, "written_off", on=date(2025, 4, 1), by="test", why="bad debt")
    s.commit()
    r = dun(s, date(2025, 4, 20))
    assert r.queued == [] and r.overdue == []


def test_in_flight_void_and_paid_invoices_are_never_dunned(db_session):
    s = db_session
    w = make_world(s)
    flying = w.invoice(1000)
    w.send(flying, effective=date(2025, 3, 18))  # a debit on its way: not overdue, whatever the date
    void = w.invoice(2000)
    record(s, void, "voided", on=date(2025, 3, 11), by="test", why="corrected")
    s.commit()
    r = dun(s, date(2025, 6, 1))
    assert r.queued == [] and r.overdue == []


def test_missing_billing_contact_is_one_exception_never_an_address(db_session):
    s = db_session
    _, number, _ = remit_world(s, billing_email=None)
    r = dun(s, date(2025, 5, 2))
    key = f"payment_reminder:{number}:overdue_1"
    assert [k for k, _, _, _ in r.queued] == [key] and r.no_contact == [key]
    row = s.scalar(select(m.Notification).where(m.Notification.idempotency_key == key))
    assert row.recipient == "" and row.failed_at is not None and row.delivered_at is None
    [item] = s.scalars(select(m.ExceptionItem).where(m.ExceptionItem.kind == NO_CONTACT_KIND)).all()
    assert "payroll_companies.billing_email of acme-payroll" in item.detail
    assert dun(s, date(2025, 5, 3)).queued == []  # re-run: no second row, no second exception
    assert len(s.scalars(select(m.ExceptionItem).where(m.ExceptionItem.kind == NO_CONTACT_KIND)).all()) == 1
