"""Queue messages in the outbox inside the business transaction; one row per idempotency key.

Rule (transactional outbox): the notification is written in the same database transaction as the
change it reports, so a rollback drops both; delivery happens later (`delivery.py`). A key
already queued is skipped, so re-running a step never queues a message twice.
A message without a real address (paygo.notifications.contacts) is written failed, never to be
delivered, with an exception item for ops naming the contact to add; both are written only with
the new row, so the UNIQUE key makes that once as well.
Example: enqueue(s, [m, m]) with one key -> 1 row; enqueue(s, [m]) again -> 0 rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import ExceptionItem, Notification
from paygo.notifications.contacts import NO_CONTACT, is_address
from paygo.notifications.messages import Message

CHUNK = 5000
NO_CONTACT_KIND = "notification_no_contact"


def no_contact_exception(key: str, kind: str, recipient: str, contact_field: str = "") -> ExceptionItem:
    """The ops item for a notification that has nobody to go to (one per notification key)."""
    where = f"; add {contact_field}" if contact_field else ""
    shown = f" (recipient {recipient!r} is not an address)" if recipient else ""
    return ExceptionItem(kind=NO_CONTACT_KIND, subject=f"notification:{key}"[:200],
                         detail=f"{kind} {key} was not sent: {NO_CONTACT}{shown}{where}. It stays in the "
                                f"outbox as failed (`paygo notifications --failed`); contact the party another way.")


def enqueue(session: Session, messages: Sequence[Message]) -> int:
    """Insert the messages whose key is new; returns how many rows were written."""
    unique = {m.idempotency_key: m for m in messages}
    keys = list(unique)
    existing: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        existing.update(session.scalars(
            select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys[i : i + CHUNK]))))
    new = [m for k, m in unique.items() if k not in existing]
    if new:
        now = datetime.now(timezone.utc)
        rows = []
        for m in new:
            row = {**m.as_row(), "created_at": now, "attempts": 0, "last_error": None, "failed_at": None}
            if not is_address(m.recipient):
                row.update(last_error=NO_CONTACT, failed_at=now)
                session.add(no_contact_exception(m.idempotency_key, m.kind, m.recipient, m.contact_field))
            rows.append(row)
        session.connection().execute(Notification.__table__.insert(), rows)
        session.flush()
    return len(new)
