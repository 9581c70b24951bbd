"""Rows for returns, settlement and notification tests, created directly with the models.

`World` holds one payroll company, carrier (5% percentage model unless told otherwise), employer
(bank account encrypted) and policy; `invoice()` issues an invoice and posts `invoice_issued`;
`send()` records a NACHA file and an in-flight entry for it and posts `debit_sent`, as origination
does once a file is confirmed.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import select

from paygo.db import models as m
from paygo.db.crypto import AccountCipher, last4
from paygo.ledger import posting, repo

CIPHER = AccountCipher([Fernet.generate_key()])
_seq = itertools.count(1)


@dataclass
class World:
    session: object
    employer: m.Employer
    policy: m.Policy
    carrier_id: str

    def invoice(self, premium_cents: int, fee_cents: int = 0, *, issued_on: date = date(2025, 3, 10)) -> m.Invoice:
        s, n = self.session, next(_seq)
        pf = m.PayrollFile(sha256=hashlib.sha256(f"pf{n}".encode()).hexdigest(), payroll_company_id="acme-payroll",
                           original_name=f"p{n}.csv", stored_path=f"raw/p{n}.csv", size_bytes=1, status="accepted")
        s.add(pf)
        s.flush()
        run = m.PayrollRun(employer_id=self.employer.id, payroll_run_id=f"R{n}", version=1, run_type="regular",
                           pay_date=issued_on, period_start=issued_on - timedelta(days=13), period_end=issued_on,
                           content_sha256="b" * 64, payroll_file_id=pf.id)
        s.add(run)
        s.flush()
        inv = m.Invoice(number=f"INV-{n:06d}", policy_id=self.policy.id, employer_id=self.employer.id,
                        payroll_run_id=f"R{n}", payroll_run_pk=run.id, premium_cents=premium_cents,
                        employer_fee_cents=fee_cents, total_cents=premium_cents + fee_cents,
                        payment_method="ach_debit", due_date=issued_on, status="issued")
        s.add(inv)
        s.flush()
        repo.post(s, posting.invoice_issued(inv.number, self.employer.fein, self.carrier_id, premium_cents,
                                            fee_cents, issued_on))
        return inv

    def send(self, invoice: m.Invoice, *, effective: date, trace: str | None = None, presentment: int = 1,
             amount_cents: int | None = None) -> m.AchEntry:
        s, n = self.session, next(_seq)
        af = m.AchFile(creation_date=date(2000, 1, 1) + timedelta(days=n), file_id_modifier="A",
                       sha256=hashlib.sha256(f"af{n}".encode()).hexdigest(), path=f"ach/{n}.ach", status="confirmed",
                       batch_count=1, entry_count=1, total_debit_cents=invoice.total_cents, total_credit_cents=0)
        s.add(af)
        s.flush()
        amount = invoice.total_cents if amount_cents is None else amount_cents
        e = m.AchEntry(ach_file_id=af.id, invoice_id=invoice.id, presentment=presentment,
                       trace_number=trace or f"01100001{n:07d}", amount_cents=amount, transaction_code=27,
                       effective_date=effective, routing=self.employer.bank_routing,
                       account_last4=self.employer.bank_account_last4,
                       bank_details_version=self.employer.bank_details_version, status="in_flight")
        s.add(e)
        invoice.status = "in_flight"
        s.flush()
        repo.post(s, posting.debit_sent(invoice.number, presentment, self.employer.fein, amount, effective))
        return e


def make_world(session, *, fee_type: str = "percentage", fee_rate: str | None = "0.05", fee_amount_cents=None,
               account: str = "9876543210123", fein: str = "123456789", carrier_id: str = "granite",
               email: str = "ap@baybakery.example") -> World:
    s = session
    if s.get(m.PayrollCompany, "acme-payroll") is None:
        s.add(m.PayrollCompany(id="acme-payroll", name="Acme Payroll", payment_method="ach_debit"))
    if s.get(m.Carrier, carrier_id) is None:
        s.add(m.Carrier(id=carrier_id, name=f"{carrier_id.title()} Mutual"))
        s.flush()
        s.add(m.BillingSetting(carrier_id=carrier_id, fee_type=fee_type, fee_rate=fee_rate,
                               fee_amount_cents=fee_amount_cents))
    s.flush()
    emp = m.Employer(fein=fein, name="Bay Bakery", payroll_company_id="acme-payroll", pay_frequency="biweekly",
                     email=email, bank_routing="021000021", bank_account_ciphertext=CIPHER.encrypt(account),
                     bank_account_last4=last4(account), bank_account_type="checking", bank_details_version=1)
    s.add(emp)
    s.flush()
    pol = m.Policy(number=f"WC-{fein}", employer_id=emp.id, carrier_id=carrier_id,
                   effective_date=date(2025, 1, 1), expiration_date=date(2026, 1, 1))
    s.add(pol)
    s.flush()
    return World(s, emp, pol, carrier_id)


def reload(session, obj):
    session.expire_all()
    return session.get(type(obj), obj.id)


def statuses(session, model, **where):
    return list(session.scalars(select(model.status).filter_by(**where)))


def returned(code: str, entry: m.AchEntry, *, corrected: str | None = None, amount: int | None = None) -> dict:
    """A return/NOC to write with `return_file` (the sandbox bank's NACHA writer)."""
    p = {"code": code, "trace": entry.trace_number, "amount": entry.amount_cents if amount is None else amount,
         "account": "9876543210123", "tc": 27, "rdfi": entry.routing[:8], "name": "Bay Bakery"}
    if corrected is not None:
        p["corrected"] = corrected
    return p


def return_file(tmp_path, items: list[dict], today: date, n: int = 1) -> bytes:
    from paygo.ach.sandbox_bank import SandboxBank

    return SandboxBank(tmp_path / f"writer{n}").return_file(items, today, n)
