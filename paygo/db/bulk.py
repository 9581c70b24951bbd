"""Bulk INSERT for 100,000s of rows in the session's transaction (portable: SQLite and PostgreSQL).

Rule: SQLAlchemy's per-row parameter building dominates at that size, so rows go straight to the
DBAPI cursor's `executemany`, with each column's bind processor still applied (dates and timestamps
are stored exactly as the ORM stores them). Example:

    raw_insert(session, LedgerEntry.__table__, ("transaction_id", "account_id", "amount_cents"),
               [(1, 3, 2865), (1, 4, -2865)])   # two rows, one statement, same transaction
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session


def raw_insert(session: Session, table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Bulk INSERT through the DBAPI cursor of the session's connection (same transaction).

    Skips SQLAlchemy's per-row parameter building, which dominates at 100,000s of rows; each column's
    bind processor is still applied (so dates and timestamps are stored as the ORM stores them),
    memoised per distinct value."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    procs = [table.c[c].type.bind_processor(dialect) for c in columns]
    memo: list[dict] = [{} for _ in columns]

    def bind(k: int, value):
        p = procs[k]
        if p is None or value is None:
            return value
        cache = memo[k]
        if value not in cache:
            cache[value] = p(value)
        return cache[value]

    active = [k for k, p in enumerate(procs) if p is not None]
    if active:
        rows = [tuple(bind(k, v) if k in active else v for k, v in enumerate(row)) for row in rows]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, list(rows))
    finally:
        cursor.close()
