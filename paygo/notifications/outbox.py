"""Queue messages in the outbox inside the business transaction; one row per idempotency key.

Rule (transactional outbox): the notification is written in the same database transaction as the
change it reports, so a rollback drops both; delivery happens later (`delivery.py`). A key
already queued is skipped, so re-running a step never queues a message twice.
Example: enqueue(s, [m, m]) with one key -> 1 row; enqueue(s, [m]) again -> 0 rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import Notification
from paygo.notifications.messages import Message

CHUNK = 5000


def enqueue(session: Session, messages: Sequence[Message]) -> int:
    """Insert the messages whose key is new; returns how many rows were written."""
    unique = {m.idempotency_key: m for m in messages}
    keys = list(unique)
    existing: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        existing.update(session.scalars(
            select(Notification.idempotency_key).where(Notification.idempotency_key.in_(keys[i : i + CHUNK]))))
    rows = [m.as_row() for k, m in unique.items() if k not in existing]
    if rows:
        now = datetime.now(timezone.utc)
        session.connection().execute(Notification.__table__.insert(), [{**r, "created_at": now} for r in rows])
    return len(rows)
