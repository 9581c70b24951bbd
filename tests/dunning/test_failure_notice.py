"""Pins the notice of a failed charge (issue 12, 1099Policy "Assignment Charge Failure"): a return
that fails the invoice tells the employer, warns that coverage may be interrupted, and sends the
carrier's billing contact a copy with its own key; never a full account number; a retry (R01 on
presentment 1) tells nobody; a second copy of the return file queues nothing new."""

from datetime import date

from sqlalchemy import select

from paygo.ach.reconcile import reconcile_return_file
from paygo.db import models as m
from paygo.notifications.messages import COVERAGE_WARNING
from returns_factory import CIPHER, make_world, return_file, returned


def apply(s, tmp_path, items, day, n=1):
    r = reconcile_return_file(s, return_file(tmp_path, items, day, n), name=f"r{n}.ach", received_on=day,
                              cipher=CIPHER)
    s.commit()
    return r


def test_failed_charge_warns_of_coverage_and_goes_to_the_carrier(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    s.get(m.Carrier, w.carrier_id).billing_email = "premium@granite.example"
    retry = w.send(w.invoice(1000), effective=date(2025, 3, 18))
    fail = w.send(w.invoice(2715, 150), effective=date(2025, 3, 18))
    apply(s, tmp_path, [returned("R01", retry), returned("R02", fail)], date(2025, 3, 20))
    rows = s.scalars(select(m.Notification).order_by(m.Notification.id)).all()
    number = s.get(m.Invoice, fail.invoice_id).number
    assert [(n.idempotency_key, n.recipient) for n in rows] == [
        (f"new_bank_details_needed:{number}:1", "ap@baybakery.example"),
        (f"new_bank_details_needed:{number}:1:carrier", "premium@granite.example"),
    ]  # the R01 is re-presented: no notice for it
    for n in rows:
        assert COVERAGE_WARNING in n.body and "$28.65" in n.body and "****0123" in n.body
        assert "9876543210123" not in n.body and n.failed_at is None
    # the same file again: nothing new queued
    apply(s, tmp_path, [returned("R01", retry), returned("R02", fail)], date(2025, 3, 20), n=2)
    assert len(s.scalars(select(m.Notification)).all()) == 2
