"""`paygo dunning [--date YYYY-MM-DD] [--json]`: queue the payment reminders due on the business date.

Before and after the due date of every remit bill and overdue invoice (paygo.dunning has the
cadence), in one transaction; each reminder once, by its outbox key, so running it twice, or for a
later date, sends nothing twice. Prints each reminder queued and what is overdue, in dollars.
A reminder to a party with no contact on file is not sent: it is listed here and in
`paygo exceptions`. Delivery is the outbox's (the Dagster `notifications_sent` asset).
Exit 0, or 2 on a usage error.
"""

import argparse
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dunning", help="queue payment reminders before and after due dates")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from paygo.billing.money import format_cents
    from paygo.commands.common import database
    from paygo.dunning import run_dunning

    today = args.date or date.today()
    with database() as (_, session):
        result = run_dunning(session, today=today)
        session.commit()
    if args.json:
        print(json.dumps({
            "date": today.isoformat(),
            "queued": [{"key": k, "stage": st, "open_cents": c, "recipient": r or None} for k, st, c, r in result.queued],
            "no_contact": result.no_contact,
            "overdue": [{"number": o.number, "kind": o.kind, "due_date": o.due_date.isoformat(),
                         "days_past_due": (today - o.due_date).days, "open_cents": o.open_cents}
                        for o in result.overdue],
            "overdue_cents": result.overdue_cents}, indent=1))
        return 0
    for key, stage, cents, recipient in result.queued:
        to = recipient if key not in result.no_contact else "NO CONTACT ON FILE (see paygo exceptions)"
        print(f"{key:<44} {stage:<11} {'$' + format_cents(cents):>13}  {to}")
    print(f"{len(result.queued)} reminder(s) queued for {today.isoformat()}"
          + (f", {len(result.no_contact)} without a contact" if result.no_contact else ""))
    for o in result.overdue:
        print(f"overdue  {o.number:<14} due {o.due_date.isoformat()}  {(today - o.due_date).days:>4} days  "
              f"{'$' + format_cents(o.open_cents):>13}")
    print(f"{len(result.overdue)} overdue, ${format_cents(result.overdue_cents)} in total")
    return 0
