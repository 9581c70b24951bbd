"""`paygo employers set-bank FEIN --routing R --account A|- --type checking|savings [--date D]` and
`paygo employers authorize FEIN [--date D]`: new bank details (encrypted, versioned:
paygo.bank_details) and a renewed debit authorization, after which ops may re-present a failed
invoice (`paygo invoices represent`). `--account -` reads the account number from standard input so it
stays out of shell history; only its last four digits are ever printed. Exit 0, 1 refused, 2 usage.
"""

import argparse
import sys
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("employers", help="an employer's bank details and debit authorization")
    parser.add_argument("action", choices=("set-bank", "authorize"))
    parser.add_argument("fein", help="the employer's FEIN (9 digits, a dash allowed)")
    parser.add_argument("--routing")
    parser.add_argument("--account", help="the account number, or - to read it from standard input")
    parser.add_argument("--type", choices=("checking", "savings"), default="checking")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="business date (default today)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from paygo.bank_details import AuthorizationError, change_bank_details, renew_authorization
    from paygo.commands.common import UsageError, account_cipher, database
    from paygo.db.crypto import AccountNumberError, last4, validate_account_number
    from paygo.db.models import Employer
    from paygo.reference import normalize_fein, routing_check_digit_ok

    fein = normalize_fein(args.fein)
    if fein is None:
        raise UsageError(f"FEIN {args.fein!r} is not 9 digits")
    today = args.date or date.today()
    if args.action == "set-bank":
        if not args.routing or not args.account:
            raise UsageError("set-bank needs --routing and --account")
        if not routing_check_digit_ok(args.routing):
            raise UsageError(f"--routing {args.routing!r} fails the routing check digit (weights 3,7,1)")
        account = sys.stdin.readline().strip() if args.account == "-" else args.account
        try:
            account = validate_account_number(account)
        except AccountNumberError as exc:
            raise UsageError(f"--account: {exc}") from exc
    with database() as (settings, session):
        employer = session.scalar(select(Employer).where(Employer.fein == fein))
        if employer is None:
            raise UsageError(f"no employer {fein}")
        if args.action == "authorize":
            try:
                renewed = renew_authorization(employer)
            except AuthorizationError as exc:
                print(f"refused: {exc}", file=sys.stderr)
                return 1
            if not renewed:
                print(f"{fein}: authorization already active; nothing changed")
                return 0
            session.commit()
            print(f"{fein}: debit authorization renewed on {today}; failed invoices may be re-presented")
            return 0
        cipher = account_cipher(settings)
        if (employer.bank_routing == args.routing and employer.bank_account_type == args.type
                and employer.bank_account_ciphertext and cipher.decrypt(employer.bank_account_ciphertext) == account):
            print(f"{fein}: bank details unchanged (****{last4(account)}, version {employer.bank_details_version})")
            return 0
        version = change_bank_details(session, employer, source="set_bank", on=today, routing=args.routing,
                                      account_ciphertext=cipher.encrypt(account), account_last4=last4(account),
                                      account_type=args.type)
        if employer.authorization_status == "needs_new_bank_details":
            employer.authorization_status = "active"
        session.commit()
        print(f"{fein}: bank details version {version}: {args.type} ****{last4(account)} at {args.routing}, "
              f"from {today}")
    return 0
