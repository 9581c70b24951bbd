"""Pins the return-code table (domain.md "ACH facts"): what each code does, and when R01/R09 may be re-presented."""

from datetime import date

import pytest

from paygo.ach.actions import may_retry, policy_for


@pytest.mark.parametrize("code, returned, retry, auth, notification, invoice", [
    ("R01", True, True, None, "charge_failure", "failed"),  # NSF: retry, charge failure once exhausted
    ("R09", True, True, None, "charge_failure", "failed"),  # uncollected funds: same as R01
    *[(c, True, False, "needs_new_bank_details", "new_bank_details_needed", "failed")
      for c in ("R02", "R03", "R04", "R12", "R13", "R20")],
    *[(c, True, False, "needs_reauthorization", "reauthorization_needed", "failed")
      for c in ("R05", "R07", "R10", "R29", "R08")],
    *[(c, True, False, None, "charge_failure", "failed")  # correct then re-send: ops + fail for now
      for c in ("R11", "R17", "R18", "R19", "R21", "R24", "R28")],
    ("R68", False, False, None, None, None),  # dishonored: not a return of money
    ("R71", False, False, None, None, None),  # contested dishonored
    ("R97", False, False, None, None, None),  # bank-private: exception queue only
])
def test_policy_table(code, returned, retry, auth, notification, invoice):
    p = policy_for(code)
    assert (p.entry_returned, p.retry, p.authorization_status, p.notification, p.invoice_status) == (
        returned, retry, auth, notification, invoice)


@pytest.mark.parametrize("code, presentment, original, today, expected", [
    ("R01", 1, date(2025, 1, 2), date(2025, 1, 6), True),  # 1st of 3 presentments, 4 days in
    ("R01", 2, date(2025, 1, 2), date(2025, 2, 6), True),  # 2nd of 3
    ("R01", 3, date(2025, 1, 2), date(2025, 3, 6), False),  # 3 presentments used
    ("R09", 1, date(2025, 1, 2), date(2025, 7, 1), True),  # 180 days exactly (Jan 2 + 180 = Jul 1)
    ("R09", 1, date(2025, 1, 2), date(2025, 7, 2), False),  # 181 days: too late
    ("R03", 1, date(2025, 1, 2), date(2025, 1, 6), False),  # not a retry code
])
def test_may_retry(code, presentment, original, today, expected):
    assert may_retry(code, presentment, original, today) is expected
