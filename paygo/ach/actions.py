"""What a return (addenda 99) does to the entry, the invoice and the employer: a table, not branches.

Rule (NACHA Operating Rules, Appendix Four; domain.md "ACH facts"): only R01 and R09 may be
re-presented automatically, at most twice after the original (three presentments in all), within
180 days of the original entry's settlement (effective) date, same amount, `RETRY PYMT`.
R02/R03/R04/R12/R13/R20 fail and need new bank details; R05/R07/R10/R29 stop and need a new
authorization; R08 (stop payment) stops until the employer re-authorizes; R11, R17-R19, R21-R28
mean our data was wrong: a person corrects it (exception queue) and the invoice fails for now.
Dishonored (R61-R70) and contested (R71-R77) returns are about a return, not a new return of
money: the entry is left as it is and a person looks at them. Unknown and bank-private codes
(R97) go to the exception queue without touching anything.
Worked example: R01 on presentment 1 of an entry effective 2025-03-18, received 2025-03-20:
retry allowed (1 < 3, 2 days < 180) -> invoice back to `scheduled`; the same code on
presentment 3 -> invoice `failed`, `charge_failure` notification to the employer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from paygo.nacha import codes
from paygo.states import transition_target
from paygo.nacha.codes import ReturnAction

MAX_PRESENTMENTS = 3  # the original plus two re-presentments
RETRY_WINDOW = timedelta(days=180)  # from the original presentment's effective (settlement) date


@dataclass(frozen=True)
class ReturnPolicy:
    """What one class of return code does."""

    action: ReturnAction
    entry_returned: bool  # the debit did not collect: entry -> returned, ledger debit_returned
    retry: bool  # re-present (R01/R09) while presentments and the 180 days allow
    authorization_status: str | None  # the employer's new authorization_status, if any
    notification: str | None  # outbox kind sent to the employer (when not retried)
    exception_kind: str | None  # an exception-queue item for ops, if any
    invoice_status: str | None  # when not retried: the invoice's new status (None: unchanged)


_A = ReturnAction
POLICIES: dict[ReturnAction, ReturnPolicy] = {
    _A.RETRY: ReturnPolicy(_A.RETRY, True, True, None, "charge_failure", None, "failed"),
    _A.NEW_BANK_DETAILS: ReturnPolicy(
        _A.NEW_BANK_DETAILS, True, False, "needs_new_bank_details", "new_bank_details_needed", None, "failed"),
    _A.NEW_AUTHORIZATION: ReturnPolicy(
        _A.NEW_AUTHORIZATION, True, False, "needs_reauthorization", "reauthorization_needed", None, "failed"),
    _A.REAUTHORIZE_STOP_PAYMENT: ReturnPolicy(
        _A.REAUTHORIZE_STOP_PAYMENT, True, False, "needs_reauthorization", "reauthorization_needed", None, "failed"),
    # Our data was wrong: ops corrects it and re-sends by hand; the invoice fails for now.
    _A.CORRECT_AND_RESEND: ReturnPolicy(
        _A.CORRECT_AND_RESEND, True, False, None, "charge_failure", "correct_and_resend", "failed"),
    # Deaths, OFAC, misc. NACHA codes: money not collected, a person decides.
    _A.EXCEPTION: ReturnPolicy(_A.EXCEPTION, True, False, None, None, "return_needs_review", "failed"),
}
# Not a return of money: dishonored / contested returns, unknown or private codes.
ADVISORY = ReturnPolicy(_A.EXCEPTION, False, False, None, None, "return_advisory", None)
UNKNOWN = ReturnPolicy(_A.EXCEPTION, False, False, None, None, "unknown_return_code", None)


def policy_for(code: str) -> ReturnPolicy:
    """The table row for a return code: R01 -> retry, R03 -> new bank details, R97 -> unknown."""
    if code in codes.DISHONORED_RETURN_CODES or code in codes.CONTESTED_RETURN_CODES:
        return ADVISORY
    if not codes.is_return_code(code):
        return UNKNOWN
    return POLICIES[codes.return_action(code)]


def may_retry(code: str, presentment: int, original_effective: date, today: date) -> bool:
    """R01/R09 with presentments left and still within 180 days of the original presentment."""
    return (policy_for(code).retry and presentment < MAX_PRESENTMENTS
            and today - original_effective <= RETRY_WINDOW)


@dataclass(frozen=True)
class ReturnDecision:
    """What one matched return does, decided from the current states alone (reconcile writes it).

    `exception_kind` set: nothing is applied, the return waits in the exception queue. Otherwise the
    entry is returned and the invoice takes `event`; `clawback` when the money had settled (a late
    return takes it back from the carrier's wallet); `refund` when the entry was our credit."""

    exception_kind: str | None = None
    reason: str = ""
    event: str | None = None
    clawback: bool = False
    refund: bool = False


def decide_return(code: str, *, entry_status: str, entry_is_debit: bool, invoice_status: str, presentment: int,
                  original_effective: date, today: date, already_returned: bool = False) -> ReturnDecision:
    """The table of issue 11: e.g. R01 on a live debit, presentment 1 -> event returned_for_retry;
    R03 -> failed; R10 on a settled debit -> failed with a clawback; R97 -> exception, nothing moves."""
    policy = policy_for(code)
    if not policy.entry_returned:
        return ReturnDecision(policy.exception_kind or "return_advisory",
                              "not a return of money (dishonored, contested or unknown code): review")
    if entry_status == "returned" or already_returned:
        return ReturnDecision("return_of_returned_entry", "the entry was already returned")
    retry = entry_is_debit and may_retry(code, presentment, original_effective, today)
    event = "returned_for_retry" if retry else "failed"
    if transition_target(invoice_status, event) is None:
        return ReturnDecision("return_state_conflict",
                              f"the invoice is {invoice_status}: a return cannot move it ({event}); review")
    return ReturnDecision(event=event, clawback=entry_is_debit and entry_status == "settled",
                          refund=not entry_is_debit)


# Monitoring groups (NACHA Operating Rules 2.17.2: unauthorized 0.5%, administrative 3%, all 15%).
UNAUTHORIZED_CODES = frozenset({"R05", "R07", "R10", "R11", "R29", "R51"})
ADMINISTRATIVE_CODES = frozenset({"R02", "R03", "R04"})
