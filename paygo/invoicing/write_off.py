"""Writing off what an invoice still owes (`paygo invoices write-off`): to bad debt, once.

Rule (issue 12; domain.md invariant 2: nothing finalized is edited): only an invoice that owes
something and has no debit announced or on its way (`issued` or `failed`) can be written off; the
open part (paygo.payments.balances) leaves the receivable through `bad_debt` (its premium and fee
split in the invoice's proportion, paygo.payments.allocate) and the invoice is `written_off`
with the reason. Written off is closed: no debit, reminder or payment touches it again.
Example: INV-000012 of $500.00 (premium 490.00, fee 10.00) failed R02, $200.00 paid by check:
written off $300.00 = premium 294.00 + fee 6.00 (the cumulative split of the last 300 cents).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.billing.money import format_cents
from paygo.db import locks
from paygo.db import models as m
from paygo.invoicing.status import record
from paygo.ledger import posting, repo
from paygo.payments import balances
from paygo.payments.allocate import premium_part

ACTOR = "paygo invoices write-off"


class WriteOffError(ValueError):
    """The invoice cannot be written off (the message says why)."""


def write_off(session: Session, invoice_number: str, *, reason: str, on: date, by: str = ACTOR) -> int:
    """Write off the open part of one invoice; returns the cents written off. The caller commits."""
    reason = reason.strip()
    if not reason:
        raise WriteOffError("a write-off needs a reason (--reason)")
    locks.hold(session, locks.ORIGINATE)  # not while origination is putting it in a file
    invoice = session.scalar(select(m.Invoice).where(m.Invoice.number == invoice_number))
    if invoice is None:
        raise WriteOffError(f"no invoice {invoice_number}")
    if invoice.status not in ("issued", "failed"):
        detail = {"scheduled": "its debit is announced", "in_flight": "its debit is on its way to the bank"}
        raise WriteOffError(f"{invoice_number} cannot be written off: "
                            f"{detail.get(invoice.status, f'it is {invoice.status}')}")
    owed = balances.open_cents(session, [invoice.id]).get(invoice.id, 0)
    if owed <= 0:
        raise WriteOffError(f"{invoice_number} owes nothing")
    paid = invoice.total_cents - owed
    premium = (premium_part(invoice.total_cents, invoice.total_cents, invoice.premium_cents)
               - premium_part(paid, invoice.total_cents, invoice.premium_cents))
    carrier = session.scalar(select(m.Policy.carrier_id).where(m.Policy.id == invoice.policy_id))
    fein = session.scalar(select(m.Employer.fein).where(m.Employer.id == invoice.employer_id))
    repo.post(session, posting.bad_debt(invoice.number, fein, carrier, premium, owed - premium, on))
    record(session, invoice, "written_off", on=on, by=by, why=f"${format_cents(owed)} written off: {reason}")
    session.flush()
    return owed
