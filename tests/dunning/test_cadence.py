"""Pins the pure dunning decision (paygo.dunning.decide): per item only the latest stage whose day
has come, never one already sent nor one overtaken by a later stage sent, nothing for what owes
nothing; a missed stretch of days still sends the stage due now; a second failure starts a new round."""

from datetime import date, timedelta

import pytest

from paygo.dunning import DEBIT_CADENCE, REMIT_CADENCE, Owed, decide, reminder_key

DUE = date(2025, 5, 1)


def bill(open_cents=170_000, cadence=REMIT_CADENCE, anchor=DUE, round_=1) -> Owed:
    return Owed("remit_bill", "REMIT-000001", "Acme Payroll", "billing@acme.example", "x", open_cents, DUE,
                anchor, cadence, "by check", round=round_)


def stages(days_from_due: int, sent: tuple[str, ...] = (), owed: Owed | None = None) -> list[str]:
    owed = owed or bill()
    keys = {reminder_key(owed.number, s, owed.round) for s in sent}
    return [d.stage.name for d in decide([owed], keys, DUE + timedelta(days=days_from_due))]


@pytest.mark.parametrize("days, sent, expected", [
    (-8, (), []),                                    # before the first reminder's day
    (-7, (), ["due_in_7"]),                          # the payment reminder, 7 days before
    (-7, ("due_in_7",), []),                         # the same day again: nothing twice
    (-2, (), ["due_in_7"]),                          # the pass did not run on -7: sent late, still before due
    (0, ("due_in_7",), []),                          # the due date itself: not overdue yet
    (1, ("due_in_7",), ["overdue_1"]),               # the day after the due date
    (5, ("due_in_7",), ["overdue_1"]),               # missed 5 days: the stage due now is still sent
    (5, (), ["overdue_1"]),                          # missed the whole stretch: no "due in 7" after the due date
    (14, ("due_in_7", "overdue_1"), []),             # between stages
    (20, ("due_in_7",), ["overdue_15"]),             # overdue_1 overtaken while not running: skipped
    (30, ("overdue_15",), ["final_30"]),             # the final notice
    (90, ("final_30",), []),                         # nothing after the final notice
    (3, ("overdue_15",), []),                        # a date earlier than a stage sent: never go back
])
def test_latest_stage_due_unless_sent(days, sent, expected):
    assert stages(days, sent) == expected


def test_nothing_for_what_owes_nothing():
    assert stages(1, owed=bill(open_cents=0)) == []


def test_failed_debit_counts_from_the_failure_and_restarts_after_a_new_failure():
    failed_on = DUE + timedelta(days=10)
    first = bill(cadence=DEBIT_CADENCE, anchor=failed_on)
    assert stages(10, owed=first) == []  # day 0: the charge failure notice itself told them
    assert stages(17, owed=first) == ["overdue_7"]
    # failed again after a re-presentment: round 2 has its own keys, the first round's do not block it
    second = bill(cadence=DEBIT_CADENCE, anchor=failed_on + timedelta(days=20), round_=2)
    assert stages(37, sent=(), owed=second) == ["overdue_7"]
    assert reminder_key("INV-000007", "overdue_7", 2) == "payment_reminder:INV-000007:overdue_7:2"
    keys = {reminder_key("REMIT-000001", "final_30")}
    assert decide([second], keys, failed_on + timedelta(days=27))[0].key.endswith(":2")
