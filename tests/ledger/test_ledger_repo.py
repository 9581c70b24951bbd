"""The ledger in a real database (SQLite and PostgreSQL).

Pins: posting twice with one key is a no-op and with other content raises (`post` and the bulk
`post_many` alike); balances equal the
sum of entries; a reversal restores every balance; entries cannot be updated or deleted; the
stored ledger has no unbalanced transaction.
"""

from datetime import date

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from paygo.db.models import LedgerEntry, LedgerTransaction
from paygo.ledger import posting as p
from paygo.ledger import repo

D = date(2025, 3, 14)
EMP = "employer_receivable:123456789"


def full_cycle():
    """Issue, send, settle, credit the carrier: 2715 premium + 150 cycle fee, 5% fee 136."""
    return [
        p.invoice_issued("INV-1", "123456789", "acme", 2715, 150, D),
        p.debit_sent("INV-1", 1, "123456789", 2865, D),
        p.debit_settled("INV-1", 1, 2865, D),
        p.premium_to_carrier("INV-1", "acme", 2715, 136, 150, D),
    ]


def test_balances_follow_the_money(db_session):
    for txn in full_cycle():
        repo.post(db_session, txn)
    db_session.commit()
    assert repo.balances(db_session) == {
        EMP: 0,  # +2865 invoiced, -2865 sent
        "ach_in_transit": 0,  # +2865 sent, -2865 settled
        "cash_at_bank": 2865,
        "premium_unsettled:acme": 0,  # -2715 invoiced, +2715 settled
        "fees_unsettled": 0,  # -150, +150
        "carrier_wallet:acme": -2579,  # 2715 - 136, owed to the carrier (a liability: negative)
        "platform_fees": -286,  # 136 + 150 of revenue
    }
    # money to the carrier (2579) = money settled (2865) - fees (286)
    assert -repo.balance(db_session, "carrier_wallet:acme") == 2865 - 286
    # a balance is the sum of the account's entries: all entries sum to zero overall
    assert db_session.scalar(select(func.sum(LedgerEntry.amount_cents))) == 0
    assert repo.unbalanced_transactions(db_session) == []


def test_posting_twice_is_a_noop_and_other_content_conflicts(db_session):
    txn = p.invoice_issued("INV-1", "123456789", "acme", 2715, 0, D)
    first = repo.post(db_session, txn)
    again = repo.post(db_session, p.invoice_issued("INV-1", "123456789", "acme", 2715, 0, D))
    db_session.commit()
    assert again.id == first.id
    assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
    assert repo.balance(db_session, EMP) == 2715  # not 5430
    with pytest.raises(repo.IdempotencyConflict):
        repo.post(db_session, p.invoice_issued("INV-1", "123456789", "acme", 2716, 0, D))


def test_reversal_restores_balances_once(db_session):
    for txn in full_cycle():
        repo.post(db_session, txn)
    before = repo.balances(db_session)
    repo.post(db_session, p.invoice_issued("INV-2", "123456789", "acme", 1000, 0, D))
    assert repo.balance(db_session, EMP) == 1000
    repo.reverse(db_session, "invoice_issued:INV-2", D, "voided")
    repo.reverse(db_session, "invoice_issued:INV-2", D, "voided")  # second call: no-op
    db_session.commit()
    assert repo.balances(db_session) == before | {EMP: 0}
    assert db_session.scalar(select(func.count()).select_from(LedgerTransaction)) == 6  # 4 + issue + reversal


def test_late_return_claws_back_the_carrier_credit(db_session):
    txns = full_cycle()
    for txn in txns:
        repo.post(db_session, txn)
    repo.post(db_session, p.clawback("INV-1", 1, txns[2:], "R10", D))
    repo.post(db_session, p.debit_returned("INV-1", 1, "123456789", 2865, "R10", D))
    db_session.commit()
    assert repo.balance(db_session, "carrier_wallet:acme") == 0
    assert repo.balance(db_session, "cash_at_bank") == 0
    assert repo.balance(db_session, EMP) == 2865  # owed again
    assert repo.balance(db_session, "premium_unsettled:acme") == -2715


@pytest.mark.parametrize("statement", [
    update(LedgerEntry).values(amount_cents=1),
    text("DELETE FROM ledger_entries"),
    update(LedgerTransaction).values(description="edited"),
])
def test_entries_are_append_only(db_session, statement):
    repo.post(db_session, p.debit_settled("INV-1", 1, 100, D))
    db_session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(statement)
        db_session.flush()
    db_session.rollback()
    assert repo.balance(db_session, "cash_at_bank") == 100


def test_reversing_an_unknown_transaction_raises(db_session):
    with pytest.raises(KeyError):
        repo.reverse(db_session, "invoice_issued:NOPE", D)


def test_post_many_writes_once_and_agrees_with_post(db_session):
    s = db_session
    cycle = full_cycle()
    repo.post(s, cycle[0])  # one already posted singly: post_many skips it
    assert repo.post_many(s, cycle) == 3
    assert repo.post_many(s, cycle) == 0  # a second time writes nothing
    s.commit()
    # issue 2865, send -2865: receivable 0; settle: cash 2865; wallet 2715 - 136 = 2579
    assert (repo.balance(s, EMP), repo.balance(s, "cash_at_bank"), repo.balance(s, "carrier_wallet:acme")) \
        == (0, 2865, -2579)
    assert s.scalar(select(func.count()).select_from(LedgerTransaction)) == 4
    assert repo.unbalanced_transactions(s) == []
    with pytest.raises(repo.IdempotencyConflict):  # same key, other amount
        repo.post_many(s, [p.debit_settled("INV-1", 1, 2866, D)])
    with pytest.raises(ValueError, match="reversals"):
        repo.post_many(s, [p.reversal(cycle[0], D)])
