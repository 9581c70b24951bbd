"""The pure decisions of the money lifecycle, as tables: what a return does (paygo.ach.actions.
decide_return) and what becomes of a credit (paygo.invoicing.credits.decide). Each case is one
combination of current states; the writers (reconcile, the scheduler) only carry these out."""

from datetime import date

import pytest

from paygo.ach.actions import decide_return
from paygo.invoicing.credits import NET, REFUND, WAIT, RunMoney, decide

EFF, NEXT_DAY = date(2025, 6, 11), date(2025, 6, 12)


@pytest.mark.parametrize("code, entry, debit, invoice, presentment, expected", [
    # (exception kind, event, clawback, refund)
    ("R01", "in_flight", True, "in_flight", 1, (None, "returned_for_retry", False, False)),
    ("R09", "in_flight", True, "in_flight", 2, (None, "returned_for_retry", False, False)),
    ("R01", "in_flight", True, "in_flight", 3, (None, "failed", False, False)),         # no fourth presentment
    ("R03", "in_flight", True, "in_flight", 1, (None, "failed", False, False)),
    ("R10", "settled", True, "paid", 1, (None, "failed", True, False)),                 # late: claw back
    ("R01", "settled", True, "paid", 1, (None, "returned_for_retry", True, False)),
    ("R03", "in_flight", False, "in_flight", 1, (None, "failed", False, True)),         # our refund credit came back
    ("R01", "returned", True, "scheduled", 1, ("return_of_returned_entry", None, False, False)),
    ("R71", "in_flight", True, "in_flight", 1, ("return_advisory", None, False, False)),  # contested: not money
    ("R97", "in_flight", True, "in_flight", 1, ("unknown_return_code", None, False, False)),
    ("R03", "in_flight", True, "void", 1, ("return_state_conflict", None, False, False)),  # never silently moved
])
def test_decide_return(code, entry, debit, invoice, presentment, expected):
    d = decide_return(code, entry_status=entry, entry_is_debit=debit, invoice_status=invoice,
                      presentment=presentment, original_effective=EFF, today=NEXT_DAY)
    assert (d.exception_kind, d.event, d.clawback, d.refund) == expected


def test_a_retry_is_refused_after_180_days():
    d = decide_return("R01", entry_status="in_flight", entry_is_debit=True, invoice_status="in_flight",
                      presentment=1, original_effective=date(2025, 1, 2), today=date(2025, 7, 2))
    assert d.event == "failed"


@pytest.mark.parametrize("billed, collected, committed, open_, credit, expected", [
    (37580, 0, 0, True, 3863, (WAIT, 0)),            # 414.43 still in flight: wait
    (37580, 41443, 0, False, 3863, (REFUND, 3863)),  # settled: refund 38.63
    (37580, 0, 0, False, 3863, (NET, -37580)),       # the debit failed: nothing to give back
    (34580, 41443, 3863, False, 3000, (REFUND, 3000)),  # a second credit after a first refund
    (31443, 41443, 0, False, 20000, (NET, 10000)),   # a failed upward adjustment absorbed part: ops refund 100.00
])
def test_decide_credit(billed, collected, committed, open_, credit, expected):
    assert decide(RunMoney(billed, collected, committed, open_), credit) == expected


def _verdict(**kw):
    from paygo.ach.originate import debit_verdict

    base = dict(status="scheduled", total_cents=41443, noticed_presentment=1, debit_date=EFF, presentment=1,
                horizon=EFF, authorization_status="active", has_bank=True, per_entry_limit_cents=1_000_000)
    return debit_verdict(**(base | kw))[0]


@pytest.mark.parametrize("changes, verdict", [
    ({}, "send"),
    ({"total_cents": -3863}, "send"),                              # an approved refund credit
    ({"total_cents": 0, "status": "issued"}, "nothing_due"),
    ({"status": "issued"}, "skip"),                                # no pre-debit notice yet
    ({"presentment": 2}, "skip"),                                  # returned: presentment 2 not noticed yet
    ({"debit_date": NEXT_DAY}, "skip"),                            # not due by the next banking day
    ({"authorization_status": "needs_new_bank_details"}, "hold"),
    ({"has_bank": False}, "hold"),
    ({"total_cents": 1_000_001}, "over_limit"),
])
def test_debit_verdict(changes, verdict):
    assert _verdict(**changes) == verdict


def _premium(state_class: str, cents: int):
    from paygo.billing.invoice import LineDraft

    return LineDraft("premium", "", cents, "CA", state_class, 0, "1.0")


@pytest.mark.parametrize("live, sent, remit, new, billed, expected", [
    (None, False, False, [4050], [], ("issue", [4050])),
    (None, False, False, [], [], ("nothing", [])),                   # a run that bills this policy nothing
    ("issued", False, False, [3803], [4050], ("void_and_reissue", [3803])),
    ("scheduled", False, False, [], [4050], ("void_and_reissue", [])),  # void only
    ("in_flight", True, False, [3803], [4050], ("adjust", [-247])),  # finding 1
    ("scheduled", True, False, [3803], [4050], ("adjust", [-247])),  # waiting for a re-presentment
    ("issued", False, True, [3803], [4050], ("adjust", [-247])),     # on a remit bill (finding 4)
    ("failed", True, False, [4500], [4050], ("adjust", [450])),      # finding 3
    ("paid", True, False, [4050], [4050], ("nothing", [])),          # same premium
])
def test_plan_billing(live, sent, remit, new, billed, expected):
    from paygo.billing.invoice import plan_billing

    plan = plan_billing([_premium("8810", c) for c in new], live, on_remit_bill=remit, ever_in_a_file=sent,
                        billed=[_premium("8810", c) for c in billed])
    assert (plan.action, [d.amount_cents for d in plan.drafts]) == expected
