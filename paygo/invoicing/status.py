"""The one writer of invoice statuses: every change is checked against paygo.states and leaves a
history row with its event, its business date, who did it and why.

Two shapes, the same rule: `record` for one ORM invoice (ingest, schedule, originate) and
`record_many` for bulk work (settle, reconcile: thousands of invoices in a few statements).
Functions take a Session and never commit: the caller owns the transaction.
Worked example: record(session, inv, "recorded", on=date(2025, 6, 10), by="paygo.ach.originate",
why="PAYGO-20250610-A.ach trace ...") moves a `scheduled` invoice to `in_flight` and adds the row
(scheduled -> in_flight, event recorded, business date 2025-06-10); from `issued` it raises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from paygo.db import models as m
from paygo.db.bulk import raw_insert, update_in
from paygo.states import transition

HISTORY_COLUMNS = ("invoice_id", "from_status", "to_status", "event", "business_date", "changed_by", "reason",
                   "changed_at")
# Columns an event also resets: a debit returned for a retry waits for the notice of the next presentment.
EVENT_VALUES: dict[str, dict] = {
    "returned_for_retry": {"debit_date": None, "debit_presentment": None, "debit_bank_details_version": None},
    "withdrawn": {"debit_date": None, "debit_presentment": None, "debit_bank_details_version": None},
    "represented": {"debit_date": None, "debit_presentment": None, "debit_bank_details_version": None},
}


@dataclass(frozen=True)
class StatusChange:
    """One event on one invoice, as decided by a pure step (settle, reconcile)."""

    invoice_id: int
    from_status: str
    event: str
    reason: str


def record(session: Session, invoice: m.Invoice, event: str, *, on: date, by: str, why: str,
           at: datetime | None = None) -> str:
    """Apply `event` to one invoice (raises InvoiceRuleError where the lifecycle forbids it)."""
    to = transition(invoice.status, event)
    session.add(m.InvoiceStatusChange(invoice_id=invoice.id, from_status=invoice.status, to_status=to, event=event,
                                      business_date=on, changed_by=by, reason=why,
                                      changed_at=at or datetime.now(timezone.utc)))
    invoice.status = to
    for column, value in EVENT_VALUES.get(event, {}).items():
        setattr(invoice, column, value)
    return to


def record_issued(session: Session, invoice: m.Invoice, *, on: date, by: str, why: str, at: datetime) -> None:
    """The first history row of a new invoice (status None -> issued)."""
    invoice.status = transition(None, "issued")
    session.add(m.InvoiceStatusChange(invoice_id=invoice.id, from_status=None, to_status=invoice.status,
                                      event="issued", business_date=on, changed_by=by, reason=why, changed_at=at))


def record_many(session: Session, changes: Sequence[StatusChange], *, on: date, by: str) -> dict[int, str]:
    """Apply events in bulk, in order (an invoice may take several); returns each invoice's final status.

    Every change is checked: its `from_status` must be the invoice's status at that point of the
    sequence and its event must allow it. One UPDATE per (final status, reset columns), one INSERT."""
    current: dict[int, str] = {}
    rows = []
    now = datetime.now(timezone.utc)
    resets: dict[int, dict] = {}
    for c in changes:
        frm = current.get(c.invoice_id, c.from_status)
        to = transition(frm, c.event)
        current[c.invoice_id] = to
        if c.event in EVENT_VALUES:
            resets[c.invoice_id] = EVENT_VALUES[c.event]
        else:
            resets.pop(c.invoice_id, None)
        rows.append((c.invoice_id, frm, to, c.event, on, by, c.reason, now))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for invoice_id, to in current.items():
        extra = tuple(sorted(resets.get(invoice_id, {}).items()))
        groups[(to, extra)].append(invoice_id)
    for (to, extra), ids in sorted(groups.items()):
        update_in(session, m.Invoice.__table__, ids, {"status": to, **dict(extra)})
    raw_insert(session, m.InvoiceStatusChange.__table__, HISTORY_COLUMNS, rows)
    return current
