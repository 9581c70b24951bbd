"""Recording a remit payment and applying it: one transaction, once per (payer, reference).

Rule (issue 12; 1099Policy: remit payers are billed with 30 days to pay; Audit1: the carrier wallet
is credited when money is received): a payment against a remit bill pays the bill's invoices in
invoice order, one against an invoice pays that invoice; what is left is the payer's credit
(`payer_credit:<payer>`), applied to the payer's next remit bill when it is issued
(`apply_payer_credit`). Each application credits the carrier's wallet with its premium share less
the carrier's fee, exactly as a settled debit would (paygo.payments.allocate). An invoice whose
position (paygo.payments.balances) reaches 0 is `paid` (event `remitted`); a remit bill whose
invoices owe nothing is `paid`. The same reference from the same payer is the same payment: again
with the same amount and target it changes nothing; with another it is refused.
Worked example: REMIT-000001 lists INV-3 ($300.00) and INV-5 ($200.00); a check 1042 of $350.00:
INV-3 paid ($300.00 applied), INV-5 owes $150.00, the bill stays issued; a second check of
$180.00 pays INV-5 ($150.00) and leaves $30.00 of credit for Acme's next bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.ach.settle import billing_fee_lookup, carrier_fee_cents
from paygo.billing.money import format_cents
from paygo.db import locks
from paygo.db import models as m
from paygo.db.counters import next_value
from paygo.invoicing.status import record
from paygo.ledger import posting, repo
from paygo.payments import allocate, balances
from paygo.states import remit_bill_transition

LOCK = "payments_lock"
METHODS = m.PAYMENT_METHODS_RECEIVED
# An invoice a payment may pay: not while a debit of it is announced or on its way.
PAYABLE = ("issued", "failed")


class PaymentError(ValueError):
    """A payment that cannot be recorded as asked (the message says why)."""


@dataclass
class PaymentResult:
    number: str
    created: bool  # False: this reference was recorded before (nothing changed)
    applied: dict[str, int] = field(default_factory=dict)  # invoice number -> cents applied now
    paid_invoices: list[str] = field(default_factory=list)
    paid_bills: list[str] = field(default_factory=list)
    credit_left_cents: int = 0  # the payer's unapplied credit after this payment


def payment_number(value: int) -> str:
    return f"PAY-{value:06d}"


def record_payment(session: Session, *, amount_cents: int, on: date, reference: str, method: str = "check",
                   bill_number: str | None = None, invoice_number: str | None = None, source: str = "cli",
                   by: str = "paygo payments record") -> PaymentResult:
    """Record one payment against a bill or an invoice and apply it (the caller commits)."""
    if (bill_number is None) == (invoice_number is None):
        raise PaymentError("a payment is recorded against one remit bill (--bill) or one invoice (--invoice)")
    if type(amount_cents) is not int or amount_cents <= 0:
        raise PaymentError(f"the amount must be positive, got {amount_cents!r} cents")
    reference = reference.strip()
    if not reference or len(reference) > 200:
        raise PaymentError("a payment needs its reference (check number, wire reference), at most 200 characters")
    if method not in METHODS:
        raise PaymentError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    locks.hold(session, LOCK)
    bill = invoice = None
    if bill_number is not None:
        bill = session.scalar(select(m.RemitBill).where(m.RemitBill.number == bill_number))
        if bill is None:
            raise PaymentError(f"no remit bill {bill_number}")
        payer_kind, payer_id = "payroll_company", bill.payroll_company_id
    else:
        invoice = session.scalar(select(m.Invoice).where(m.Invoice.number == invoice_number))
        if invoice is None:
            raise PaymentError(f"no invoice {invoice_number}")
        payer_kind, payer_id = "employer", session.get(m.Employer, invoice.employer_id).fein
    earlier = session.scalar(select(m.Payment).where(
        m.Payment.payer_kind == payer_kind, m.Payment.payer_id == payer_id, m.Payment.reference == reference))
    if earlier is not None:
        same = (earlier.amount_cents == amount_cents and earlier.remit_bill_id == (bill.id if bill else None)
                and earlier.invoice_id == (invoice.id if invoice else None))
        if not same:
            raise PaymentError(f"reference {reference!r} of {payer_id} was recorded before as {earlier.number} "
                               f"(${format_cents(earlier.amount_cents)} on {earlier.received_on}); "
                               f"a payment reference is recorded once")
        return PaymentResult(earlier.number, False, credit_left_cents=unapplied_cents(session, payer_kind, payer_id))
    if invoice is not None:
        _check_payable(session, invoice)
    payment = m.Payment(number=payment_number(next_value(session, "payment")), payer_kind=payer_kind,
                        payer_id=payer_id, reference=reference, method=method, amount_cents=amount_cents,
                        received_on=on, remit_bill_id=bill.id if bill else None,
                        invoice_id=invoice.id if invoice else None, source=source)
    session.add(payment)
    session.flush()
    repo.post(session, posting.payment_received(payment.number, payer_id, amount_cents, on))
    targets = _bill_invoices(session, bill) if bill is not None else [invoice]
    result = PaymentResult(payment.number, True)
    _apply(session, [payment], targets, on, by, result)
    result.credit_left_cents = unapplied_cents(session, payer_kind, payer_id)
    return result


def _check_payable(session: Session, invoice: m.Invoice) -> None:
    if invoice.total_cents <= 0:
        raise PaymentError(f"{invoice.number} is a credit of ${format_cents(-invoice.total_cents)}: nothing to pay")
    if invoice.status not in PAYABLE:
        why = {"scheduled": f"its debit is announced for {invoice.debit_date}" if invoice.debit_date
               else "it waits for its debit's notice",
               "in_flight": "its debit is on its way to the bank"}.get(invoice.status, f"it is {invoice.status}")
        raise PaymentError(f"{invoice.number} cannot take a payment now: {why}")
    if not balances.open_cents(session, [invoice.id]):
        raise PaymentError(f"{invoice.number} owes nothing")


def _bill_invoices(session: Session, bill: m.RemitBill) -> list[m.Invoice]:
    return list(session.scalars(select(m.Invoice).where(m.Invoice.remit_bill_id == bill.id).order_by(m.Invoice.id)))


def unapplied_cents(session: Session, payer_kind: str, payer_id: str) -> int:
    """The payer's credit: its payments' cents not applied to any invoice."""
    paid = session.scalar(select(func.coalesce(func.sum(m.Payment.amount_cents), 0)).where(
        m.Payment.payer_kind == payer_kind, m.Payment.payer_id == payer_id))
    applied = session.scalar(select(func.coalesce(func.sum(m.PaymentApplication.amount_cents), 0))
                             .join(m.Payment, m.Payment.id == m.PaymentApplication.payment_id)
                             .where(m.Payment.payer_kind == payer_kind, m.Payment.payer_id == payer_id))
    return int(paid) - int(applied)


def _left(session: Session, payment: m.Payment) -> int:
    applied = session.scalar(select(func.coalesce(func.sum(m.PaymentApplication.amount_cents), 0))
                             .where(m.PaymentApplication.payment_id == payment.id))
    return payment.amount_cents - int(applied)


def _apply(session: Session, payments: list[m.Payment], targets: list[m.Invoice], on: date, by: str,
           result: PaymentResult) -> None:
    """Apply the payments' unapplied cents (oldest payment first) to the targets in order."""
    per_policy, per_carrier = billing_fee_lookup(session)
    left = {p.id: _left(session, p) for p in payments}
    for invoice in targets:
        if invoice.total_cents <= 0 or invoice.status not in PAYABLE:
            continue
        owed = balances.open_cents(session, [invoice.id]).get(invoice.id, 0)
        for payment in payments:
            if owed == 0:
                break
            amount = min(owed, left[payment.id])
            if amount <= 0:
                continue
            before = balances.applied_cents(session, [invoice.id]).get(invoice.id, 0)
            policy = session.get(m.Policy, invoice.policy_id)
            setting = per_policy.get(policy.id) or per_carrier.get(policy.carrier_id)
            part = allocate.share(before_cents=before, amount_cents=amount, total_cents=invoice.total_cents,
                                  premium_cents=invoice.premium_cents,
                                  carrier_fee=lambda p, s=setting: carrier_fee_cents(s, p))
            fein = session.get(m.Employer, invoice.employer_id).fein
            session.add(m.PaymentApplication(payment_id=payment.id, invoice_id=invoice.id, amount_cents=amount,
                                             applied_on=on))
            repo.post(session, posting.payment_applied(
                payment.number, invoice.number, payment.payer_id, fein, policy.carrier_id, part.premium_cents,
                part.employer_fee_cents, part.carrier_fee_cents, on))
            session.flush()
            left[payment.id] -= amount
            owed -= amount
            result.applied[invoice.number] = result.applied.get(invoice.number, 0) + amount
    settle_positions(session, [t.id for t in targets], on, by, result)


