"""Named locks that serialise money-moving work across processes, on both databases.

A lock is a row of `counters` bumped inside the caller's transaction: PostgreSQL holds the row
lock until commit, SQLite its single write lock, so a second process waits at the same UPDATE and
then sees everything the first committed. Example: `hold(session, ORIGINATE)` at the start of the
pre-debit notices and again of origination, so four `paygo ach originate` at once send each notice
once and build one file (issue 17), without deadlocks between invoices locked in other orders.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paygo.db.models import Counter

ORIGINATE = "ach_originate_lock"


def hold(session: Session, name: str) -> None:
    """Take the named lock in the session's transaction (released by its commit or rollback)."""
    while True:
        bumped = session.execute(update(Counter).where(Counter.name == name).values(last_value=Counter.last_value + 1))
        if bumped.rowcount:
            return
        try:
            with session.begin_nested():
                session.add(Counter(name=name, last_value=0))
        except IntegrityError:
            pass  # created concurrently: the next UPDATE waits for its lock
