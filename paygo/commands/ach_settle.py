"""`paygo ach settle [--date YYYY-MM-DD]`: settle entries whose return window has passed.

Safe to run twice: settled entries are not in flight any more. Prints the count and totals per carrier.
"""

import argparse
from datetime import date

from paygo.billing.money import format_cents


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="settlement day (default today)")


def run(args: argparse.Namespace) -> int:
    from paygo.ach.settle import settle
    from paygo.commands.common import database

    with database() as (_, session):
        r = settle(session, today=args.date or date.today())
    print(f"settled {r.settled} entries, ${format_cents(r.total_cents)}")
    for c in r.by_carrier:
        print(f"  {c.carrier_id}: {c.entries} entries, debited ${format_cents(c.debited_cents)}, premium "
              f"${format_cents(c.premium_cents)}, carrier fee ${format_cents(c.carrier_fee_cents)}, "
              f"to wallet ${format_cents(c.wallet_cents)}")
    for p in r.payouts:
        print(f"  payout to {p.carrier_id} of {p.payout_date} settled: ${format_cents(p.amount_cents)} to ****{p.account_last4}")
    return 0
