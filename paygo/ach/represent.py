"""Re-presenting a failed invoice by hand (`paygo invoices represent`): what NACHA and the return
allow, decided from the facts alone, then one status change; the next `paygo ach originate`
sends the pre-debit notice and the new entry.

Rule (NACHA Operating Rules; domain.md "ACH facts"; paygo.ach.actions for the automatic side):
- R01/R09: the rules allow the original and two re-presentments within 180 days, same amount, and
  origination already re-presents them automatically; once they are used up (or the 180 days have
  passed) the invoice cannot be debited again: refused.
- R02/R03/R04/R12/R13/R20 (account closed, no account, invalid, ...): only to new bank details, i.e.
  the employer's `bank_details_version` is above the one the returned entry used (a NOC applied or
  `paygo employers set-bank`).
- R05/R07/R10/R29 (not authorized, revoked) and R08 (stop payment): only after a renewed
  authorization (`paygo employers authorize`, which sets the employer `active` again).
- R11, R17-R19, R21-R28 (our data was wrong): after it is corrected, by the person who corrected it.
- Deaths, OFAC and other codes a person reviews: refused.
An invoice has at most three entries (the schema's presentments 1-3): a fourth is refused. One paid
in part by remit or reduced by a netted credit owes less than its total: refused (a debit is for the
invoice's amount; collect the rest by remit payment).
Example: INV-000007 failed R03 on presentment 1 (bank details version 1); the employer's new details
are version 2: allowed, presentment 2, `PREMIUM` (not `RETRY PYMT`: that is for R01/R09 only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.ach.actions import MAX_PRESENTMENTS, RETRY_WINDOW
from paygo.billing.money import format_cents
from paygo.db import locks
from paygo.db.models import AchEntry, AchReturn, Employer, Invoice
from paygo.invoicing.status import record
from paygo.nacha import codes
from paygo.nacha.codes import ReturnAction
from paygo.payments import balances

ACTOR = "paygo invoices represent"


class RepresentError(ValueError):
    """The rules forbid this re-presentment; the message says which rule."""


@dataclass(frozen=True)
class LastDebit:
    presentment: int
    return_code: str | None  # None: the entry was not returned (the invoice failed otherwise)
    effective_date: date
    first_effective_date: date  # the original presentment's
    bank_details_version: int


def represent_verdict(*, status: str, payment_method: str, total_cents: int, open_cents: int,
                      last: LastDebit | None, bank_details_version: int, authorization_status: str,
                      has_bank: bool, today: date) -> str | None:
    """None when the invoice may be debited again, else why not (pure)."""
    if payment_method != "ach_debit":
        return "it is paid by remit: record the payment (paygo payments record)"
    if status != "failed":
        return f"only a failed invoice can be re-presented; it is {status}"
    if last is None or last.return_code is None:
        return "it has no returned debit to re-present"
    if open_cents != total_cents:
        return (f"it owes ${format_cents(open_cents)} of its ${format_cents(total_cents)} (paid in part or "
                f"reduced by a credit); "
                f"a debit is for the invoice's amount: collect the rest by remit payment")
    if last.presentment >= MAX_PRESENTMENTS:
        return f"it was presented {last.presentment} times, the most an invoice may be"
    action = codes.return_action(last.return_code)
    code = last.return_code
    if action is ReturnAction.RETRY:
        if today - last.first_effective_date > RETRY_WINDOW:
            return f"{code}: NACHA allows re-presentment only within 180 days of the original entry"
        return None if last.presentment < MAX_PRESENTMENTS else f"{code}: both re-presentments are used"
    if action is ReturnAction.EXCEPTION:
        return f"{code} needs review by a person; it is never re-presented"
    if not has_bank:
        return "the employer has no bank details"
    if action is ReturnAction.NEW_BANK_DETAILS and bank_details_version <= last.bank_details_version:
        return (f"{code}: the employer's bank details have not changed since the returned debit "
                f"(version {bank_details_version}); record new ones (paygo employers set-bank) first")
    if action in (ReturnAction.NEW_AUTHORIZATION, ReturnAction.REAUTHORIZE_STOP_PAYMENT) and \
            authorization_status != "active":
        return f"{code}: the employer must renew its authorization first (paygo employers authorize)"
    if authorization_status != "active":
        return f"the employer's authorization is {authorization_status}"
    return None


def last_debit(session: Session, invoice_id: int) -> LastDebit | None:
    entries = session.execute(select(AchEntry.id, AchEntry.presentment, AchEntry.effective_date,
                                     AchEntry.bank_details_version)
                              .where(AchEntry.invoice_id == invoice_id).order_by(AchEntry.presentment)).all()
    if not entries:
        return None
    last = entries[-1]
    code = session.scalar(select(AchReturn.code).where(AchReturn.ach_entry_id == last.id, AchReturn.kind == "return",
                                                       AchReturn.status == "applied"))
    return LastDebit(last.presentment, code, last.effective_date, entries[0].effective_date, last.bank_details_version)


def represent(session: Session, invoice_number: str, *, on: date, by: str = ACTOR) -> int:
    """Put a failed invoice back to `scheduled` for its next presentment (returned); the caller
    commits. Raises RepresentError with the rule that forbids it."""
    locks.hold(session, locks.ORIGINATE)  # not while an origination is deciding what to send
    invoice = session.scalar(select(Invoice).where(Invoice.number == invoice_number))
    if invoice is None:
        raise RepresentError(f"no invoice {invoice_number}")
    employer = session.get(Employer, invoice.employer_id)
    last = last_debit(session, invoice.id)
    why = represent_verdict(
        status=invoice.status, payment_method=invoice.payment_method, total_cents=invoice.total_cents,
        open_cents=balances.open_cents(session, [invoice.id]).get(invoice.id, 0), last=last,
        bank_details_version=employer.bank_details_version, authorization_status=employer.authorization_status,
        has_bank=employer.bank_routing is not None, today=on)
    if why is not None:
        raise RepresentError(f"{invoice_number} cannot be re-presented: {why}")
    presentment = last.presentment + 1
    record(session, invoice, "represented", on=on, by=by,
           why=f"re-presented after {last.return_code} on presentment {last.presentment}: presentment {presentment} "
               f"to ****{employer.bank_account_last4} (bank details version {employer.bank_details_version}), "
               f"after a new pre-debit notice")
    session.flush()
    return presentment
