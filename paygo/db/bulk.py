"""Bulk INSERT, UPDATE ... WHERE id IN and SELECT ... IN for 100,000s of rows (SQLite and PostgreSQL).

Rule: SQLAlchemy's per-row parameter building (and, for IN lists, its per-value rendering of
expanding parameters: ~8 ms per 5,000-value list) dominates at that size, so statements go
straight to the DBAPI cursor of the session's connection (same transaction), with each column's
bind processor still applied (dates and timestamps are stored exactly as the ORM stores them) and
result processors applied where asked (the dialect's own: SQLite's DATETIME writes
'2025-03-20 14:03:07.123456', where the driver's default adapter would add '+00:00'). IN lists
are cut in chunks of CHUNK values, under SQLite's and PostgreSQL's bound-parameter limits; ids to
update are sorted first, so that each table page is visited in one pass. Example:

    raw_insert(session, LedgerEntry.__table__, ("transaction_id", "account_id", "amount_cents"),
               [(1, 3, 2865), (1, 4, -2865)])   # two rows, one statement, same transaction
    update_in(session, AchEntry.__table__, [7, 3], {"status": "returned"})
    select_in(session, "SELECT id, number FROM invoices WHERE id IN ({keys})", [3, 7])
    select_rows(session, "SELECT id, idempotency_key FROM ledger_transactions WHERE id > ?", [41])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

CHUNK = 5000  # values per IN (...) list


def _mark(session: Session) -> str:
    return "?" if session.connection().dialect.paramstyle == "qmark" else "%s"


def bind_values(session: Session, table, columns: Sequence[str], rows: Iterable[tuple]) -> list:
    """Rows with each column's bind processor applied (memoised per distinct value), as the ORM would."""
    dialect = session.connection().dialect
    active = [(k, p, {}) for k, c in enumerate(columns)
              if (p := table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    if not active:
        return list(rows)
    out = []
    for row in rows:
        row = list(row)
        for k, p, memo in active:
            value = row[k]
            if value is not None:
                if value not in memo:
                    memo[value] = p(value)
                row[k] = memo[value]
        out.append(row)
    return out


def raw_insert(session: Session, table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Bulk INSERT through the DBAPI cursor of the session's connection (same transaction)."""
    if not rows:
        return
    mark = _mark(session)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, bind_values(session, table, columns, rows))
    finally:
        cursor.close()


def update_in(session: Session, table, ids: Iterable[int], values: dict) -> None:
    """UPDATE table SET values WHERE id IN ids: the same values for every row, ids sorted, in chunks."""
    ids = sorted(set(ids))
    if not ids:
        return
    mark = _mark(session)
    columns = list(values)
    (bound,) = bind_values(session, table, columns, [tuple(values[c] for c in columns)])
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    cursor = session.connection().connection.cursor()
    try:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            cursor.execute(f"UPDATE {table.name} SET {sets} WHERE id IN ({', '.join([mark] * len(chunk))})",
                           (*bound, *chunk))
    finally:
        cursor.close()


def select_rows(session: Session, sql: str, params: Sequence = ()) -> list[tuple]:
    """Every row of one statement through the DBAPI cursor (write `?` for parameters, as in select_in)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql.replace("?", _mark(session)), tuple(params))
        return cursor.fetchall()
    finally:
        cursor.close()


def select_in(session: Session, sql: str, keys: Sequence, params: Sequence = (),
              processors: Sequence = ()) -> list[tuple]:
    """Rows of `sql` for every key, CHUNK keys per statement: `{keys}` in `sql` becomes the
    placeholders of one chunk, after the positional `params` (write `?`: it becomes the driver's
    marker; no `?` or `%` elsewhere in the text). `processors[i]` (a SQLAlchemy type, or None)
    converts result column i as the ORM would (dates stored as text in SQLite)."""
    if not keys:
        return []
    mark = _mark(session)
    dialect = session.connection().dialect
    procs = [t.dialect_impl(dialect).result_processor(dialect, None) if t is not None else None for t in processors]
    active = [(k, p) for k, p in enumerate(procs) if p is not None]
    text = sql.replace("?", mark)
    out: list[tuple] = []
    cursor = session.connection().connection.cursor()
    try:
        for i in range(0, len(keys), CHUNK):
            chunk = list(keys[i : i + CHUNK])
            cursor.execute(text.format(keys=", ".join([mark] * len(chunk))), (*params, *chunk))
            rows = cursor.fetchall()
            if active:
                rows = [list(r) for r in rows]
                for r in rows:
                    for k, p in active:
                        r[k] = p(r[k])
            out.extend(tuple(r) for r in rows)
    finally:
        cursor.close()
    return out
