"""Whom a notification may go to: only an address someone gave us, never a made-up one.

Rule (issue 12 "no notification goes to a made-up address"): a recipient is the employer's `email`,
the payroll company's `billing_email` or the carrier's `billing_email` from the reference data
(docs/reference-data.md), as loaded. When that field is empty the message is still written to the
outbox (so the fact it reports is on record, once, under its UNIQUE key) but with no recipient; it
is never delivered, it is marked failed and an exception item tells ops which contact to add
(paygo.notifications.outbox, paygo.notifications.delivery). Nothing here invents an address:
no `employer:<fein>` placeholder, no default mailbox.
Example: is_address("ap@bay.example") -> True; is_address("employer:123456789") -> False;
is_address("") -> False.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import Carrier, Invoice, Policy
from paygo.reference import EMAIL  # the one address pattern: what load-reference accepts, delivery sends to


NO_CONTACT = "no contact address on file"


def is_address(recipient: str | None) -> bool:
    """Whether `recipient` is one plausible e-mail address (what delivery may send to)."""
    return bool(recipient) and EMAIL.fullmatch(recipient) is not None


def recipient_or_none(address: str | None) -> str:
    """The address as stored, stripped, or "" (no contact): the only fallback there is."""
    return (address or "").strip()


@dataclass(frozen=True)
class Contact:
    """A party's billing contact: `address` is "" when the reference data has none; `field` names
    where ops add it (e.g. "carriers.billing_email of granite-mutual")."""

    name: str
    address: str
    field: str


def carrier_contact_for_invoice(session: Session, invoice_id: int) -> Contact | None:
    """The billing contact of the carrier of an invoice's policy (None for an invoice without policy)."""
    row = session.execute(
        select(Carrier.id, Carrier.name, Carrier.billing_email)
        .join(Policy, Policy.carrier_id == Carrier.id)
        .join(Invoice, Invoice.policy_id == Policy.id)
        .where(Invoice.id == invoice_id)).first()
    if row is None:
        return None
    return Contact(row.name, recipient_or_none(row.billing_email), f"carriers.billing_email of {row.id}")
