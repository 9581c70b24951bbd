"""Money in carrier wallets the way production puts it there: an invoice, its debit sent, then
`paygo.ach.settle.settle` (premium less the 5% fee to the wallet). Carrier bank accounts are
encrypted with the returns factory's cipher."""

from datetime import date, datetime

from paygo.ach.settle import settle
from paygo.calendar import add_banking_days
from paygo.config import BankSettings
from paygo.db import models as m
from paygo.db.crypto import last4
from paygo.payouts.run import pay_carriers
from returns_factory import CIPHER, make_world

ACCOUNTS = {"granite": "7700112233", "harbor": "55-0044-5566"}
SETTINGS = BankSettings()
NOW = datetime(2026, 11, 25, 9, 30)
WED = date(2026, 11, 25)


def set_bank(s, carrier_id: str, account: str | None, *, kind: str = "checking", routing: str = "021000021",
             reserve: int = 0) -> None:
    c = s.get(m.Carrier, carrier_id)
    c.payout_minimum_cents = reserve
    if account is None:
        c.bank_routing = c.bank_account_ciphertext = c.bank_account_last4 = c.bank_account_type = None
    else:
        c.bank_routing, c.bank_account_type = routing, kind
        c.bank_account_ciphertext, c.bank_account_last4 = CIPHER.encrypt(account), last4(account)
    s.flush()


def world(s, carrier_id: str = "granite", fein: str = "123456789", **bank):
    w = make_world(s, carrier_id=carrier_id, fein=fein)
    set_bank(s, carrier_id, ACCOUNTS.get(carrier_id, "7700998877"), **bank)
    s.commit()
    return w


def settled(s, w, premium: int, effective: date):
    """An invoice of `premium` debited on `effective` and settled two banking days later."""
    inv = w.invoice(premium, issued_on=effective)
    entry = w.send(inv, effective=effective)
    settle(s, today=add_banking_days(effective, 2))
    s.commit()
    return inv, entry


def pay(s, bank, home, today=WED, **kw):
    return pay_carriers(s, today=today, bank=bank, home=home, settings=SETTINGS, cipher=CIPHER, now=NOW, **kw)
