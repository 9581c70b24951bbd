"""The money lifecycle: every status of an invoice, a debit entry, a NACHA file and a remit bill,
the events that move them, and the one check every writer goes through.

Rule (domain.md invariants 2-4; issue 11): a status changes only by a named event, from a status
that event allows; the database refuses a status outside these lists (CHECK constraints built from
them in paygo.db.models) and every invoice change is a history row carrying the event and the
business date. "Debited" is the state of the money, not of a file: an entry recorded in a NACHA
file, uploaded or not, is in flight, so its invoice is `in_flight` from the moment the file is
recorded, and a correction then bills the difference instead of voiding what is on its way.

Invoice (kind invoice or adjustment; a credit is an adjustment with a negative total):

    (new) --issued--> issued --noticed--> scheduled --recorded--> in_flight --settled--> paid
                        |                  |  ^ noticed (re-presentment)  |
                        |                  |  +------returned_for_retry---+
                        |                  |                              +--failed--> failed
                                   paid --failed / returned_for_retry--> (a return after settlement)
                        +--voided----------+--> void          (correction before any debit)
                        +--nothing_due-----+--> paid          (a zero total: nothing to collect)
                        +--netted----------+--> netted        (a credit whose money never settled)
             issued <--withdrawn-- scheduled   (an approved refund whose debit came back before it left)

Worked example: INV-000001 is issued (issued), noticed (scheduled), put in PAYGO-20250610-A.ach
(in_flight) and the bank is down; a correction now cannot void it: it issues adjustment
INV-000002 for the difference. `transition("scheduled", "voided")` is "void";
`transition("in_flight", "voided")` raises InvoiceRuleError.
"""

from __future__ import annotations

INVOICE_STATUSES = ("issued", "scheduled", "in_flight", "paid", "failed", "void", "netted", "written_off")
UNDEBITED = ("issued", "scheduled")  # nothing of it is in any NACHA file
OPEN = ("issued", "scheduled", "in_flight")  # money may still move for it
CLOSED = ("paid", "failed", "void", "netted", "written_off")

# event -> {from status (None: the invoice is new) -> to status}
INVOICE_EVENTS: dict[str, dict[str | None, str]] = {
    "issued": {None: "issued"},
    "noticed": {"issued": "scheduled", "scheduled": "scheduled"},  # a pre-debit (or refund) notice
    "recorded": {"scheduled": "in_flight"},  # its entry is in a NACHA file (uploaded or not)
    "settled": {"in_flight": "paid"},  # the return window passed
    # R01/R09: re-presented after a new notice; from paid when the return came after settlement
    "returned_for_retry": {"in_flight": "scheduled", "paid": "scheduled"},
    "failed": {"in_flight": "failed", "paid": "failed"},  # returned, not retried (paid: a late return)
    "voided": {"issued": "void", "scheduled": "void"},  # corrected before any debit
    "nothing_due": {"issued": "paid", "scheduled": "paid"},  # a zero total
    "netted": {"issued": "netted", "scheduled": "netted"},  # a credit against money never collected
    "withdrawn": {"scheduled": "issued"},  # an approved refund not yet in a file: its debit came back
    # issue 12: money that did not come by our debit, a failed debit tried again, a debt given up
    "remitted": {"issued": "paid", "failed": "paid"},  # payments applied cover the whole total
    "represented": {"failed": "scheduled"},  # ops re-present it (paygo invoices represent); noticed next
    "written_off": {"issued": "written_off", "failed": "written_off"},  # the open rest to bad debt
}
INVOICE_TRANSITIONS: frozenset[tuple[str | None, str]] = frozenset(
    (frm, to) for moves in INVOICE_EVENTS.values() for frm, to in moves.items())

ENTRY_STATUSES = ("in_flight", "settled", "returned")
ENTRY_EVENTS: dict[str, dict[str | None, str]] = {
    "recorded": {None: "in_flight"},
    "settled": {"in_flight": "settled"},
    "returned": {"in_flight": "returned", "settled": "returned"},  # after settlement: a late return
}

PAYOUT_STATUSES = ("in_flight", "settled", "returned")
PAYOUT_EVENTS: dict[str, dict[str | None, str]] = {
    "recorded": {None: "in_flight"},
    "settled": {"in_flight": "settled"},
    "returned": {"in_flight": "returned", "settled": "returned"},
}

ACH_FILE_STATUSES = ("built", "uploaded", "confirmed")
ACH_FILE_EVENTS: dict[str, dict[str | None, str]] = {
    "recorded": {None: "built"},
    "uploaded": {"built": "uploaded"},
    "confirmed": {"built": "confirmed", "uploaded": "confirmed"},
}

REMIT_BILL_STATUSES = ("issued", "paid", "void")
REMIT_BILL_EVENTS: dict[str, dict[str | None, str]] = {
    "issued": {None: "issued"},
    "paid": {"issued": "paid"},
    "voided": {"issued": "void"},
}


class InvoiceRuleError(ValueError):
    """An operation the lifecycle forbids (an event not allowed from the current status, ...)."""


def _move(kind: str, table: dict[str, dict[str | None, str]], status: str | None, event: str) -> str:
    moves = table.get(event)
    if moves is None:
        raise InvoiceRuleError(f"unknown {kind} event {event!r}")
    if status not in moves:
        raise InvoiceRuleError(f"{kind} event {event!r} is not allowed from status {status!r}")
    return moves[status]


def transition(status: str | None, event: str) -> str:
    """The invoice status after `event`: ("scheduled", "recorded") -> "in_flight"."""
    return _move("invoice", INVOICE_EVENTS, status, event)


def entry_transition(status: str | None, event: str) -> str:
    return _move("debit entry", ENTRY_EVENTS, status, event)


def file_transition(status: str | None, event: str) -> str:
    return _move("NACHA file", ACH_FILE_EVENTS, status, event)


def payout_transition(status: str | None, event: str) -> str:
    return _move("payout", PAYOUT_EVENTS, status, event)


def remit_bill_transition(status: str | None, event: str) -> str:
    return _move("remit bill", REMIT_BILL_EVENTS, status, event)


def transition_target(status: str | None, event: str) -> str | None:
    """The status after `event`, or None where the lifecycle forbids it (for deciding, not raising)."""
    return INVOICE_EVENTS.get(event, {}).get(status)


def is_allowed(from_status: str | None, to_status: str) -> bool:
    """Whether some event moves an invoice from `from_status` to `to_status`."""
    return (from_status, to_status) in INVOICE_TRANSITIONS


def correction_action(status: str, *, on_remit_bill: bool = False, ever_in_a_file: bool = False) -> str:
    """What a correction does to the run's live invoice: 'void_and_reissue' while nothing of it was
    ever in a NACHA file nor is on an issued remit bill, else 'adjust' (in flight, paid, failed,
    waiting for a re-presentment, or billed to the payroll company: bill the difference, so what was
    sent and every bill stay as they are, and any adjustment already made keeps its original)."""
    if status in UNDEBITED and not (on_remit_bill or ever_in_a_file):
        return "void_and_reissue"
    if status in ("in_flight", "paid", "failed", "written_off") or status in UNDEBITED:
        return "adjust"  # written off: a credit nets against the debt given up, more is billed anew
    raise InvoiceRuleError(f"an invoice in status {status!r} cannot be corrected")
