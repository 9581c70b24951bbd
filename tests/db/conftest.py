"""Rows for db tests: a small, valid world to break constraints against."""

from datetime import date

import pytest
from cryptography.fernet import Fernet

from paygo.db import models as m
from paygo.db.crypto import AccountCipher


@pytest.fixture(scope="session")
def cipher() -> AccountCipher:
    return AccountCipher([Fernet.generate_key()])


@pytest.fixture
def world(db_session, cipher):
    """One company, employer, carrier, policy, file, run, invoice and ACH file; committed."""
    s = db_session
    s.add(m.PayrollCompany(id="acme-payroll", name="Acme Payroll", payment_method="ach_debit"))
    s.add(m.Carrier(id="granite", name="Granite Mutual"))
    s.flush()
    emp = m.Employer(fein="123456789", name="Bay Bakery", payroll_company_id="acme-payroll", pay_frequency="biweekly",
                     bank_routing="021000021", bank_account_ciphertext=cipher.encrypt("9876543210123"),
                     bank_account_last4="0123", bank_account_type="checking", bank_details_version=1)
    s.add(emp)
    s.flush()
    pol = m.Policy(number="WC-1", employer_id=emp.id, carrier_id="granite",
                   effective_date=date(2025, 1, 1), expiration_date=date(2026, 1, 1))
    s.add(pol)
    s.flush()
    pf = m.PayrollFile(sha256="a" * 64, payroll_company_id="acme-payroll", original_name="p1.csv",
                       stored_path="raw/p1.csv", size_bytes=100, status="accepted", row_count=3)
    s.add(pf)
    s.flush()
    run = m.PayrollRun(employer_id=emp.id, payroll_run_id="R1", version=1, run_type="regular",
                       pay_date=date(2025, 3, 14), period_start=date(2025, 3, 1), period_end=date(2025, 3, 14),
                       content_sha256="b" * 64, payroll_file_id=pf.id)
    s.add(run)
    s.flush()
    inv = m.Invoice(number="INV-000001", policy_id=pol.id, employer_id=emp.id, payroll_run_id="R1",
                    payroll_run_pk=run.id, premium_cents=2715, employer_fee_cents=0, total_cents=2715,
                    payment_method="ach_debit", due_date=date(2025, 3, 18))
    s.add(inv)
    s.flush()
    af = m.AchFile(creation_date=date(2025, 3, 16), file_id_modifier="A", sha256="c" * 64, path="ach/1.ach",
                   batch_count=1, entry_count=1, total_debit_cents=2715, total_credit_cents=0)
    s.add(af)
    s.commit()
    return {"employer": emp, "policy": pol, "file": pf, "run": run, "invoice": inv, "ach_file": af}
