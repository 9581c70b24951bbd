"""Writing and reading the ledger: functions taking a Session (portable SQL, SQLite and PostgreSQL).

Rules: a transaction is posted once per idempotency key. Posting the same key again with the same
content (kind, date, reversed key, entries) returns the stored one and writes nothing; with other
content it raises `IdempotencyConflict`, because a key reused for a different movement is a bug
that must not move money. Entries are never updated (the database refuses it); `reverse` posts the
negation. A balance is the sum of an account's entries, debit positive. Example:

    post(s, invoice_issued("INV-7", "123456789", "acme", 2715, 150, on=d))
    balance(s, "employer_receivable:123456789") == 2865
    post(s, same transaction)                      # no-op
    reverse(s, "invoice_issued:INV-7", on=d)       # balance back to 0
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paygo.db.bulk import raw_insert, select_in, select_rows
from paygo.db.models import LedgerAccount, LedgerEntry, LedgerTransaction
from paygo.ledger.posting import Entry, PostingError, Transaction, account_kind, reversal


class IdempotencyConflict(PostingError):
    """The idempotency key was already posted with different content."""


def _account_id(session: Session, code: str) -> int:
    found = session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
    if found is not None:
        return found
    kind = account_kind(code)
    try:
        with session.begin_nested():
            acct = LedgerAccount(code=code, kind=kind)
            session.add(acct)
            session.flush()
            return acct.id
    except IntegrityError:  # another session created it first
        return session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))


def _existing(session: Session, txn: Transaction) -> LedgerTransaction | None:
    row = session.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == txn.idempotency_key))
    if row is not None and row.content_sha256 != txn.content_sha256:
        raise IdempotencyConflict(f"{txn.idempotency_key}: already posted with different content")
    return row


def is_posted(session: Session, key: str) -> bool:
    return session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key)) is not None


def post(session: Session, txn: Transaction) -> LedgerTransaction:
    """Post `txn` in the session's transaction (the caller commits); idempotent on its key."""
    if (row := _existing(session, txn)) is not None:
        return row
    reverses_id = None
    if txn.reverses is not None:
        reverses_id = session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == txn.reverses)
        )
        if reverses_id is None:
            raise PostingError(f"{txn.idempotency_key}: reverses unknown transaction {txn.reverses}")
    accounts = {e.account: _account_id(session, e.account) for e in txn.entries}
    try:
        with session.begin_nested():
            row = LedgerTransaction(
                idempotency_key=txn.idempotency_key, kind=txn.kind, description=txn.description,
                effective_date=txn.effective_date, content_sha256=txn.content_sha256, reverses_id=reverses_id,
            )
            session.add(row)
            session.flush()
            session.add_all(
                LedgerEntry(transaction_id=row.id, account_id=accounts[e.account], amount_cents=e.amount_cents)
                for e in txn.entries
            )
            session.flush()
            return row
    except IntegrityError:
        # A concurrent post of the same key won the race: same content is fine, else conflict.
        if (row := _existing(session, txn)) is not None:
            return row
        raise


