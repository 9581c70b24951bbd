"""Pins settlement: an entry settles two banking days after its effective date (weekends and Fed holidays
skipped), once; the wallet gets premium less the percentage fee; and money is conserved over a random
sequence of originate / return / settle: debited = settled + returned, wallet = settled premium - fees
- clawbacks, to the cent."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.settle import settle
from paygo.billing.fees import percentage_fee_cents
from paygo.db import models as m
from paygo.ledger import repo
from paygo.statements import build_carrier_statement
from returns_factory import CIPHER, make_world, reload, return_file, returned


@pytest.mark.parametrize("effective, today, settles", [
    (date(2025, 3, 18), date(2025, 3, 19), False),  # Tue + 1 banking day
    (date(2025, 3, 18), date(2025, 3, 20), True),  # Tue + 2 = Thu
    (date(2025, 3, 20), date(2025, 3, 22), False),  # Thu + 2 = Mon 24; Saturday is too early
    (date(2025, 3, 20), date(2025, 3, 24), True),
    (date(2025, 7, 2), date(2025, 7, 4), False),  # Wed; Jul 4 is a Fed holiday -> Mon Jul 7
    (date(2025, 7, 2), date(2025, 7, 7), True),
])
def test_settles_two_banking_days_after_effective(db_session, effective, today, settles):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)
    entry = w.send(inv, effective=effective)
    r = settle(s, today=today)
    assert r.settled == int(settles)
    assert reload(s, entry).status == ("settled" if settles else "in_flight")


def test_settlement_credits_wallet_once_and_confirms(db_session):
    s = db_session
    w = make_world(s)
    inv = w.invoice(2715, 150)  # docs/ledger.md worked example
    w.send(inv, effective=date(2025, 3, 18))
    r = settle(s, today=date(2025, 3, 20))
    [c] = r.by_carrier
    # 5% of 2715 = 135.75 -> 136 (half away from zero); wallet 2715 - 136 = 2579
    assert (r.settled, r.total_cents, c.carrier_fee_cents, c.wallet_cents) == (1, 2865, 136, 2579)
    assert repo.balances(s) | {} == {
        "cash_at_bank": 2865, "carrier_wallet:granite": -2579, "platform_fees": -286, "ach_in_transit": 0,
        "employer_receivable:123456789": 0, "premium_unsettled:granite": 0, "fees_unsettled": 0}
    assert reload(s, inv).status == "paid"
    assert list(s.scalars(select(m.Notification.kind))) == ["payment_confirmation"]
    assert settle(s, today=date(2025, 3, 21)).settled == 0  # nothing twice


def test_flat_model_takes_no_fee_at_settlement(db_session):
    s = db_session
    w = make_world(s, fee_type="flat", fee_rate=None, fee_amount_cents=10000, carrier_id="flatco")
    w.send(w.invoice(5000), effective=date(2025, 3, 18))
    settle(s, today=date(2025, 3, 20))
    assert repo.balance(s, "carrier_wallet:flatco") == -5000


def test_money_is_conserved_over_a_random_sequence(db_session, tmp_path):
    """Seeded loop: 40 invoices; each presentment is returned (R01/R03/R10-late) or settles."""
    s = db_session
    rng = random.Random(20250318)
    w = make_world(s)
    day = date(2025, 3, 3)
    debited = settled = returned_cents = 0
    open_entries = []
    n_files = 0
    for i in range(40):
        inv = w.invoice(rng.randint(100, 500_000), rng.choice([0, 150]))
        open_entries.append((inv, w.send(inv, effective=day)))
        debited += inv.total_cents
        day += timedelta(days=1)
        if rng.random() < 0.5 and open_entries:
            inv, entry = open_entries.pop(rng.randrange(len(open_entries)))
            code = rng.choice(["R01", "R03", "R10"])
            n_files += 1
            r = reconcile_return_file(s, return_file(tmp_path, [returned(code, entry)], day, n_files),
                                      name=f"f{n_files}", received_on=day, cipher=CIPHER)
            if r.applied:
                returned_cents += entry.amount_cents
        settle(s, today=day)
        s.commit()
    settle(s, today=day + timedelta(days=10))
    s.commit()
    settled = sum(s.scalars(select(m.AchEntry.amount_cents).where(m.AchEntry.status == "settled")))
    returned_db = sum(s.scalars(select(m.AchEntry.amount_cents).where(m.AchEntry.status == "returned")))
    assert returned_db == returned_cents
    assert debited == settled + returned_cents
    assert repo.balance(s, "cash_at_bank") == settled
    # wallet = settled premium - percentage fees - clawbacks, recomputed from the statement of each month
    months = {date(2025, 3, 1), date(2025, 4, 1)}
    net = sum(build_carrier_statement(s, "granite", mo, issue_date=mo).net_cents for mo in months)
    assert -repo.balance(s, "carrier_wallet:granite") == net
    # and directly: premium of settled invoices less 5% each
    expected = sum(inv.premium_cents - percentage_fee_cents(inv.premium_cents, "0.05")
                   for inv in s.scalars(select(m.Invoice).join(m.AchEntry).where(m.AchEntry.status == "settled")))
    assert -repo.balance(s, "carrier_wallet:granite") == expected
    assert repo.unbalanced_transactions(s) == []
