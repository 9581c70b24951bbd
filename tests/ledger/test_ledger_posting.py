"""Pure postings: every builder balances, amounts are integer cents, bad transactions are refused.

Pins the sign convention (debit positive) and the exact legs of each product transaction, and
that an unbalanced, zero, float or unknown-account transaction raises before any database.
"""

from datetime import date

import pytest

from paygo.ledger import posting as p

D = date(2025, 3, 14)


def legs(txn):
    return sorted((e.account, e.amount_cents) for e in txn.entries)


@pytest.mark.parametrize(
    "txn, expected",
    [
        # premium 2715 + cycle fee 150: receivable 2865 = 2715 + 150
        (p.invoice_issued("INV-1", "123456789", "acme", 2715, 150, D),
         [("employer_receivable:123456789", 2865), ("fees_unsettled", -150), ("premium_unsettled:acme", -2715)]),
        # no employer fee: the zero leg is dropped
        (p.invoice_issued("INV-2", "123456789", "acme", 2715, 0, D),
         [("employer_receivable:123456789", 2715), ("premium_unsettled:acme", -2715)]),
        (p.debit_sent("INV-1", 1, "123456789", 2865, D),
         [("ach_in_transit", 2865), ("employer_receivable:123456789", -2865)]),
        (p.debit_settled("INV-1", 1, 2865, D), [("ach_in_transit", -2865), ("cash_at_bank", 2865)]),
        # 5% of 2715 = 135.75 -> fee 136 decided by billing; wallet gets 2715 - 136 = 2579; fees 136 + 150 = 286
        (p.premium_to_carrier("INV-1", "acme", 2715, 136, 150, D),
         [("carrier_wallet:acme", -2579), ("fees_unsettled", 150), ("platform_fees", -286),
          ("premium_unsettled:acme", 2715)]),
        (p.carrier_fee("setup:WC-1", "acme", 25000, "setup fee", D),
         [("carrier_wallet:acme", 25000), ("platform_fees", -25000)]),
        # a credit of 500 lowers the receivable at once; its premium is unsettled again
        (p.invoice_credited("INV-9", "123456789", "acme", 500, 0, D),
         [("employer_receivable:123456789", -500), ("premium_unsettled:acme", 500)]),
        # refunded once the debit settled: the wallet gives back 500 less the 5% fee (25) the platform returns
        (p.refund_payable("INV-9", "123456789", "acme", 500, 25, D),
         [("carrier_wallet:acme", 475), ("employer_receivable:123456789", 500), ("platform_fees", 25),
          ("premium_unsettled:acme", -500), ("refunds_payable:123456789", -500)]),
        (p.refund_paid("INV-9", "123456789", 500, D), [("cash_at_bank", -500), ("refunds_payable:123456789", 500)]),
        # the refund credit of 500 confirmed: nothing owed to the employer, 500 on its way out
        (p.refund_sent("INV-9", 1, "123456789", 500, D),
         [("refunds_in_transit", -500), ("refunds_payable:123456789", 500)]),
        # and settled: the 500 left our bank
        (p.refund_settled("INV-9", 1, 500, D), [("cash_at_bank", -500), ("refunds_in_transit", 500)]),
        (p.carrier_payout("acme:2025-03-31", "acme", 2579, D), [("carrier_wallet:acme", 2579), ("payouts_in_transit", -2579)]),
        (p.debit_returned("INV-1", 1, "123456789", 2865, "R01", D),
         [("ach_in_transit", -2865), ("employer_receivable:123456789", 2865)]),
    ],
)
def test_builders_produce_balanced_legs(txn, expected):
    assert legs(txn) == expected
    assert sum(c for _, c in expected) == 0