def post_many(session: Session, txns: Sequence[Transaction]) -> int:
    """Post many transactions with a few bulk statements; idempotent per key like `repo.post`.

    A key already stored with the same content is skipped; with other content it raises
    IdempotencyConflict. Reversals (`reverses`) are not handled here: use `repo.post`.
    Rows are written in the order given. The new transactions' ids are read back as those above
    the largest id seen before the insert (a range scan of the primary key, not a lookup per key;
    other sessions' rows in that range are told apart by key). Returns how many were written.
    """
    wanted: dict[str, Transaction] = {}
    for t in txns:
        if t.reverses is not None:
            raise ValueError("post_many does not post reversals")
        if t.idempotency_key in wanted and wanted[t.idempotency_key].content_sha256 != t.content_sha256:
            raise IdempotencyConflict(f"{t.idempotency_key}: two contents in one batch")
        wanted[t.idempotency_key] = t
    for key, sha in select_in(session, "SELECT idempotency_key, content_sha256 FROM ledger_transactions"
                                       " WHERE idempotency_key IN ({keys})", list(wanted)):
        if sha != wanted[key].content_sha256:
            raise IdempotencyConflict(f"{key}: already posted with different content")
        del wanted[key]
    if not wanted:
        return 0
    codes = sorted({e.account for t in wanted.values() for e in t.entries})
    ids = dict(select_in(session, "SELECT code, id FROM ledger_accounts WHERE code IN ({keys})", codes))
    missing = [c for c in codes if c not in ids]
    if missing:
        try:
            with session.begin_nested():
                conn = session.connection()
                conn.execute(LedgerAccount.__table__.insert(),
                             [{"code": c, "kind": account_kind(c)} for c in missing])
            ids.update(select_in(session, "SELECT code, id FROM ledger_accounts WHERE code IN ({keys})", missing))
        except IntegrityError:  # another session created some: one at a time
            for c in missing:
                ids[c] = _account_id(session, c)
    before = session.scalar(select(func.coalesce(func.max(LedgerTransaction.id), 0)))
    now = datetime.now(timezone.utc)
    raw_insert(session, LedgerTransaction.__table__,
               ("idempotency_key", "kind", "description", "effective_date", "content_sha256", "created_at"),
               [(t.idempotency_key, t.kind, t.description, t.effective_date, t.content_sha256, now)
                for t in wanted.values()])
    txn_id = {k: tid for tid, k in select_rows(
        session, "SELECT id, idempotency_key FROM ledger_transactions WHERE id > ?", (before,)) if k in wanted}
    raw_insert(session, LedgerEntry.__table__, ("transaction_id", "account_id", "amount_cents"),
               [(txn_id[t.idempotency_key], ids[e.account], e.amount_cents) for t in wanted.values() for e in t.entries])
    return len(wanted)


def load(session: Session, idempotency_key: str) -> Transaction:
    """The stored transaction as a pure value."""
    row = session.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key))
    if row is None:
        raise KeyError(idempotency_key)
    entries = session.execute(
        select(LedgerAccount.code, LedgerEntry.amount_cents)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id == row.id)
        .order_by(LedgerEntry.id)
    ).all()
    reverses = None
    if row.reverses_id is not None:
        reverses = session.scalar(select(LedgerTransaction.idempotency_key).where(LedgerTransaction.id == row.reverses_id))
    return Transaction(row.idempotency_key, row.kind, row.description,
                       tuple(Entry(code, cents) for code, cents in entries), row.effective_date, reverses)


def reverse(session: Session, idempotency_key: str, on: date, reason: str = "reversal") -> LedgerTransaction:
    """Post the reversal of a stored transaction (once: a second call is a no-op)."""
    return post(session, reversal(load(session, idempotency_key), on, reason))


def balance(session: Session, account_code: str) -> int:
    """Sum of the account's entries in cents (debit positive); 0 for an account never used."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.code == account_code)
    )
    return int(total)


def balances(session: Session, prefix: str | None = None) -> dict[str, int]:
    """Every account's balance, optionally those whose code starts with `prefix`."""
    q = (
        select(LedgerAccount.code, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .group_by(LedgerAccount.code)
    )
    if prefix is not None:
        q = q.where(LedgerAccount.code.startswith(prefix))
    return {code: int(total) for code, total in session.execute(q)}


def unbalanced_transactions(session: Session) -> list[str]:
    """Keys of stored transactions whose entries do not sum to zero (the asset check: expect [])."""
    q = (
        select(LedgerTransaction.idempotency_key)
        .outerjoin(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id, LedgerTransaction.idempotency_key)
        .having((func.coalesce(func.sum(LedgerEntry.amount_cents), 0) != 0) | (func.count(LedgerEntry.id) < 2))
    )
    return list(session.scalars(q))
