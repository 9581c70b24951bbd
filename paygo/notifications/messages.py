"""The text of each employer notification, and the outbox row that carries it.

Rule (1099Policy notifications list, seeds/000; Audit1 billing guide, seeds/004: "after 3
failures the invoice is Failed and the employer notified"; NACHA data-security rule): an
employer hears about a settled payment, a charge that failed for good, bank details that must be
replaced and an authorization that must be renewed. A message never carries a full account
number: only `****` and the last four digits. The idempotency key names the business fact, so
the same fact queued twice is one row (the outbox's UNIQUE key).
Worked example: charge_failure for INV-000007, 2,865 cents, R01 on presentment 3, account ending
0123 -> subject "Payment failed for invoice INV-000007", body mentions "$28.65", "R01
Insufficient Funds" and "****0123"; key "charge_failure:INV-000007".
"""

from __future__ import annotations

from dataclasses import dataclass

from paygo.billing.money import format_cents
from paygo.db.crypto import mask
from paygo.nacha import codes

KINDS = ("payment_confirmation", "charge_failure", "new_bank_details_needed", "reauthorization_needed")


@dataclass(frozen=True)
class Message:
    """One outbox row before it is written."""

    idempotency_key: str
    kind: str
    recipient: str
    subject: str
    body: str

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
    body = f"Dear {f.employer_name},\n\n{text}\n\nPAYGO premium billing\n"
    return Message(key, kind, f.recipient, subject, body)