def test_clawback_undoes_settlement_and_wallet_credit():
    settled = p.debit_settled("INV-1", 1, 2865, D)
    credited = p.premium_to_carrier("INV-1", "acme", 2715, 136, 150, D)
    claw = p.clawback("INV-1", 1, [settled, credited], "R10", D)
    # negation of both: cash -2865, in transit +2865, wallet +2579, fees +286, unsettled -2715, fees_unsettled -150
    assert legs(claw) == [
        ("ach_in_transit", 2865), ("carrier_wallet:acme", 2579), ("cash_at_bank", -2865),
        ("fees_unsettled", -150), ("platform_fees", 286), ("premium_unsettled:acme", -2715),
    ]


def test_reversal_negates_every_entry():
    original = p.invoice_issued("INV-1", "123456789", "acme", 2715, 150, D)
    rev = p.reversal(original, D)
    assert rev.idempotency_key == "reverse:invoice_issued:INV-1"
    assert rev.reverses == "invoice_issued:INV-1"
    assert legs(rev) == sorted((a, -c) for a, c in legs(original))


@pytest.mark.parametrize(
    "entries, message",
    [
        ([("cash_at_bank", 100), ("ach_in_transit", -99)], "sum to 1 cents"),  # 100 - 99 = 1
        ([("cash_at_bank", 100)], "at least two entries"),
        ([("cash_at_bank", 0), ("ach_in_transit", 0)], "cannot be zero"),
        ([("cash_at_bank", 1.5), ("ach_in_transit", -1.5)], "integer cents"),
        ([("petty_cash", 100), ("cash_at_bank", -100)], "unknown ledger account"),
        ([("carrier_wallet", 100), ("cash_at_bank", -100)], "needs party"),
    ],
)
def test_bad_transactions_are_refused(entries, message):
    with pytest.raises(p.PostingError, match=message):
        p.Transaction("k", "test", "test", tuple(p.Entry(a, c) for a, c in entries), D)


def test_same_content_same_hash_whatever_the_entry_order():
    a = p.Transaction("k", "t", "x", (p.Entry("cash_at_bank", 5), p.Entry("ach_in_transit", -5)), D)
    b = p.Transaction("k", "t", "other words", (p.Entry("ach_in_transit", -5), p.Entry("cash_at_bank", 5)), D)
    c = p.Transaction("k", "t", "x", (p.Entry("cash_at_bank", 6), p.Entry("ach_in_transit", -6)), D)
    assert a.content_sha256 == b.content_sha256 != c.content_sha256


def test_content_hash_format_is_pinned():
    # Stored transactions are compared by this hash (idempotent posting): its format must never drift.
    entries = (p.Entry("employer_receivable:123456789", 12354), p.Entry("ach_in_transit", -12354))
    assert p.content_hash("debit_returned", entries, date(2025, 3, 20), None) == (
        "cf4d396181f749e73c18c647b944a4081c70896ae2e507ef424a23c906504107"
    )
    # the order of entries does not matter; the amount does
    assert p.content_hash("debit_returned", entries[::-1], date(2025, 3, 20), None) == p.content_hash(
        "debit_returned", entries, date(2025, 3, 20), None
    )
    changed = (p.Entry("employer_receivable:123456789", 12355), p.Entry("ach_in_transit", -12355))
    assert p.content_hash("debit_returned", changed, date(2025, 3, 20), None) != p.content_hash(
        "debit_returned", entries, date(2025, 3, 20), None
    )


def test_a_fee_only_invoice_settles_its_fee_to_platform_revenue():
    """Issue 12, lifecycle invariant 9: a run corrected to zero premium still bills the employer's cycle
    fee; once its debit settles the fee is earned (before, settlement skipped premium_to_carrier and
    the fee stayed in fees_unsettled for ever)."""
    t = p.premium_to_carrier("INV-3", "acme", 0, 0, 350, D)
    assert sorted((e.account, e.amount_cents) for e in t.entries) == [("fees_unsettled", 350), ("platform_fees", -350)]
    with pytest.raises(p.PostingError):
        p.premium_to_carrier("INV-4", "acme", 0, 0, 0, D)
