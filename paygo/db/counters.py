"""Numbers allocated from a counter row inside the caller's transaction (invoice numbers).

Rule (domain.md invariant 6): invoice numbers are unique and never reused. The counter row is
incremented in the same transaction that inserts the invoice: if that transaction rolls back, the
number was never used; two concurrent transactions serialise on the row lock (PostgreSQL) or the
write lock (SQLite), and UNIQUE(invoices.number) is the last guard. Example:

    next_value(session, "invoice") -> 1, then 2, ...;  invoice_number(7) == "INV-000007"
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paygo.db.models import Counter


def next_value(session: Session, name: str) -> int:
    """Increment counter `name` (created at 0 if missing) and return its new value."""
    bumped = session.execute(update(Counter).where(Counter.name == name).values(last_value=Counter.last_value + 1))
    if bumped.rowcount == 0:
        with session.begin_nested():
            session.add(Counter(name=name, last_value=1))
        return 1
    return int(session.scalar(select(Counter.last_value).where(Counter.name == name)))


def invoice_number(value: int) -> str:
    return f"INV-{value:06d}"
