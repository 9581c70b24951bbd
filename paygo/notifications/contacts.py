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

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from paygo.db.bulk import select_in
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


def carrier_contacts_for_invoices(session: Session, invoice_ids: Iterable[int]) -> dict[int, Contact]:
    """The billing contact of the carrier of each invoice's policy, by invoice id (an invoice without
    policy is absent), loaded with one keyed query per 5,000 invoices, not one query per invoice."""
    ids = sorted(set(invoice_ids))
    rows = select_in(session, "SELECT i.id, c.id, c.name, c.billing_email FROM invoices i"
                              " JOIN policies p ON p.id = i.policy_id JOIN carriers c ON c.id = p.carrier_id"
                              " WHERE i.id IN ({keys})", ids)
    return {invoice_id: Contact(name, recipient_or_none(email), f"carriers.billing_email of {carrier_id}")
            for invoice_id, carrier_id, name, email in rows}
