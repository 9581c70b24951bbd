"""Invoice totals for finance (Audit1 "Wallet": outstanding, processed, failed/returned, totals).

Rule: every live invoice and adjustment counts once in one bucket by status: outstanding
(issued, scheduled, in_flight), processed (paid, netted), failed (failed, written off: not recovered);
void invoices are excluded. Rows are grouped by period (calendar month of the run's pay date),
policy or employer (FEIN), in code-point order. Example: INV-1 2,715 issued and INV-2 500 paid,
both March 2025 -> period 2025-03: outstanding 2715, processed 500, failed 0, total 3215.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo import states
from paygo.db import models as m

GROUPINGS = ("period", "policy", "employer")
COLUMNS = ("outstanding_cents", "processed_cents", "failed_cents", "total_cents", "invoices")
# paygo.states.OPEN -> outstanding; paid, netted (a credit cancelled against the debt) -> processed;
# failed, written off (not collected) -> failed. A status the lifecycle adds fails the import-time check.
BUCKET = {**dict.fromkeys(states.OPEN, 0), "paid": 1, "netted": 1, "failed": 2, "written_off": 2}
assert set(BUCKET) == set(states.INVOICE_STATUSES) - {"void"}, "paygo.invoicing.report: a status has no bucket"


def report_rows(session: Session, by: str = "period") -> list[tuple]:
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {', '.join(GROUPINGS)}")
    q = (select(m.Invoice.status, m.Invoice.total_cents, m.PayrollRun.pay_date, m.Policy.number, m.Employer.fein)
         .join(m.PayrollRun, m.PayrollRun.id == m.Invoice.payroll_run_pk)
         .join(m.Policy, m.Policy.id == m.Invoice.policy_id)
         .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .where(m.Invoice.status != "void"))
    sums: dict[str, list[int]] = {}
    for status, total, pay_date, policy, fein in session.execute(q):
        key = {"period": f"{pay_date:%Y-%m}", "policy": policy, "employer": fein}[by]
        acc = sums.setdefault(key, [0, 0, 0, 0, 0])
        acc[BUCKET[status]] += total
        acc[3] += total
        acc[4] += 1
    return [(k, *v) for k, v in sorted(sums.items())]


def report_csv(session: Session, by: str = "period") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow((by, *COLUMNS))
    w.writerows(report_rows(session, by))
    return buf.getvalue()
