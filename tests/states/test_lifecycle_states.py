"""The lifecycle table (paygo.states): which event moves which status, and what a correction does.

These pin issue 11's findings 3 and 9 at the level of the rules: a failed invoice is corrected by
an adjustment (no traceback), and a zero invoice reaches `paid` through an allowed event.
"""

import pytest

from paygo import states
from paygo.db import models as m


@pytest.mark.parametrize("status, event, expected", [
    (None, "issued", "issued"),
    ("issued", "noticed", "scheduled"),
    ("scheduled", "noticed", "scheduled"),      # the notice of a re-presentment
    ("scheduled", "recorded", "in_flight"),     # in a NACHA file, uploaded or not
    ("in_flight", "settled", "paid"),
    ("in_flight", "returned_for_retry", "scheduled"),
    ("in_flight", "failed", "failed"),
    ("paid", "failed", "failed"),               # a late return (R10) after settlement
    ("issued", "voided", "void"),
    ("scheduled", "voided", "void"),
    ("issued", "nothing_due", "paid"),          # finding 9: the zero-amount path is an allowed event
    ("issued", "netted", "netted"),
])
def test_allowed_events(status, event, expected):
    assert states.transition(status, event) == expected


@pytest.mark.parametrize("status, event", [
    ("in_flight", "voided"),   # finding 1: money in a file is never voided
    ("paid", "voided"),
    ("failed", "voided"),
    ("issued", "recorded"),    # no entry without a pre-debit notice
    ("void", "issued"),
    ("paid", "settled"),
    ("netted", "noticed"),
    ("in_flight", "unknown-event"),
    ("in_flight", "written_off"),  # not while its debit is on its way
    ("scheduled", "remitted"),     # not while its debit is announced
    ("issued", "represented"),     # only a failed invoice is re-presented
    ("written_off", "remitted"),
])
def test_forbidden_events(status, event):
    with pytest.raises(states.InvoiceRuleError):
        states.transition(status, event)


@pytest.mark.parametrize("status, on_remit_bill, sent, action", [
    ("issued", False, False, "void_and_reissue"), ("scheduled", False, False, "void_and_reissue"),
    ("issued", True, False, "adjust"),     # finding 4: a billed remit invoice is adjusted, its bill stays
    ("in_flight", False, True, "adjust"),  # finding 1: in a file (uploaded or not)
    ("paid", False, True, "adjust"),
    ("failed", False, True, "adjust"),     # finding 3: no InvoiceRuleError for a failed run
    ("scheduled", False, True, "adjust"),  # soak seed 157: waiting for its re-presentment, it has a credit
    ("written_off", False, False, "adjust"),  # simulation seed 4 (issue 12): a correction after a write-off
])
def test_correction_action(status, on_remit_bill, sent, action):
    assert states.correction_action(status, on_remit_bill=on_remit_bill, ever_in_a_file=sent) == action


@pytest.mark.parametrize("status", ["void", "netted"])
def test_a_closed_invoice_is_not_corrected_in_place(status):
    with pytest.raises(states.InvoiceRuleError):
        states.correction_action(status)


def test_the_database_checks_come_from_the_one_list():
    """models build their CHECK constraints from paygo.states, so the lists cannot drift apart."""
    assert m.INVOICE_STATUSES is states.INVOICE_STATUSES
    assert m.ACH_ENTRY_STATUSES is states.ENTRY_STATUSES
    assert set(m.INVOICE_EVENTS) == set(states.INVOICE_EVENTS)
    every_target = {to for moves in states.INVOICE_EVENTS.values() for to in moves.values()}
    assert every_target <= set(states.INVOICE_STATUSES)
