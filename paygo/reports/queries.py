"""The thin query layer of the finance reports: database rows in, the pure modules' values out.

Reads only (a report writes no money state). Portable SQL (SQLite and PostgreSQL). What an invoice
still owes comes from `paygo.payments.balances.open_cents`, the one definition; the due date used for
aging is the invoice's own, or its consolidated remit bill's once it is on one (paygo.reports.aging).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.db import models as m
from paygo.payments.balances import OWING, open_cents
from paygo.reports.aging import OpenItem
from paygo.reports.returns import ReturnItem
from paygo.reports.wallets import WalletMovement

WALLET_PREFIX = "carrier_wallet:"


def open_items(session: Session) -> list[OpenItem]:
    """Every invoice that still owes money, with its employer, payroll company and aging due date."""
    owed = open_cents(session)
    if not owed:
        return []
    due = func.coalesce(m.RemitBill.due_date, m.Invoice.due_date)  # billed remit invoices: the bill's
    q = (select(m.Invoice.id, m.Invoice.number, due, m.Employer.fein, m.Employer.name, m.PayrollCompany.id,
                m.PayrollCompany.name)
         .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .join(m.PayrollCompany, m.PayrollCompany.id == m.Employer.payroll_company_id)
         .outerjoin(m.RemitBill, m.RemitBill.id == m.Invoice.remit_bill_id)
         .where(m.Invoice.status.in_(OWING))  # a superset of what owes; open_cents decides
         .order_by(m.Invoice.number))
    return [OpenItem(number, fein, name, company_id, company_name, due_date, owed[inv_id])
            for inv_id, number, due_date, fein, name, company_id, company_name in session.execute(q)
            if inv_id in owed]


def return_items(session: Session) -> list[ReturnItem]:
    """Every return and NOC recorded, with the employer of the entry it matched and its ops queue item."""
    subjects = {subject: (kind, resolved is not None) for subject, kind, resolved in session.execute(
        select(m.ExceptionItem.subject, m.ExceptionItem.kind, m.ExceptionItem.resolved_at)
        .where(m.ExceptionItem.subject.startswith("ach_returns:", autoescape=True)))}
    q = (select(m.AchReturn.id, m.AchReturn.kind, m.AchReturn.code, m.AchReturn.status, m.AchReturn.amount_cents,
                m.AchReturn.original_trace, m.Invoice.number, m.Employer.fein, m.Employer.name)
         .outerjoin(m.AchEntry, m.AchEntry.id == m.AchReturn.ach_entry_id)
         .outerjoin(m.Invoice, m.Invoice.id == m.AchEntry.invoice_id)
         .outerjoin(m.Employer, m.Employer.id == m.Invoice.employer_id)
         .order_by(m.AchReturn.id))
    out = []
    for rid, kind, code, status, cents, trace, number, fein, name in session.execute(q):
        exc_kind, resolved = subjects.get(f"ach_returns:{rid}", ("", False))
        out.append(ReturnItem(rid, kind, code, status, cents, trace, number or "", fein or "", name or "",
                              exc_kind, resolved))
    return out


def carriers(session: Session) -> dict[str, str]:
    """Carrier id -> name."""
    return dict(session.execute(select(m.Carrier.id, m.Carrier.name).order_by(m.Carrier.id)).all())


def wallet_movements(session: Session, as_of: date) -> list[WalletMovement]:
    """What each kind of transaction did to each carrier wallet per business date, up to `as_of`."""
    q = (select(m.LedgerAccount.code, m.LedgerTransaction.effective_date, m.LedgerTransaction.kind,
                func.sum(m.LedgerEntry.amount_cents))
         .join(m.LedgerEntry, m.LedgerEntry.account_id == m.LedgerAccount.id)
         .join(m.LedgerTransaction, m.LedgerTransaction.id == m.LedgerEntry.transaction_id)
         .where(m.LedgerAccount.code.startswith(WALLET_PREFIX, autoescape=True),
                m.LedgerTransaction.effective_date <= as_of)
         .group_by(m.LedgerAccount.code, m.LedgerTransaction.effective_date, m.LedgerTransaction.kind)
         .order_by(m.LedgerAccount.code, m.LedgerTransaction.effective_date, m.LedgerTransaction.kind))
    return [WalletMovement(code[len(WALLET_PREFIX):], day, kind, -int(cents))  # a wallet holds minus its balance
            for code, day, kind, cents in session.execute(q) if int(cents) != 0]
