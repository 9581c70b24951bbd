"""The text of each employer notification, and the outbox row that carries it.

Rule (1099Policy notifications list, seeds/000; Audit1 billing guide, seeds/004: "after 3
failures the invoice is Failed and the employer notified"; NACHA data-security rule): an
employer hears about a settled payment, a charge that failed for good, bank details that must be
replaced and an authorization that must be renewed. A message never carries a full account
number: only `****` and the last four digits. The idempotency key names the business fact, so
the same fact queued twice is one row (the outbox's UNIQUE key).
A failure notice (FAILURE_KINDS) warns that coverage may be interrupted, and `carrier_copy` sends
the carrier's billing contact the same facts under the key `<employer key>:carrier`.
Worked example: charge_failure for INV-000007, 2,865 cents, R01 on presentment 3, account ending
0123 -> subject "Payment failed for invoice INV-000007", body mentions "$28.65", "R01
Insufficient Funds" and "****0123"; key "charge_failure:INV-000007".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paygo.billing.money import format_cents
from paygo.db.crypto import mask
from paygo.nacha import codes

KINDS = ("payment_confirmation", "charge_failure", "new_bank_details_needed", "reauthorization_needed")
# The kinds that tell of a return that failed the invoice (paygo.ach.actions): each warns of coverage
# interruption (1099Policy "Assignment Charge Failure") and goes to the carrier as well (issue 12).
FAILURE_KINDS = ("charge_failure", "new_bank_details_needed", "reauthorization_needed")
COVERAGE_WARNING = ("Until this invoice is paid, the workers' compensation coverage it pays for may be "
                    "interrupted.")


@dataclass(frozen=True)
class Message:
    """One outbox row before it is written."""

    idempotency_key: str
    kind: str
    recipient: str  # "" when the party has no contact on file: never delivered, ops are told
    subject: str
    body: str
    contact_field: str = ""  # where the recipient comes from, named for ops when it is missing

    def as_row(self) -> dict[str, str]:
        return {"idempotency_key": self.idempotency_key, "kind": self.kind, "recipient": self.recipient,
                "subject": self.subject, "body": self.body}


@dataclass(frozen=True)
class Facts:
    """What a message may say about one debit: never the full account number."""

    employer_name: str
    recipient: str
    invoice_number: str
    amount_cents: int
    account_last4: str
    presentment: int = 1
    return_code: str | None = None


def _reason(code: str | None) -> str:
    if code is None:
        return ""
    meaning = codes.RETURN_CODES.get(code, ("bank-specific return code",))[0]
    return f"{code} {meaning}"


def compose(kind: str, facts: Facts, key: str) -> Message:
    """The message of `kind` for these facts (kinds are KINDS)."""
    f = facts
    amount = f"${format_cents(f.amount_cents)}"
    account = mask(f.account_last4)
    if kind == "payment_confirmation":
        subject = f"Payment received for invoice {f.invoice_number}"
        text = f"Your payment of {amount} for invoice {f.invoice_number} from account {account} has settled. Thank you."
    elif kind == "charge_failure":
        subject = f"Payment failed for invoice {f.invoice_number}"
        text = (f"We could not collect {amount} for invoice {f.invoice_number} from account {account} "
                f"(attempt {f.presentment}; the bank answered {_reason(f.return_code)}). "
                "The invoice is now failed; please contact us to arrange payment.")
    elif kind == "new_bank_details_needed":
        subject = f"New bank details needed for invoice {f.invoice_number}"
        text = (f"Your bank returned the debit of {amount} for invoice {f.invoice_number} from account "
                f"{account} ({_reason(f.return_code)}). Please send us new bank details; "
                "no further debits will be made until you do.")
    elif kind == "reauthorization_needed":
        subject = f"Debit authorization needed for invoice {f.invoice_number}"
        text = (f"Your bank returned the debit of {amount} for invoice {f.invoice_number} from account "
                f"{account} ({_reason(f.return_code)}). We need a new debit authorization from you "
                "before we debit your account again.")
    else:
        raise ValueError(f"unknown notification kind {kind!r}")
    if kind in FAILURE_KINDS:
        text = f"{text} {COVERAGE_WARNING}"
    body = f"Dear {f.employer_name},\n\n{text}\n\nPAYGO premium billing\n"
    return Message(key, kind, f.recipient, subject, body, f"employers.email of {f.employer_name}")


def carrier_copy(notice: Message, carrier_name: str, carrier_address: str, contact_field: str) -> Message:
    """The carrier's copy of a failure notice: the same facts (never more than the last four
    digits), addressed to the carrier's billing contact ("" when it has none: ops are told)."""
    body = (f"Dear {carrier_name},\n\nFor your information, a premium payment on a policy you carry failed. "
            f"The notice we sent the employer follows.\n\n----\n{notice.body}")
    return Message(f"{notice.idempotency_key}:carrier", notice.kind, carrier_address,
                   f"[carrier copy] {notice.subject}", body, contact_field)


@dataclass(frozen=True)
class Reminder:
    """What a payment reminder may say (paygo.dunning decides when; this is only the text)."""

    idempotency_key: str
    stage: str  # paygo.dunning stage name, e.g. "due_in_7", "overdue_15", "final_30"
    days_from_due: int  # negative before the due date
    document: str  # "remit bill REMIT-000001" or "invoice INV-000007"
    payer_name: str
    recipient: str
    contact_field: str
    open_cents: int
    due_date: date
    how_to_pay: str  # the payment method in words
    final: bool = False
    failed_on: date | None = None  # the charge that failed, when it is a failed debit


def compose_reminder(r: Reminder) -> Message:
    """The 1099Policy "Payment Reminder": amount owed, payment date and payment method; overdue
    ones say by how many days, and the final one warns of coverage interruption."""
    amount = f"${format_cents(r.open_cents)}"
    if r.days_from_due <= 0:
        when = "today" if r.days_from_due == 0 else f"on {r.due_date.isoformat()}"
        subject = f"Payment reminder: {amount} for {r.document} due {r.due_date.isoformat()}"
        text = f"This is a reminder that {amount} for {r.document} is due {when}."
    else:
        late = f"{r.days_from_due} day{'s' if r.days_from_due != 1 else ''} past due"
        subject = (f"{'Final notice' if r.final else 'Overdue'}: {amount} for {r.document} was due "
                   f"{r.due_date.isoformat()}")
        text = f"{amount} for {r.document}, due on {r.due_date.isoformat()}, is unpaid and {late}."
        if r.failed_on is not None:
            text += f" Our debit of it failed on {r.failed_on.isoformat()}."
    text += f"\n\nHow to pay: {r.how_to_pay}"
    if r.final:
        text += f"\n\nThis is our final reminder. {COVERAGE_WARNING}"
    elif r.days_from_due > 0:
        text += "\n\nIf you have paid in the last few days, thank you, and please disregard this reminder."
    body = f"Dear {r.payer_name},\n\n{text}\n\nPAYGO premium billing\n"
    return Message(r.idempotency_key, "payment_reminder", r.recipient, subject, body, r.contact_field)