def settle_positions(session: Session, invoice_ids: list[int], on: date, by: str,
                     result: PaymentResult | None = None) -> None:
    """Invoices of these runs that owe nothing any more are paid (`remitted`); their credits fully
    placed are netted; remit bills whose invoices all owe nothing are paid."""
    pos = balances.positions(session, invoice_ids)
    if not pos:
        return
    rows = session.scalars(select(m.Invoice).where(m.Invoice.id.in_(list(pos))).order_by(m.Invoice.id)).all()
    for inv in rows:
        if inv.total_cents > 0 and inv.status in PAYABLE and pos[inv.id] == 0:
            record(session, inv, "remitted", on=on, by=by, why="paid in full by remit payments and credits")
            if result is not None:
                result.paid_invoices.append(inv.number)
    open_runs = {(i.employer_id, i.payroll_run_id) for i in rows if pos[i.id] > 0}
    for inv in rows:  # a remit credit note wholly placed against invoices now closed is done
        if (inv.total_cents < 0 and inv.status == "issued" and inv.payment_method == "remit" and pos[inv.id] == 0
                and (inv.employer_id, inv.payroll_run_id) not in open_runs):
            record(session, inv, "netted", on=on, by=by, why="credit placed against the run's paid remit invoices")
    session.flush()
    bill_ids = {inv.remit_bill_id for inv in rows if inv.remit_bill_id is not None}
    for bill in session.scalars(select(m.RemitBill).where(m.RemitBill.id.in_(bill_ids), m.RemitBill.status == "issued")):
        on_bill = list(session.scalars(select(m.Invoice.id).where(m.Invoice.remit_bill_id == bill.id)))
        bill_pos = balances.positions(session, on_bill)
        if all(bill_pos.get(i, 0) == 0 for i in on_bill):
            bill.status = remit_bill_transition(bill.status, "paid")
            if result is not None:
                result.paid_bills.append(bill.number)
    session.flush()


