"""Dunning: payment reminders before and after the due date, each sent once, to a real contact.

Rule (issue 12; 1099Policy premium payments guide, seeds/000: remit bills are "due within 30 days
of the bill date", a "Payment Reminder" gives the amount owed, the payment date and the payment
method, and a failed charge warns of coverage interruption). Overdue is derived, never stored:
something is overdue on a business date when it still owes money (paygo.payments.balances
`open_cents`, the one definition) and that date is after its due date. What is dunned:
- a remit bill still `issued` with a balance (`paygo.payments.record.bill_balance`: the open
  positions of its invoices, payments and credit notes counted), to the payroll company's
  `billing_email`;
- a remit invoice on no bill yet, to the employer's `email`;
- an ach_debit invoice whose debit failed (status `failed`), or that is `issued` but cannot be
  debited (the employer needs new bank details or a new authorization, or has none), to the
  employer's `email`. One `scheduled` or `in_flight` is not dunned: a debit is on its way.
Paid, void, netted and written-off invoices owe nothing, so nothing is sent for them.

Cadence (days from the anchor; the anchor is the due date, or for a failed debit the business date
of the failure, whose own notice (paygo.notifications.messages FAILURE_KINDS) is day 0):
    remit bill / remit invoice:  due_in_7 (-7), overdue_1 (+1), overdue_15 (+15), final_30 (+30)
    failed or blocked debit:     overdue_7 (+7), overdue_15 (+15), final_30 (+30)
On a business date the pass sends, per item, only the LATEST stage whose day has come, unless it
(or a later stage) was sent already: so a re-run of the same or a later date sends nothing twice,
a pass that did not run for days still sends the stage that is due now, and a stage overtaken
while the pass was not running is skipped (never a "due in 7 days" after the due date). The final
notice warns that coverage may be interrupted; after it the item is left to ops (aging report,
`paygo invoices represent`, `paygo invoices write-off`).
The idempotency key is `payment_reminder:<REMIT-... | INV-...>:<stage>`, with `:<n>` appended for
the n-th failure of an invoice re-presented and failed again (its cadence starts again).
Worked example: REMIT-000001 due 2025-05-01 owes $1,700.00. Pass on 04-24: due_in_7. Not run again
until 05-03: overdue_1 (due_in_7 already sent; +1 is the latest stage due). Run on 05-03 again:
nothing. A check for the whole bill is recorded on 05-10: the pass on 05-16 sends nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.db import models as m
from paygo.notifications.contacts import is_address, recipient_or_none
from paygo.notifications.messages import Reminder, compose_reminder
from paygo.notifications.outbox import enqueue
from paygo.payments.balances import OWING, open_cents
from paygo.payments.record import bill_balance

KEY_PREFIX = "payment_reminder"
CHUNK = 5000


@dataclass(frozen=True)
class Stage:
    name: str
    days: int  # from the anchor: negative before it


REMIT_CADENCE = (Stage("due_in_7", -7), Stage("overdue_1", 1), Stage("overdue_15", 15), Stage("final_30", 30))
DEBIT_CADENCE = (Stage("overdue_7", 7), Stage("overdue_15", 15), Stage("final_30", 30))
FINAL = "final_30"

REMIT_HOW = ("by check, wire or ACH credit to PAYGO premium billing, quoting {number} so we can match "
             "your payment.")
DEBIT_HOW = ("send us new bank details or renew your debit authorization so we can debit it again, or pay it "
             "by check, wire or ACH credit quoting {number}.")


@dataclass(frozen=True)
class Owed:
    """One thing a payer owes, as the pass sees it on its business date."""

    kind: str  # "remit_bill" | "invoice"
    number: str  # REMIT-000001 | INV-000007
    payer_name: str
    recipient: str  # "" when the party has no contact on file
    contact_field: str  # where ops add the contact
    open_cents: int
    due_date: date
    anchor: date  # what the cadence counts from: the due date, or the date the debit failed
    cadence: tuple[Stage, ...]
    how_to_pay: str
    round: int = 1  # the n-th failure of a re-presented invoice
    failed_on: date | None = None

    def overdue(self, today: date) -> bool:
        return self.open_cents > 0 and today > self.due_date


@dataclass(frozen=True)
class Due:
    """A reminder the pass decided to send."""

    owed: Owed
    stage: Stage
    key: str


def reminder_key(number: str, stage: str, round_: int = 1) -> str:
    """`payment_reminder:REMIT-000001:overdue_1` (`...:2` for the second failure of an invoice)."""
    return f"{KEY_PREFIX}:{number}:{stage}" + ("" if round_ == 1 else f":{round_}")


def latest_stage(owed: Owed, today: date) -> Stage | None:
    """The last stage of the cadence whose day has come on `today` (None before the first)."""
    came = [s for s in owed.cadence if owed.anchor + timedelta(days=s.days) <= today]
    return came[-1] if came else None


def decide(items: Iterable[Owed], sent: set[str], today: date) -> list[Due]:
    """The reminders to send on `today`: per item the latest stage due, unless it or a later stage
    was sent (pure: `sent` holds the keys already in the outbox)."""
    out = []
    for owed in items:
        if owed.open_cents <= 0:
            continue
        stage = latest_stage(owed, today)
        if stage is None:
            continue
        later = owed.cadence[owed.cadence.index(stage):]
        if any(reminder_key(owed.number, s.name, owed.round) in sent for s in later):
            continue
        out.append(Due(owed, stage, reminder_key(owed.number, stage.name, owed.round)))
    return out


def reminder(due: Due, today: date) -> Reminder:
    o = due.owed
    document = f"remit bill {o.number}" if o.kind == "remit_bill" else f"invoice {o.number}"
    return Reminder(due.key, due.stage.name, (today - o.due_date).days, document, o.payer_name, o.recipient,
                    o.contact_field, o.open_cents, o.due_date, o.how_to_pay, final=due.stage.name == FINAL,
                    failed_on=o.failed_on)


# --- reading what is owed


def owed_remit_bills(session: Session) -> list[Owed]:
    """Issued remit bills with a balance (paygo.payments.record `bill_balance`: the positions of its
    invoices, payments and credit notes taken into account)."""
    bills = session.scalars(select(m.RemitBill).where(m.RemitBill.status == "issued").order_by(m.RemitBill.id)).all()
    if not bills:
        return []
    companies = {c.id: c for c in session.scalars(select(m.PayrollCompany))}
    out = []
    for b in bills:
        balance = bill_balance(session, b.id)
        if balance <= 0:
            continue
        company = companies[b.payroll_company_id]
        out.append(Owed("remit_bill", b.number, company.name, recipient_or_none(company.billing_email),
                        f"payroll_companies.billing_email of {company.id}", balance, b.due_date,
                        b.due_date, REMIT_CADENCE, REMIT_HOW.format(number=b.number)))
    return out


def owed_invoices(session: Session) -> list[Owed]:
    """Remit invoices on no bill, failed debits and debits that cannot be made, with what they owe."""
    cannot_debit = (m.Employer.authorization_status != "active") | m.Employer.bank_routing.is_(None)
    rows = session.execute(
        select(m.Invoice, m.Employer)
        .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
        .where(m.Invoice.total_cents > 0,
               ((m.Invoice.payment_method == "remit") & m.Invoice.remit_bill_id.is_(None)
                & m.Invoice.status.in_(OWING))
               | ((m.Invoice.payment_method == "ach_debit") & (m.Invoice.status == "failed"))
               | ((m.Invoice.payment_method == "ach_debit") & (m.Invoice.status == "issued") & cannot_debit))
        .order_by(m.Invoice.id)).all()
    if not rows:
        return []
    still = open_cents(session, [inv.id for inv, _ in rows])
    failures = _failures(session, [inv.id for inv, _ in rows if inv.status == "failed"])
    out = []
    for inv, emp in rows:
        if still.get(inv.id, 0) <= 0:
            continue
        contact = (emp.name, recipient_or_none(emp.email), f"employers.email of {emp.fein}")
        if inv.payment_method == "remit":
            out.append(Owed("invoice", inv.number, *contact, still[inv.id], inv.due_date, inv.due_date,
                            REMIT_CADENCE, REMIT_HOW.format(number=inv.number)))
            continue
        count, failed_on = failures.get(inv.id, (1, None))
        anchor = max(inv.due_date, failed_on) if failed_on else inv.due_date
        out.append(Owed("invoice", inv.number, *contact, still[inv.id], inv.due_date, anchor, DEBIT_CADENCE,
                        DEBIT_HOW.format(number=inv.number), round=count if inv.status == "failed" else 1,
                        failed_on=failed_on))
    return out


def _failures(session: Session, invoice_ids: Sequence[int]) -> dict[int, tuple[int, date]]:
    """Per failed invoice: how many times it failed and the business date of the last failure."""
    out: dict[int, tuple[int, date]] = {}
    for i in range(0, len(invoice_ids), CHUNK):
        q = (select(m.InvoiceStatusChange.invoice_id, func.count(), func.max(m.InvoiceStatusChange.business_date))
             .where(m.InvoiceStatusChange.invoice_id.in_(invoice_ids[i : i + CHUNK]),
                    m.InvoiceStatusChange.to_status == "failed")
             .group_by(m.InvoiceStatusChange.invoice_id))
        out.update({inv_id: (int(n), last) for inv_id, n, last in session.execute(q)})
    return out


def sent_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(m.Notification.idempotency_key)
                                     .where(m.Notification.idempotency_key.in_(keys[i : i + CHUNK]))))
    return found


# --- the pass


@dataclass
class DunningResult:
    """What one pass did on its business date (money in cents; shown in dollars by the callers)."""

    today: date
    queued: list[tuple[str, str, int, str]] = field(default_factory=list)  # (key, stage, open cents, recipient)
    no_contact: list[str] = field(default_factory=list)  # keys queued without an address: ops were told
    overdue: list[Owed] = field(default_factory=list)  # everything overdue on `today`, reminded or not

    @property
    def by_stage(self) -> dict[str, int]:
        return dict(sorted(Counter(stage for _, stage, _, _ in self.queued).items()))

    @property
    def overdue_cents(self) -> int:
        return sum(o.open_cents for o in self.overdue)

    def overdue_cents_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.overdue:
            out[o.kind] = out.get(o.kind, 0) + o.open_cents
        return dict(sorted(out.items()))


def run_dunning(session: Session, *, today: date) -> DunningResult:
    """Queue every reminder due on `today` in the caller's transaction (the caller commits)."""
    items = owed_remit_bills(session) + owed_invoices(session)
    candidates = [reminder_key(o.number, s.name, o.round) for o in items for s in o.cadence]
    plan = decide(items, sent_keys(session, candidates), today)
    messages = [compose_reminder(reminder(d, today)) for d in plan]
    enqueue(session, messages)
    result = DunningResult(today, overdue=[o for o in items if o.overdue(today)])
    for d, msg in zip(plan, messages, strict=True):
        result.queued.append((d.key, d.stage.name, d.owed.open_cents, msg.recipient))
        if not is_address(msg.recipient):
            result.no_contact.append(d.key)
    return result
