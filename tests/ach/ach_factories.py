"""Rows for the ACH tests, made directly with the models (invoices come from billing in production)."""

from datetime import date

from paygo.db import models as m
from paygo.db.crypto import AccountCipher

ACCOUNTS = {"checking": "000123456789", "savings": "55-1234-9876"}  # last4 6789 / 9876


def add_employer(s, cipher: AccountCipher, fein: str, *, name: str = "Bay Bakery", account_type: str = "checking",
                 routing: str = "021000021", version: int = 1, authorization: str = "active") -> m.Employer:
    if s.get(m.PayrollCompany, "acme-payroll") is None:
        s.add(m.PayrollCompany(id="acme-payroll", name="Acme Payroll", payment_method="ach_debit"))
        s.add(m.Carrier(id="granite", name="Granite Mutual"))
        s.flush()
    account = ACCOUNTS[account_type]
    emp = m.Employer(fein=fein, name=name, payroll_company_id="acme-payroll", pay_frequency="biweekly",
                     email=f"ap@{fein}.example", bank_routing=routing, bank_account_ciphertext=cipher.encrypt(account),
                     bank_account_last4=account[-4:], bank_account_type=account_type, bank_details_version=version,
                     authorization_status=authorization)
    s.add(emp)
    s.flush()
    pol = m.Policy(number=f"WC-{fein}", employer_id=emp.id, carrier_id="granite",
                   effective_date=date(2026, 1, 1), expiration_date=date(2027, 1, 1))
    s.add(pol)
    s.flush()
    return emp


def add_invoice(s, emp: m.Employer, number: str, total_cents: int, *, status: str = "issued") -> m.Invoice:
    policy = s.query(m.Policy).filter_by(employer_id=emp.id).one()
    if total_cents < 0:  # a refunding adjustment of an earlier invoice
        original = add_invoice(s, emp, number + "-O", 1, status="paid")
        inv = m.Invoice(number=number, kind="adjustment", status=status, policy_id=policy.id, employer_id=emp.id,
                        premium_cents=total_cents, employer_fee_cents=0, total_cents=total_cents,
                        payment_method="ach_debit", due_date=date(2026, 11, 30), adjusts_id=original.id)
    else:
        inv = m.Invoice(number=number, policy_id=policy.id, employer_id=emp.id, payroll_run_id=f"R-{number}",
                        premium_cents=total_cents, employer_fee_cents=0, total_cents=total_cents,
                        payment_method="ach_debit", due_date=date(2026, 11, 30), status=status)
    s.add(inv)
    s.flush()
    s.add(m.InvoiceStatusChange(invoice_id=inv.id, from_status=None, to_status=status, changed_by="test", reason="issued",
                                event="issued", business_date=date(2026, 11, 20)))
    s.flush()
    return inv
