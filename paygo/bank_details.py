"""An employer's bank details change in one place: the reference load, a NOC applied, `paygo
employers set-bank`. Each change bumps `employers.bank_details_version` and keeps the version in
`employer_bank_accounts` (encrypted; last four digits only in the clear), so what a debit entry was
sent to (its `bank_details_version`) stays known after the details change again.

Example: an employer on version 1 gets a C01 with a new account: version 2 is the old routing with
the new account, source `noc`; an entry recorded afterwards carries version 2.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from paygo.db.models import Employer, EmployerBankAccount


def change_bank_details(session: Session, employer: Employer, *, source: str, on: date,
                        routing: str | None = None, account_ciphertext: str | None = None,
                        account_last4: str | None = None, account_type: str | None = None) -> int:
    """Apply what is given (None keeps the current value), bump the version and record it; returns it.
    The caller has validated the values; the database refuses incomplete details (CHECK)."""
    if routing is not None:
        employer.bank_routing = routing
    if account_ciphertext is not None:
        employer.bank_account_ciphertext, employer.bank_account_last4 = account_ciphertext, account_last4
    if account_type is not None:
        employer.bank_account_type = account_type
    employer.bank_details_version = (employer.bank_details_version or 0) + 1
    session.flush()  # the employer row exists before its history row points at it
    session.add(EmployerBankAccount(
        employer_id=employer.id, version=employer.bank_details_version, routing=employer.bank_routing,
        account_ciphertext=employer.bank_account_ciphertext, account_last4=employer.bank_account_last4,
        account_type=employer.bank_account_type, source=source, effective_on=on))
    return employer.bank_details_version


class AuthorizationError(ValueError):
    """A renewal that does not fit the employer's state."""


def renew_authorization(employer: Employer) -> bool:
    """The employer signed a new debit authorization (after R05/R07/R08/R10/R29): `active` again.
    False when it already was; refused when what it needs is new bank details."""
    if employer.authorization_status == "active":
        return False
    if employer.authorization_status == "needs_new_bank_details":
        raise AuthorizationError(f"{employer.fein} needs new bank details, not a new authorization "
                                 f"(paygo employers set-bank)")
    employer.authorization_status = "active"
    return True