def bill_balance(session: Session, bill_id: int) -> int:
    """What is still owed on a bill: the positions of its invoices (a credit note's is negative)."""
    ids = list(session.scalars(select(m.Invoice.id).where(m.Invoice.remit_bill_id == bill_id)))
    pos = balances.positions(session, ids)
    return sum(pos.get(i, 0) for i in ids)


def apply_payer_credit(session: Session, payroll_company_id: str, bill_numbers: list[str], on: date,
                       by: str = "paygo remit-bills") -> PaymentResult | None:
    """A payroll company's unapplied payments pay its newly issued bills (oldest payment first)."""
    payments = [p for p in session.scalars(select(m.Payment).where(
        m.Payment.payer_kind == "payroll_company", m.Payment.payer_id == payroll_company_id).order_by(m.Payment.id))
        if _left(session, p) > 0]
    if not payments or not bill_numbers:
        return None
    targets = []
    for bill in session.scalars(select(m.RemitBill).where(m.RemitBill.number.in_(bill_numbers),
                                                          m.RemitBill.payroll_company_id == payroll_company_id)
                                .order_by(m.RemitBill.id)):
        targets += _bill_invoices(session, bill)
    result = PaymentResult(payments[0].number, False)
    _apply(session, payments, targets, on, by, result)
    return result
