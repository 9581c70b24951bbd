"""`paygo payouts [--date YYYY-MM-DD] [--json]`: pay each carrier's wallet above its reserve by ACH credit.

Finishes any payout file recorded earlier, then decides (paygo.payouts.decide), records the NACHA
payout file, writes each payout's statement (PDF and CSV under PAYGO_HOME/payouts/), uploads it to
the bank and confirms it by reading it back (paygo.payouts.run). Prints each carrier's verdict: paid
(amount, ****last4, trace, statement) or why not. Without a bank (PAYGO_BANK_DIR or the bank's SFTP
settings, as for `paygo ach originate`) the file is recorded and a later run uploads it; a bank that
does not confirm the upload exits 1 with the file recorded. Safe to run twice: at most one payout
per carrier per payout day, and a re-run finishes what a killed run started.
"""

import argparse
import json
import sys
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("payouts", help="pay carriers their wallet above its reserve (NACHA credit file)")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="payout day (default today)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _as_json(result) -> dict:
    return {
        "payout_date": result.payout_date.isoformat(),
        "file": result.file_name,
        "status": result.status,
        "total_credit_cents": result.total_credit_cents,
        "payouts": [{"carrier_id": p.carrier_id, "amount_cents": p.amount_cents, "account": f"****{p.account_last4}",
                     "transaction_code": p.transaction_code, "trace_number": p.trace_number,
                     "effective_date": p.effective_date.isoformat(), "status": p.status,
                     "statement_pdf": p.statement_pdf, "statement_csv": p.statement_csv} for p in result.payouts],
        "decisions": [{"carrier_id": d.carrier_id, "verdict": d.verdict, "amount_cents": d.amount_cents,
                       "reason": d.reason} for d in result.decisions],
        "finished": list(result.finished),
        "pending": list(result.pending),
        "notes": list(result.notes),
    }


def run(args: argparse.Namespace) -> int:
    from paygo.ach.bank import UploadNotConfirmed
    from paygo.ach.files import OriginationError
    from paygo.billing.money import format_cents
    from paygo.commands.ach_originate import _bank
    from paygo.commands.common import account_cipher, database
    from paygo.payouts.run import pay_carriers

    today = args.date or date.today()
    with database() as (settings, session):
        cipher = account_cipher(settings)
        try:
            result = pay_carriers(session, today=today, bank=_bank(settings), home=settings.home,
                                  settings=settings.bank, cipher=cipher)
        except (OriginationError, UploadNotConfirmed) as exc:
            session.rollback()
            print(f"paygo payouts: {exc} (the payout file stays recorded; the next run uploads it)", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(_as_json(result), indent=2))
        return 0
    for name in result.finished:
        print(f"finished earlier payout file {name}: uploaded and confirmed")
    for name in result.pending:
        print(f"recorded payout file {name} waits for a bank (no bank configured)")
    if result.file_name:
        where = ("uploaded and confirmed" if result.status == "confirmed"
                 else f"recorded, not uploaded: {result.file_path}")
        print(f"{result.file_name}: {len(result.payouts)} payouts, credits ${format_cents(result.total_credit_cents)}; "
              f"{where}")
    paid = {p.carrier_id: p for p in result.payouts}
    for d in result.decisions:
        if d.carrier_id in paid:
            p = paid[d.carrier_id]
            print(f"  paid {d.carrier_id}: ${format_cents(p.amount_cents)} to ****{p.account_last4} (tc "
                  f"{p.transaction_code}) trace {p.trace_number}, effective {p.effective_date}; {d.reason}")
            print(f"    statement {p.statement_pdf}")
        else:
            print(f"  not paid {d.carrier_id}: {d.reason}")
    if not result.file_name and not result.decisions and not result.pending:
        print("no payouts decided")
    for note in result.notes:
        print(f"note: {note}")
    return 0
