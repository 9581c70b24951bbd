"""`paygo statements --month YYYY-MM [--carrier ID]`: carrier statements as PDF and CSV under PAYGO_HOME/statements/.

Safe to run twice: the same month writes the same files again.
"""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("statements", help="write monthly carrier statements (PDF and CSV)")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--carrier", default=None, help="one carrier id (default: every carrier)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from paygo.billing.money import format_cents
    from paygo.commands.common import UsageError, database
    from paygo.statements import carrier_ids, parse_month, write_carrier_statement

    try:
        month = parse_month(args.month)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    with database() as (settings, session):
        for cid in [args.carrier] if args.carrier else carrier_ids(session):
            try:
                pdf, csv_path, st = write_carrier_statement(session, cid, month, settings.home)
            except KeyError as exc:
                raise UsageError(exc.args[0]) from exc
            print(f"{cid} {month:%Y-%m}: settled ${format_cents(st.settled_premium_cents)}, fees "
                  f"${format_cents(st.carrier_fees_cents)}, clawbacks ${format_cents(st.clawbacks_cents)}, "
                  f"net ${format_cents(st.net_cents)} -> {pdf}, {csv_path}")
    return 0
