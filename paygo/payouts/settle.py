"""Payout credits settle like our debits: two banking days after their effective date, no return.

Rule (NACHA return timeframe; paygo.ach.settle `SETTLEMENT_BANKING_DAYS`): a payout credit of a
confirmed file, in flight, effective on E, settles on the first run of `paygo ach settle` dated on or
after E + 2 banking days: `payout_settled:<carrier>:<payout date>` (Dr payouts in transit / Cr cash
at bank), status `settled` (paygo.states.payout_transition), `settled_on` = the business date.
Worked example: a payout recorded on Wednesday 2026-11-25 is effective Friday 2026-11-27
(Thanksgiving skipped); Monday 30th is 1 banking day, Tuesday 2026-12-01 is 2: settle(today=
2026-11-30) leaves it in flight, settle(today=2026-12-01) settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paygo.calendar import add_banking_days
from paygo.db.models import AchFile, Payout
from paygo.ledger import posting
from paygo.ledger.repo import post_many
from paygo.states import payout_transition

SETTLEMENT_BANKING_DAYS = 2  # paygo.ach.settle's, for credits we send


@dataclass(frozen=True)
class SettledPayout:
    carrier_id: str
    payout_date: date
    amount_cents: int
    account_last4: str


def settle_payouts(session: Session, *, today: date) -> tuple[SettledPayout, ...]:
    """Settle every payout credit whose return window has passed (the caller commits)."""
    from paygo.payouts.run import ledger_key

    rows = session.scalars(
        select(Payout).join(AchFile, AchFile.id == Payout.ach_file_id)
        .where(Payout.status == "in_flight", AchFile.status == "confirmed", Payout.effective_date <= today)
        .order_by(Payout.id)).all()
    due = [p for p in rows if add_banking_days(p.effective_date, SETTLEMENT_BANKING_DAYS) <= today]
    if not due:
        return ()
    post_many(session, [posting.payout_settled(ledger_key(p.carrier_id, p.payout_date), p.carrier_id,
                                               p.amount_cents, today) for p in due])
    session.execute(update(Payout).where(Payout.id.in_([p.id for p in due]), Payout.status == "in_flight")
                    .values(status=payout_transition("in_flight", "settled"), settled_on=today),
                    execution_options={"synchronize_session": False})
    session.expire_all()
    return tuple(SettledPayout(p.carrier_id, p.payout_date, p.amount_cents, p.account_last4) for p in due)
