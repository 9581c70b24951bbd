"""`paygo ach originate [--date YYYY-MM-DD]`: schedule what is issued, then build (and upload) the debit file.

Prints the file name, entry count, totals and each entry (employer, invoice, amount, ****last4,
effective date); held and zero invoices with their reasons. Without a bank (settings `bank_dir`,
PAYGO_BANK_DIR, for a folder bank, or PAYGO_BANK_SFTP_HOST for the bank's SFTP server) it only
builds and records the file and says where it is. Safe to run twice: the second run sends nothing new.
"""

import argparse
import sys
from datetime import date


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")


def _bank(settings):
    from paygo.ach.bank import DirectoryBank, SftpBank

    if settings.bank_dir is not None:
        return DirectoryBank(settings.bank_dir)
    s = settings.sftp
    if s.bank_host and s.bank_username and s.bank_private_key_file and s.known_hosts:
        return SftpBank(s.bank_host, s.bank_port, s.bank_username, s.bank_private_key_file, s.known_hosts)
    return None


def run(args: argparse.Namespace) -> int:
    from paygo.ach.originate import OriginationError, originate
    from paygo.ach.schedule import schedule_debits
    from paygo.billing.money import format_cents
    from paygo.commands.common import account_cipher, database

    today = args.date or date.today()
    with database() as (settings, session):
        cipher = account_cipher(settings)
        noticed = schedule_debits(session, today=today, settings=settings.bank)
        session.commit()
        try:
            result = originate(session, today=today, bank=_bank(settings), home=settings.home,
                               settings=settings.bank, cipher=cipher)
        except OriginationError as exc:
            session.rollback()
            print(f"paygo ach originate: {exc}", file=sys.stderr)
            return 1
    for n in noticed:
        print(f"notice: {n.invoice_number} presentment {n.presentment} ${format_cents(n.amount_cents)} "
              f"on {n.debit_date} to ****{n.account_last4}")
    for name in result.finished:
        print(f"finished earlier file {name}: uploaded and confirmed")
    for name in result.pending:
        print(f"recorded file {name} waits for a bank (no bank configured)")
    if result.file_name:
        where = "uploaded and confirmed" if result.status == "confirmed" else f"recorded, not uploaded: {result.file_path}"
        print(f"{result.file_name}: {result.entry_count} entries, debits ${format_cents(result.total_debit_cents)}, "
              f"credits ${format_cents(result.total_credit_cents)}; {where}")
        for e in result.entries:
            print(f"  {e.employer}  {e.invoice_number}  ${format_cents(e.amount_cents)}  ****{e.account_last4}  "
                  f"effective {e.effective_date}  presentment {e.presentment}")
    else:
        print("no new file: nothing due")
    for number, reason in result.held:
        print(f"held {number}: {reason}")
    for number in result.zero_paid:
        print(f"zero {number}: nothing to debit, marked paid")
    for note in result.notes:
        print(f"note: {note}")
    return 0
