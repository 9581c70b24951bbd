"""The billing invariants the pipeline checks after every change (domain.md "Invariants").

Each function queries the database and returns the violations (an empty list when the
invariant holds), so the Dagster asset checks and the tests read the same rules:
- an invoice's total equals the sum of its lines (lines are rounded once, the total is their sum);
- exactly one live (not void) invoice per (policy, employer, payroll run);
- every ledger transaction balances (paygo.ledger.repo.unbalanced_transactions).
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.db import models as m


def invoices_not_matching_lines(session: Session) -> list[tuple[str, int, int]]:
    """(number, total, sum of lines) of every invoice whose total differs from its lines' sum."""
    lines = (
        select(m.InvoiceLine.invoice_id, func.sum(m.InvoiceLine.amount_cents).label("lines_cents"))
        .group_by(m.InvoiceLine.invoice_id)
        .subquery()
    )
    q = (
        select(m.Invoice.number, m.Invoice.total_cents, func.coalesce(lines.c.lines_cents, 0))
        .outerjoin(lines, lines.c.invoice_id == m.Invoice.id)
        .where(m.Invoice.kind != "consolidated_remit")
        .where(m.Invoice.total_cents != func.coalesce(lines.c.lines_cents, 0))
        .order_by(m.Invoice.number)
    )
    return [tuple(r) for r in session.execute(q)]


def runs_with_several_live_invoices(session: Session) -> list[tuple[int, int, str, int]]:
    """(policy id, employer id, payroll run id, count) for runs with more than one live invoice."""
    q = (
        select(m.Invoice.policy_id, m.Invoice.employer_id, m.Invoice.payroll_run_id, func.count())
        .where(m.Invoice.kind == "invoice", m.Invoice.status != "void")
        .group_by(m.Invoice.policy_id, m.Invoice.employer_id, m.Invoice.payroll_run_id)
        .having(func.count() > 1)
    )
    return [tuple(r) for r in session.execute(q)]


def invoice_counts(session: Session) -> dict[str, tuple[int, int]]:
    """{status: (count, total cents)} over all invoices, for the UI."""
    q = select(m.Invoice.status, func.count(), func.coalesce(func.sum(m.Invoice.total_cents), 0)).group_by(
        m.Invoice.status
    )
    return {status: (int(n), int(total)) for status, n, total in session.execute(q)}
